// Where a batch-1 decoding step's time goes at the shape of SmolLM2-135M (issue 20, task i20n):
// the thin bf16 products alone, streamed from DRAM (30 layers' weights, 200 MB, cycled so that no
// layer is still in the 32 MiB L3), per product and per layer, against STREAM's add in the same
// process; the LM head alone (two, alternated); each with the native backend's threads and with one.
//   node dist/bench/decode-profile.js [--reps 5]
import { backend, nativeStatus } from '../src/backend/index.js';
import { loadavg } from 'node:os';
import { addTriadGbPerS } from './add-triad.js';

const C = 576, F = 1536, HD = 576, KD = 192, V = 49152, LAYERS = 30;
const at = process.argv.indexOf('--reps'), reps = at > 0 ? Number(process.argv[at + 1]) : 5;

function rand16(n: number): Uint16Array {
  const u = new Uint16Array(n);
  for (let i = 0; i < n; i++) u[i] = 0x3c00 + ((i * 2654435761) >>> 22) % 256; // small bf16 values
  return u;
}

const shapes: [string, number, number][] = [['q', HD, C], ['k', KD, C], ['v', KD, C], ['o', C, HD], ['gate', F, C], ['up', F, C], ['down', C, F]];
const layers = Array.from({ length: LAYERS }, () => shapes.map(([, N, K]) => rand16(N * K)));
const heads = [rand16(V * C), rand16(V * C)]; // alternated: one 57 MB head would be read back half from the 32 MiB L3
const x = new Float32Array(F).map((_, i) => Math.sin(i)), out = new Float32Array(V);
const median = (a: number[]): number => a.slice().sort((p, q) => p - q)[a.length >> 1]!;

/** ms per pass over every layer's seven products, and per product kind (summed over layers). */
function layerPass(): { total: number; per: number[] } {
  const per = shapes.map(() => 0);
  const t0 = performance.now();
  for (let l = 0; l < LAYERS; l++)
    for (let p = 0; p < shapes.length; p++) {
      const s = performance.now(), [, N, K] = shapes[p]!;
      backend().matmulHalf(out, x, layers[l]![p]!, true, 1, N, K, true, false);
      per[p]! += performance.now() - s;
    }
  return { total: performance.now() - t0, per };
}

let which = 0;
function headPass(): number {
  const t0 = performance.now();
  backend().matmulHalf(out, x, heads[which++ % 2]!, true, 1, V, C, true, false);
  return performance.now() - t0;
}

const layerBytes = shapes.reduce((s, [, N, K]) => s + 2 * N * K, 0), headBytes = 2 * V * C;
const st = nativeStatus();
console.log(`backend ${backend().name}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const threads of [0, 1]) {
  const n = st.ok ? st.native.setThreads(threads === 0 ? 2 : 1) : 1;
  const bw = addTriadGbPerS();
  layerPass(); headPass();
  const passes = Array.from({ length: reps }, layerPass), heads = Array.from({ length: reps * 3 }, headPass);
  const tl = median(passes.map((p) => p.total)), th = median(heads);
  console.log(`threads ${n}: triad ${bw.toFixed(1)} GB/s | 30 layers' products ${tl.toFixed(2)} ms = ${(LAYERS * layerBytes / tl / 1e6).toFixed(1)} GB/s (${(100 * LAYERS * layerBytes / tl / 1e6 / bw).toFixed(0)}%) | head ${th.toFixed(2)} ms = ${(headBytes / th / 1e6).toFixed(1)} GB/s (${(100 * headBytes / th / 1e6 / bw).toFixed(0)}%)`);
  const per = shapes.map((_, p) => median(passes.map((q) => q.per[p]!)));
  console.log('  per product over 30 layers: ' + shapes.map(([name, N, K], p) => `${name} ${per[p]!.toFixed(2)} ms ${(LAYERS * 2 * N * K / per[p]! / 1e6).toFixed(1)} GB/s`).join(', '));
}
if (st.ok) st.native.setThreads(2);

