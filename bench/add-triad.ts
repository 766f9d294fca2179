// The memory bandwidth the development decode benches divide by: STREAM's add (a = b + c, the
// triad's traffic: two streams read, one written) over 256 MiB arrays with the native backend's
// threads, best of 6. (`alignkit bench` measures its own triad, bench/stream-triad.c.)
import { backend } from '../src/backend/index.js';

/** GB/s of the backend's add over three 256 MiB float32 arrays, the best of six passes. */
export function addTriadGbPerS(): number {
  const n = (256 * 2 ** 20) / 4, a = new Float32Array(n), b = new Float32Array(n).fill(1), c = new Float32Array(n).fill(2);
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    backend().binaryForward('add', a, b, [1], c, [1], [n]);
    best = Math.min(best, performance.now() - t0);
  }
  return (3 * 4 * n) / (best / 1000) / 1e9;
}
