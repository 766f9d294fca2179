// The opt-in bf16 compute product (matmulBf16Dot) at decode shapes, with the weight already in
// cache ("hot": one copy, used again and again) and streamed from DRAM ("DRAM": copies cycled
// through more than the 32 MiB L3, as a decoding step meets its layers' weights), median of reps.
// The gap between the two is what the next-tile prefetch in gemm-bf16dot.cc's swap_tiles closes.
//   node dist/bench/bf16dot-stream.js [M,N,K ...]   (default: config D's and C's batch-32 shapes)
import { backend } from '../src/backend/index.js';

const shapes = process.argv.length > 2
  ? process.argv.slice(2).map((s) => s.split(',').map(Number) as [number, number, number])
  : ([[32, 896, 896], [32, 4864, 896], [32, 896, 4864], [32, 1536, 576], [32, 576, 1536], [8, 4864, 896]] as [number, number, number][]);
const median = (a: number[]): number => a.slice().sort((p, q) => p - q)[a.length >> 1]!;

for (const [M, N, K] of shapes) {
  if (![M, N, K].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`bf16dot-stream: shape ${M},${N},${K}: expected M,N,K positive integers`);
  const a = new Float32Array(M * K).map((_, i) => Math.sin(i)), out = new Float32Array(M * N);
  const line: string[] = [];
  for (const hot of [true, false]) {
    const copies = hot ? 1 : Math.max(2, Math.ceil(96e6 / (N * K * 2)));
    const ws = Array.from({ length: copies }, () => new Uint16Array(N * K).map((_, i) => 0x3c00 + (i % 97)));
    const ms: number[] = [];
    for (let r = 0; r < Math.max(24, 4 * copies); r++) {
      const t = performance.now();
      backend().matmulBf16Dot(out, a, ws[r % copies]!, M, N, K, true, false);
      if (r >= copies) ms.push(performance.now() - t);
    }
    line.push(`${hot ? 'hot' : 'DRAM'} ${((2 * M * N * K) / 1e6 / median(ms)).toFixed(0)} GFLOP/s`);
  }
  console.log(`${M}×${K}·${N}×${K}ᵀ: ${line.join(', ')}`);
}