// The real step (random SmolLM2-shape bf16 checkpoint, greedy, 128 new tokens after a 64-token
// prompt), timed by wrapping the step, the fused layer calls and the head's product.
const { writeRandomCheckpoint, loadModelDir, generate } = await import('../src/model/index.js');
const { LlamaDecoder } = await import('../src/model/sampling/decode/llama.js');
const { FusedLayers } = await import('../src/model/sampling/decode/fused.js');
const { SHAPES } = await import('./half-weights.js');
const { noGrad } = await import('../src/autograd/index.js');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { rmSync } = await import('node:fs');
const dir = join(tmpdir(), `alignkit-decode-profile-${process.pid}`);
writeRandomCheckpoint(dir, SHAPES.smol);
try {
  const model = loadModelDir(dir, { frozenDtype: 'keep', tokenizer: false }).model;
  const acc = { step: 0, layers: 0, head: 0, steps: 0, gap: 0, end: 0 };
  const wrap = <T extends object>(o: T, k: keyof T, slot: keyof typeof acc, when: () => boolean = () => true): void => {
    const f = o[k] as unknown as (...a: unknown[]) => unknown;
    (o as Record<keyof T, unknown>)[k] = function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now(), r = f.apply(this, a);
      if (when()) acc[slot] += performance.now() - t0;
      return r;
    };
  };
  let inStep = false;
  const step = LlamaDecoder.prototype.step;
  LlamaDecoder.prototype.step = function (this: InstanceType<typeof LlamaDecoder>, ...a: Parameters<typeof step>) {
    inStep = true; acc.steps++;
    const t0 = performance.now(), r = step.apply(this, a);
    if (acc.end > 0) acc.gap += t0 - acc.end;
    acc.end = performance.now(); acc.step += acc.end - t0; inStep = false;
    return r;
  };
  wrap(FusedLayers.prototype, 'run', 'layers');
  wrap(backend(), 'matmulHalf', 'head', () => inStep);
  const prompt = Array.from({ length: 64 }, (_, i) => (i * 7919) % 49152);
  if (st.ok) st.native.setThreads(2);
  noGrad(() => generate(model, [prompt], { maxNewTokens: 4, temperature: 0 }));
  // Breakdown: sums over a run of 128 new tokens.
  Object.assign(acc, { step: 0, layers: 0, head: 0, steps: 0, gap: 0, end: 0 });
  const t0 = performance.now();
  noGrad(() => generate(model, [prompt], { maxNewTokens: 128, temperature: 0, stopTokens: [] }));
  const n = acc.steps, per = (v: number): string => (v / n).toFixed(3);
  console.log(`2 threads: ${n} steps, ${(1000 * n / (performance.now() - t0)).toFixed(1)} tok/s with the prefill; per step ms: step ${per(acc.step)}, ` +
    `30 fused layers ${per(acc.layers)}, head product ${per(acc.head)}, rest of step ${per(acc.step - acc.layers - acc.head)}, between steps (sampling, loop) ${(acc.gap / (n - 1)).toFixed(3)}`);
  // A/B in one run: steps alternate between grouped and separate projections (a step's mode is
  // read by each fused layer call), so that the load of a shared machine falls on both alike.
  const times: Record<'grouped' | 'separate', number[]> = { grouped: [], separate: [] };
  let k = 0;
  const timed = LlamaDecoder.prototype.step;
  LlamaDecoder.prototype.step = function (this: InstanceType<typeof LlamaDecoder>, ...a: Parameters<typeof step>) {
    FusedLayers.separateProjections = k++ % 2 === 1;
    const s0 = performance.now(), r = timed.apply(this, a);
    times[FusedLayers.separateProjections ? 'separate' : 'grouped'].push(performance.now() - s0);
    return r;
  };
  for (let rep = 0; rep < reps; rep++) noGrad(() => generate(model, [prompt], { maxNewTokens: 128, temperature: 0, stopTokens: [] }));
  FusedLayers.separateProjections = false;
  LlamaDecoder.prototype.step = timed;
  // Quantiles of the step times: on a shared machine the low ones are the steps no other process slowed.
  const at = (a: number[], q: number): number => a.slice().sort((x, y) => x - y)[Math.floor(q * (a.length - 1))]!;
  console.log(`A/B, ${times.grouped.length} steps each (grouped: this path; separate: the layer before it), step ms, grouped vs separate: ` +
    [0.1, 0.25, 0.5].map((q) => `p${100 * q} ${at(times.grouped, q).toFixed(3)} vs ${at(times.separate, q).toFixed(3)} (ratio ${(at(times.separate, q) / at(times.grouped, q)).toFixed(3)})`).join(', ') +
    `; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
