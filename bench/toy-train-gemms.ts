// The premise of issue 20's toy training targets (train A ≥ 1.5×, train B ≥ 1.2× PyTorch 2.x),
// measured: each config's training step in alignkit and in PyTorch (bench/peers/torch-gpt.py's
// model and step), how much of each is matrix products, and every product of the step's linear
// layers and tied LM head (forward, input gradient, weight gradient) timed alone on the same
// shapes in both (alignkit's sgemm; torch.mm, i.e. MKL in the pip wheel), median of reps. From
// those: what alignkit's step would be if each of its products ran at the faster library's
// speed and the rest of its step stayed as it is, and how much faster than PyTorch's products
// alignkit's would have to be to meet the target with the rest of its step unchanged.
// The machine's FMA peak (bench/matmul-native-peak.cc, best of 8, as `alignkit bench` measures it)
// bounds the products from below: the last line says how short the rest of alignkit's step would
// have to become if every product ran at that peak. Attention's products are not in the list:
// alignkit runs them inside its fused attention kernels, PyTorch as bmm (in its profiled product
// time). Each figure is the best of `--rounds` turns of both sides (see below).
//   node dist/bench/toy-train-gemms.js [--configs A,B] [--reps 15] [--rounds 2] [--python PATH]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backend, nativeStatus } from '../src/backend/index.js';
import { MODELS } from '../src/cli/bench/configs.js';
import { findPeers, peerEnv, removeHarnesses } from '../src/cli/bench/peers.js';
import { profileCalls, trainStep } from '../src/cli/bench/tasks.js';

const flag = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const configs = flag('configs', 'A,B').split(',') as ('A' | 'B')[];
const reps = Number(flag('reps', '15'));
const python = flag('python', process.env['ALIGNKIT_PYTHON'] ?? 'python3');
const TARGET = { A: 1.5, B: 1.2 } as const;
const threads = nativeStatus().ok ? cpus().length : 1;

/** M, N, K, transA, transB, times per step, and what it is. */
type Shape = [number, number, number, boolean, boolean, number, string];

/** The products of one training step's linear layers and tied head, as alignkit's step calls them. */
function stepShapes(c: 'A' | 'B'): Shape[] {
  const m = MODELS[c], n = m.batch * m.ctx, C = m.dModel, L = m.nLayer, out: Shape[] = [];
  for (const [inF, outF, name] of [[C, 3 * C, 'qkv'], [C, C, 'attn out'], [C, 4 * C, 'mlp up'], [4 * C, C, 'mlp down']] as const) {
    out.push([n, outF, inF, false, false, L, `${name} x·W`]);
    out.push([n, inF, outF, false, true, L, `${name} dY·Wᵀ`]);
    out.push([inF, outF, n, true, false, L, `${name} Xᵀ·dY`]);
  }
  out.push([n, m.vocab, C, false, true, 1, 'head h·Eᵀ'], [n, C, m.vocab, false, false, 1, 'head dZ·E'], [m.vocab, C, n, true, false, 1, 'head dZᵀ·h']);
  return out;
}

const median = (a: number[]): number => a.slice().sort((p, q) => p - q)[a.length >> 1]!;

function alignkitMs([M, N, K, ta, tb]: Shape): number {
  const a = new Float32Array(M * K).map(() => Math.random() - 0.5), b = new Float32Array(K * N).map(() => Math.random() - 0.5);
  const out = new Float32Array(M * N), call = (): void => backend().matmul(out, a, b, 1, M, N, K, ta, tb, 0, 0, 0, false);
  for (let i = 0; i < 3; i++) call();
  return median(Array.from({ length: reps }, () => { const t0 = performance.now(); call(); return performance.now() - t0; }));
}

const here = dirname(fileURLToPath(import.meta.url)), script = join(here, '..', '..', 'bench', 'peers', 'torch-gemms.py');

// The FMA peak program, compiled once as `alignkit bench` compiles it (findPeers without peers).
const built = findPeers({ peers: false, threads });
process.on('exit', () => removeHarnesses(built));

