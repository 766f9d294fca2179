// The frozen-weight products of a training step at the SmolLM2-135M and Qwen2.5-0.5B shapes
// (T 512), 16-bit weight against float32 weight: whether widening and packing the bf16 panels
// on every call costs anything next to the product (issue 20, point 2). CPU milliseconds of the
// cheapest of 5 calls, so that a busy machine shows the work rather than the wait; run with
// ALIGNKIT_THREADS=1 for one core's GFLOP/s.
//   ALIGNKIT_THREADS=1 node dist/bench/matmul-half.js
import { backend } from '../src/backend/index.js';
import { Rng } from '../src/tensor/index.js';

const be = backend(), rng = new Rng(5);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };

function best(f: () => void): number {
  f(); f();
  let ms = Infinity;
  for (let r = 0; r < 5; r++) { const c = cpuMs(); f(); ms = Math.min(ms, cpuMs() - c); }
  return ms;
}

// [M, N, K, transB]: x·Wᵀ forward (W (N, K)), and the backward's dY·W (W read untransposed).
const SHAPES: [number, number, number, boolean][] = [
  [512, 1536, 576, true], [512, 576, 1536, true], [512, 576, 1536, false], [512, 1536, 576, false],
  [512, 4864, 896, true], [512, 896, 4864, false],
];
for (const [M, N, K, tB] of SHAPES) {
  const a = Float32Array.from({ length: M * K }, () => rng.normal());
  const w32 = Float32Array.from({ length: K * N }, () => rng.normal() * 0.05);
  // bfloat16 bits: the top halves of the float32 weights.
  const w16 = Uint16Array.from(new Uint32Array(w32.buffer), (u) => u >>> 16);
  const out = new Float32Array(M * N), flop = 2 * M * N * K;
  const f32 = best(() => be.matmul(out, a, w32, 1, M, N, K, false, tB, 0, 0, 0, false));
  const b16 = best(() => be.matmulHalf(out, a, w16, true, M, N, K, tB, false));
  const gf = (ms: number): string => (flop / ms / 1e6).toFixed(1);
  console.log(`${M}×${K}·${tB ? 'Wᵀ' : 'W'} (N ${N})`.padEnd(26) + `float32 ${f32.toFixed(1)} ms (${gf(f32)} GFLOP/s)   bf16 ${b16.toFixed(1)} ms (${gf(b16)} GFLOP/s)   bf16/float32 ${(b16 / f32).toFixed(2)}`);
}
