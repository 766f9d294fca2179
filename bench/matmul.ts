// Matmul GFLOP/s of the JS reference backend (or --backend native), for square n×n·n×n at a
// few sizes and the two transposed cases backward uses. Not a test: it prints.
//   npm run build && node dist/bench/matmul.js [--sizes 64,256,512,1024] [--backend js|native]
import { getBackend } from '../src/backend/index.js';

function time(fn: () => void, minMs: number): number {
  fn();
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs || reps < 2) { fn(); reps++; t = performance.now(); }
  return (t - t0) / reps / 1000;
}

const arg = process.argv.indexOf('--sizes');
const sizes = arg > 0 ? process.argv[arg + 1]!.split(',').map(Number) : [64, 256, 512, 1024];
const bi = process.argv.indexOf('--backend');
const be = getBackend(bi > 0 && process.argv[bi + 1] === 'native' ? 'native' : 'js');
console.log(`matmul on the "${be.name}" backend (single thread), GFLOP/s = 2·n³ / seconds`);
console.log(`${'n'.padStart(6)} ${'A·B'.padStart(9)} ${'Aᵀ·B'.padStart(9)} ${'A·Bᵀ'.padStart(9)}`);
for (const n of sizes) {
  const a = new Float32Array(n * n).map(() => Math.random() - 0.5);
  const b = new Float32Array(n * n).map(() => Math.random() - 0.5);
  const c = new Float32Array(n * n);
  const minMs = n >= 1024 ? 1 : 300;
  const g = (tA: boolean, tB: boolean): string => {
    const s = time(() => be.matmul(c, a, b, 1, n, n, n, tA, tB, 0, 0, 0, false), minMs);
    return ((2 * n * n * n) / s / 1e9).toFixed(2).padStart(9);
  };
  console.log(`${String(n).padStart(6)} ${g(false, false)} ${g(true, false)} ${g(false, true)}`);
}
