// matmul on both backends: every transpose case at odd sizes, a long reduction, batches with
// broadcast operands (stride 0), outputs summed over the batch, accumulation, and views that
// start inside their buffer (byteOffset), on one thread and on several.
import { describe, test } from 'node:test';
import { conform, f, Gen, skipNative, withThreads } from './harness.js';

const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

function mm(g: Gen, batch: number, M: number, N: number, K: number, tA: boolean, tB: boolean, sA: number, sB: number,
  sO: number, acc: boolean, tol = 1e-5): void {
  const na = Math.max(1, (batch - 1) * sA + M * K), nb = Math.max(1, (batch - 1) * sB + K * N);
  const no = Math.max(1, (batch - 1) * sO + M * N);
  conform(`matmul batch=${batch} M=${M} N=${N} K=${K} tA=${tA} tB=${tB} sA=${sA} sB=${sB} sO=${sO} acc=${acc}`,
    { out: g.normal(no), a: g.normal(na), b: g.normal(nb) },
    (be, x) => be.matmul(f(x, 'out'), f(x, 'a'), f(x, 'b'), batch, M, N, K, tA, tB, sA, sB, sO, acc), tol);
}

describe('conformance: matmul', { skip: skipNative }, () => {
  test('every transpose case, M, N, K in {1, 7, 33, 100}', () => {
    const g = new Gen(1);
    const sizes = [1, 7, 33, 100];
    for (const [tA, tB] of TRANSPOSES)
      for (const M of sizes) for (const N of sizes) for (const K of sizes) mm(g, 1, M, N, K, tA, tB, 0, 0, 0, false);
  });

  test('a 1000-long reduction and 1000-wide outputs, every transpose case', () => {
    const g = new Gen(2);
    for (const [tA, tB] of TRANSPOSES) {
      mm(g, 1, 37, 65, 1000, tA, tB, 0, 0, 0, false, 1e-4);
      mm(g, 1, 1000, 17, 45, tA, tB, 0, 0, 0, false);
      mm(g, 1, 9, 1000, 31, tA, tB, 0, 0, 0, true);
    }
  });

  test('sizes that cross the cache blocks (K > kc, M > mc, ragged edges)', () => {
    const g = new Gen(3);
    mm(g, 1, 350, 70, 600, false, false, 0, 0, 0, false, 1e-4);
    mm(g, 1, 129, 257, 513, true, true, 0, 0, 0, true, 1e-4);
  });

  test('K = 0 leaves zeros, or the old values when accumulating', () => {
    const g = new Gen(4);
    mm(g, 1, 5, 6, 0, false, false, 0, 0, 0, false);
    mm(g, 2, 5, 6, 0, false, true, 0, 0, 30, true);
  });

  test('batched: own operands, a broadcast operand (stride 0), accumulation', () => {
    const g = new Gen(5);
    for (const [tA, tB] of TRANSPOSES) {
      mm(g, 3, 7, 33, 9, tA, tB, 7 * 9, 9 * 33, 7 * 33, false);
      mm(g, 4, 33, 7, 100, tA, tB, 0, 100 * 7, 33 * 7, true);
      mm(g, 4, 33, 7, 100, tA, tB, 33 * 100, 0, 33 * 7, false);
      mm(g, 6, 64, 64, 64, tA, tB, 64 * 64, 64 * 64, 64 * 64, false);
    }
  });

  test('batched output stride 0 sums over the batch, with and without accumulate', () => {
    const g = new Gen(6);
    for (const [tA, tB] of TRANSPOSES) {
      mm(g, 5, 7, 33, 20, tA, tB, 7 * 20, 20 * 33, 0, false);
      mm(g, 5, 7, 33, 20, tA, tB, 7 * 20, 0, 0, true);
    }
  });

  test('subarray views: operands and output start at a byteOffset', () => {
    const g = new Gen(7);
    const M = 13, N = 17, K = 19;
    const buf = { out: g.normal(M * N + 5), a: g.normal(M * K + 3), b: g.normal(K * N + 11) };
    conform('matmul on subarrays', buf, (be, x) =>
      be.matmul(f(x, 'out').subarray(5), f(x, 'a').subarray(3), f(x, 'b').subarray(11), 1, M, N, K, false, true, 0, 0, 0, false));
  });

  test('one thread and three threads give the same results as the reference', () => {
    const g = new Gen(8);
    for (const t of [1, 3])
      withThreads(t, () => {
        mm(g, 1, 150, 90, 200, false, false, 0, 0, 0, false, 1e-4);
        mm(g, 8, 20, 30, 40, true, false, 800, 1200, 600, true);
      });
  });

  test('a long K over a small output, split across threads, every transpose case, accumulation', () => {
    // The weight-gradient shape Xᵀ·dY: M·N small and K ≥ 4·max(M, N), where the native driver
    // gives each thread a slice of K and sums the partial products (K = 1031 splits unevenly).
    const g = new Gen(10);
    for (const t of [2, 3])
      withThreads(t, () => {
        for (const [tA, tB] of TRANSPOSES) {
          mm(g, 1, 40, 24, 1031, tA, tB, 0, 0, 0, false, 1e-4);
          mm(g, 1, 17, 64, 2048, tA, tB, 0, 0, 0, true, 1e-4);
        }
      });
  });

  test('row-major B packed row by row: few rows, a ragged last panel, K > kc, accumulation, threads', () => {
    const g = new Gen(9);
    for (const t of [1, 3])
      withThreads(t, () => {
        for (const M of [5, 14, 32]) {
          mm(g, 1, M, 1000, 60, false, false, 0, 0, 0, false);
          mm(g, 1, M, 70, 1100, true, false, 0, 0, 0, true, 1e-4);
        }
      });
  });
});
