// Where a batch-1 decoding step's time goes (issue 20): ms per token of the decoder's step at the
// shape of SmolLM2-135M (or Qwen2.5-0.5B) with random weights, bf16 kept 16-bit or float32, after
// 64 warm-up steps, and with --ops each backend kernel the step calls from JavaScript timed (with
// --ops the per-layer native call of decode/fused.ts is off, since the timed backend is not the
// native one: this times llama.ts's per-kernel path). GB/s = bytes of matrices read per token ÷ time;
// cpuMsPerToken (every thread's CPU time) is the steadier figure on a shared machine.
//   node dist/bench/decode-ops.js [--shape smol|qwen] [--dtype bf16|f32] [--ops] [--steps 128]
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../src/autograd/index.js';
import { backend, setBackend, type Backend } from '../src/backend/index.js';
import { loadModelDir, writeRandomCheckpoint } from '../src/model/index.js';
import { RowCache } from '../src/model/sampling/batch.js';
import { Decoder } from '../src/model/sampling/decode.js';
import { SHAPES } from './half-weights.js';

const flag = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const shape = flag('shape', 'smol') as keyof typeof SHAPES, dtype = flag('dtype', 'bf16'), steps = +flag('steps', '128');
const dir = join(tmpdir(), `alignkit-decode-ops-${shape}`);
if (!existsSync(join(dir, 'config.json'))) writeRandomCheckpoint(dir, SHAPES[shape]);
const model = loadModelDir(dir, { frozenDtype: dtype === 'f32' ? 'float32' : 'keep', tokenizer: false }).model;

/** Kernel → [ms, calls]; products labelled by their N×K. */
const times = new Map<string, [number, number]>();
if (process.argv.includes('--ops')) {
  const inner = backend(), timed: Record<string, unknown> = { name: `${inner.name}+ops` };
  for (const [k, f] of Object.entries(inner)) {
    if (typeof f !== 'function') continue;
    timed[k] = (...a: unknown[]): unknown => {
      const t0 = performance.now(), r = (f as (...x: unknown[]) => unknown).apply(inner, a);
      const key = k === 'matmul' && a[3] !== 1 ? 'matmul (attention, batched)' : k === 'matmulHalf' || k === 'matmul' ? `${k} ${a[5]}×${a[6]}`
        : k === 'binaryForward' ? `${k} ${String(a[0])}` : k;
      const e = times.get(key) ?? [0, 0];
      e[0] += performance.now() - t0; e[1]++;
      times.set(key, e);
      return r;
    };
  }
  setBackend(timed as unknown as Backend);
}

const cache = new RowCache(model.config.nLayer), decoder = new Decoder(model, cache, 1);
const ids = Int32Array.of(5), positions = new Int32Array(1);
let mask = new Float32Array(0);
const step = (): void => {
  positions[0] = cache.length;
  if (mask.length < cache.length + 1) mask = new Float32Array(2 * (cache.length + 1));
  decoder.step(ids, positions, mask.subarray(0, cache.length + 1));
};
noGrad(() => { for (let i = 0; i < 64; i++) step(); });
times.clear();
const t0 = performance.now(), cpu0 = process.cpuUsage();
noGrad(() => { for (let i = 0; i < steps; i++) step(); });
const ms = (performance.now() - t0) / steps, cpu = process.cpuUsage(cpu0);
let bytes = 0;
const per = dtype === 'f32' ? 4 : 2;
for (const [name, t] of model.params) if (t.rank === 2 && !/embed_tokens/.test(name)) bytes += t.size * per;
if (model.config.tieEmbeddings) bytes += model.headWeight().size * per;
console.log(JSON.stringify({ shape, dtype, backend: backend().name, msPerToken: +ms.toFixed(3), cpuMsPerToken: +((cpu.user + cpu.system) / 1000 / steps).toFixed(3), tokensPerS: +(1000 / ms).toFixed(1), mbPerToken: +(bytes / 1e6).toFixed(1), gbPerS: +(bytes / ms / 1e6).toFixed(1) }));
let total = 0;
const rows = [...times].map(([k, [t, n]]) => { total += t; return [k, t / steps, n / steps, (1000 * t) / n] as const; });
rows.sort((a, b) => b[1] - a[1]);
for (const [k, t, n, us] of rows.slice(0, 14)) console.log(`${k.padEnd(32)} ${t.toFixed(3).padStart(7)} ms/token  ${n.toFixed(2).padStart(6)} calls/token  ${us.toFixed(1).padStart(8)} µs/call`);
if (times.size) console.log(`kernels ${(total / steps).toFixed(3)} of ${ms.toFixed(3)} ms/token; the rest is JavaScript around them`);