/** GFLOP/s of the FMA peak program with `threads` threads, best of 8; null if it did not build. */
function fmaPeak(): number | null {
  const exe = built.peak.ok ? built.peak.exe : null;
  if (!exe) return null;
  return Math.max(...Array.from({ length: 8 }, () => Number(spawnSync(exe, [String(threads), '200'], { encoding: 'utf8' }).stdout.trim().split(' ')[0]) || 0));
}
const rounds = Number(flag('rounds', '2'));
console.log(`toy training steps and their products, ${threads} threads; backend ${backend().name}; ${rounds} rounds; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
type Peer = { step_ms: number; gemm_ms: number; profiled_ms: number; shape_ms: number[]; torch: string };
const low = (a: number[], b: number[]): number[] => a.map((v, i) => Math.min(v, b[i]!));
let peak: number | null = null;
for (const c of configs) {
  if (!(c in MODELS)) throw new Error(`toy-train-gemms: --configs: ${c}: expected A or B`);
  const shapes = stepShapes(c);
  const t = trainStep(c);
  // Each figure is the lowest of the rounds (alignkit's step and products, then PyTorch's, then the
  // FMA peak's highest, round after round): a host whose speed drifts over minutes slows one
  // contender's turn and not the other's, and the lowest of each is the least disturbed.
  let akStep = Infinity, akGemm = 0, profiled = 0, akShapes: number[] | null = null, peer: Peer | null = null;
  for (let r = 0; r < rounds; r++) {
    const prof = profileCalls(t.step, 5) as { wall_ms: number; kernels: { name: string; ms: number }[] };
    for (let i = 0; i < 2; i++) t.step();
    const step = Math.min(...Array.from({ length: reps }, () => { const t0 = performance.now(); t.step(); return performance.now() - t0; }));
    if (step < akStep) { akStep = step; profiled = prof.wall_ms; akGemm = prof.kernels.filter((k) => k.name.startsWith('matmul')).reduce((a, k) => a + k.ms, 0); }
    const shapeMs = shapes.map(alignkitMs);
    akShapes = akShapes ? low(akShapes, shapeMs) : shapeMs;
    const p = JSON.parse(execFileSync(python, [script, JSON.stringify({ config: c, threads, reps, shapes: shapes.map((s) => s.slice(0, 5)) })],
      { env: peerEnv(threads), encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop()!) as Peer;
    peer = peer ? { ...(p.step_ms < peer.step_ms ? p : peer), shape_ms: low(peer.shape_ms, p.shape_ms) } : p;
    const pk = fmaPeak();
    if (pk !== null) peak = Math.max(peak ?? 0, pk);
  }
  if (!peer || !akShapes) continue;
  console.log(`\nconfig ${c}: alignkit step ${akStep.toFixed(1)} ms (${(t.tokens / akStep * 1000).toFixed(0)} tokens/s; products ${akGemm.toFixed(1)} ms of the profiled ${profiled.toFixed(1)}), ` +
    `PyTorch ${peer.torch} step ${peer.step_ms.toFixed(1)} ms (${(t.tokens / peer.step_ms * 1000).toFixed(0)} tokens/s; mm/addmm/bmm ${peer.gemm_ms.toFixed(1)} ms of the profiled ${peer.profiled_ms.toFixed(1)}): ratio ${(peer.step_ms / akStep).toFixed(2)}×; FMA peak ${peak?.toFixed(0) ?? 'not measured'} GFLOP/s`);
  console.log('  product                    M×K·K×N        per step  alignkit ms  torch.mm ms  GFLOP/s alignkit / torch');
  let ak = 0, pt = 0, best = 0, flops = 0;
  shapes.forEach((s, i) => {
    const [M, N, K, ta, tb, times, name] = s, a = akShapes![i]!, p = peer!.shape_ms[i]!, gf = (ms: number): string => (2 * M * N * K / ms / 1e6).toFixed(0);
    ak += times * a; pt += times * p; best += times * Math.min(a, p); flops += times * 2 * M * N * K;
    console.log(`  ${name.padEnd(22)} ${`${M}×${K}${ta ? 'ᵀ' : ''}·${K}×${N}${tb ? 'ᵀ' : ''}`.padEnd(20)} ${String(times).padStart(3)}  ${a.toFixed(3).padStart(11)}  ${p.toFixed(3).padStart(11)}  ${gf(a).padStart(8)} / ${gf(p)}`);
  });
  const rest = akStep - ak, need = peer.step_ms / TARGET[c], needProducts = need - rest;
  console.log(`  sums per step: alignkit ${ak.toFixed(1)} ms, torch.mm ${pt.toFixed(1)} ms, the faster of the two per product ${best.toFixed(1)} ms`);
  console.log(`  alignkit's step less its products (timed alone): ${rest.toFixed(1)} ms; with the faster products: ${(rest + best).toFixed(1)} ms = ${(peer.step_ms / (rest + best)).toFixed(2)}× PyTorch's step`);
  console.log(`  target ${TARGET[c]}×: a step of ${need.toFixed(1)} ms; with the rest as it is, the products in ${needProducts.toFixed(1)} ms` +
    (needProducts > 0 ? ` = ${(pt / needProducts).toFixed(2)}× the speed of torch.mm's` : ' — less than nothing: the rest alone is over'));
  if (peak) {
    const atPeak = flops / peak / 1e6;
    console.log(`  the products' ${(flops / 1e9).toFixed(1)} GFLOP at the FMA peak: ${atPeak.toFixed(1)} ms; the target then needs the rest of the step ≤ ${(need - atPeak).toFixed(1)} ms (now ${rest.toFixed(1)})`);
  }
}
