// matmul on both backends: every transpose case at odd sizes, a long reduction, batches with
// broadcast operands (stride 0), outputs summed over the batch, accumulation, and views that
// start inside their buffer (byteOffset), on one thread and on several.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeStatus } from '../../src/backend/index.js';
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

describe('matmul: 5 to 13 rows (grouped-query attention in a decoding step)', { skip: skipNative }, () => {
  // These run without packing (gemm-few-rows.cc) where the CPU has AVX-512, and must give the
  // packed path's numbers: the same rows inside a 17-row product take the packed path (from 17
  // columns on; gemm-few-cols.cc takes products of 16 rows or fewer), whose outputs do not depend
  // on the rows beside them, so each row must match it bit for bit.
  test('each row has the bits it has inside a 17-row product: both layouts of B, ragged N, K up to kc, accumulation, threads, batches', () => {
    const st = nativeStatus();
    if (!st.ok) return;
    const be = st.native.backend, g = new Gen(31);
    for (const threads of [1, 2])
      withThreads(threads, () => {
        for (const M of [5, 7, 8, 13]) for (const N of [1, 17, 64, 65, 129, 1500]) for (const K of [1, 16, 64, 100, 512]) {
          for (const tB of [false, true]) for (const acc of [false, true]) {
            const batch = N > 200 ? 1 : 3, a = g.normal(batch * 17 * K), b = g.normal(batch * K * N), c0 = g.normal(batch * 17 * N);
            const full = c0.slice(), few = new Float32Array(batch * M * N);
            for (let t = 0; t < batch; t++) few.set(full.subarray(t * 17 * N, t * 17 * N + M * N), t * M * N);
            // The few-row product reads the first M of each batch entry's 17 rows (stride 17·K), writes M·N apart.
            be.matmul(few, a, b, batch, M, N, K, false, tB, 17 * K, K * N, M * N, acc);
            be.matmul(full, a, b, batch, 17, N, K, false, tB, 17 * K, K * N, 17 * N, acc);
            for (let t = 0; t < batch; t++) {
              const got = few.subarray(t * M * N, (t + 1) * M * N), want = full.subarray(t * 17 * N, t * 17 * N + M * N);
              assert.deepEqual(got, want, `M=${M} N=${N} K=${K} transB=${tB} accumulate=${acc} threads=${threads} batch entry ${t}`);
            }
          }
        }
      });
  });

  test('the decoding step\'s shapes against the reference: keys and values read in place from a cache of 256 rows', () => {
    const g = new Gen(32), cap = 256, D = 64;
    for (const n of [1, 63, 200]) {
      // Q·Kᵀ: 4 kv heads of 7 query rows over n keys; then P·V.
      mm(g, 4, 7, n, D, false, true, 7 * D, cap * D, 7 * n, false);
      mm(g, 4, 7, D, n, false, false, 7 * n, cap * D, 7 * D, false);
    }
  });
});

describe('matmul: at most 16 columns or 16 rows (a LoRA adapter\'s rank side)', { skip: skipNative }, () => {
  // These run without packing (gemm-few-cols.cc) where the CPU has AVX-512, and must give the
  // packed path's numbers. The same rows and columns inside a product of at least 17 rows and 17
  // columns take the packed path, whose outputs do not depend on the rows and columns beside them.
  // (4 rows or columns and fewer take the thin path, gemm-small.cc, with numbers of its own.)
  test('each output has the bits it has inside a wider product: every layout, ragged tiles, K blocks, accumulation, threads', () => {
    const st = nativeStatus();
    if (!st.ok) return;
    const be = st.native.backend, g = new Gen(33);
    // A logical rows×cols matrix (row-major) stored as is, or transposed when t.
    const store = (x: Float32Array, rows: number, cols: number, t: boolean): Float32Array => {
      if (!t) return x;
      const out = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
      return out;
    };
    const shapes: [number, number][] = [[512, 16], [300, 16], [100, 5], [29, 16], [28, 6], [17, 9], [5, 16], [16, 16], [16, 576], [16, 300], [14, 100], [5, 17], [9, 40]];
    let checked = 0;
    for (const threads of [1, 2])
      withThreads(threads, () => {
        for (const [M, N] of shapes) for (const K of [1, 17, 300, 513, 1100]) for (const [tA, tB] of TRANSPOSES) for (const acc of [false, true]) {
          if (M * N * K > 2e6 && (tA !== tB || acc)) continue;
          // With a K long next to M and N, two threads split K (gemm.cc's split_k) or not by sizes
          // the wider product does not share: no common reference.
          if (threads > 1 && K >= 512 && K >= 4 * Math.max(M, N)) continue;
          const M2 = Math.max(M, 17), N2 = Math.max(N, 17);
          const A = g.normal(M2 * K), B = g.normal(K * N2), c0 = g.normal(M2 * N2);
          const Bn = new Float32Array(K * N), few = new Float32Array(M * N), wide = c0.slice();
          for (let k = 0; k < K; k++) Bn.set(B.subarray(k * N2, k * N2 + N), k * N);
          for (let i = 0; i < M; i++) few.set(c0.subarray(i * N2, i * N2 + N), i * N);
          be.matmul(few, store(A.subarray(0, M * K), M, K, tA), store(Bn, K, N, tB), 1, M, N, K, tA, tB, 0, 0, 0, acc);
          be.matmul(wide, store(A, M2, K, tA), store(B, K, N2, tB), 1, M2, N2, K, tA, tB, 0, 0, 0, acc);
          for (let i = 0; i < M; i++)
            assert.deepEqual(few.subarray(i * N, i * N + N), wide.subarray(i * N2, i * N2 + N),
              `M=${M} N=${N} K=${K} transA=${tA} transB=${tB} accumulate=${acc} threads=${threads}: row ${i}`);
          checked++;
        }
      });
    assert.ok(checked > 300, `${checked} products checked`);
  });

  test('LoRA\'s shapes against the reference', () => {
    const g = new Gen(34);
    for (const [tA, tB] of TRANSPOSES) {
      mm(g, 1, 512, 16, 576, tA, tB, 0, 0, 0, false, 1e-4);
      mm(g, 1, 16, 576, 512, tA, tB, 0, 0, 0, true, 1e-4);
      mm(g, 1, 200, 16, 1100, tA, tB, 0, 0, 0, true, 1e-4);
    }
  });
});

describe('matmulScaledAdd: a LoRA update added onto the base output', () => {
  test('matches the reference, ragged shapes, short and long K', () => {
    const g = new Gen(35);
    for (const [M, N, K] of [[1, 1, 1], [3, 70, 16], [74, 72, 4], [9, 33, 64], [40, 5, 100]] as const) {
      conform(`matmulScaledAdd M=${M} N=${N} K=${K}`, { out: g.normal(M * N), a: g.normal(M * K), b: g.normal(N * K) },
        (be, x) => be.matmulScaledAdd(f(x, 'out'), f(x, 'a'), f(x, 'b'), M, N, K, 2), 1e-5);
    }
  });

  test('bit for bit the product into a buffer, times scale, added onto out (the composition it replaces)', { skip: skipNative }, () => {
    const st = nativeStatus();
    if (!st.ok) return;
    const be = st.native.backend, g = new Gen(36);
    for (const threads of [1, 2])
      withThreads(threads, () => {
        // 8×32 tiles with ragged edges; 4 rows or columns (the thin path's sums); K past the tile's 64.
        for (const [M, N, K] of [[512, 4864, 16], [37, 65, 16], [5, 5, 1], [8, 32, 64], [300, 17, 7], [4, 600, 16], [600, 4, 16], [70, 90, 65]] as const) {
          const out0 = g.normal(M * N), a = g.normal(M * K), b = g.normal(N * K), scale = 0.37;
          const fused = out0.slice(), composed = out0.slice(), p = new Float32Array(M * N);
          be.matmulScaledAdd(fused, a, b, M, N, K, scale);
          be.matmul(p, a, b, 1, M, N, K, false, true, 0, 0, 0, false);
          be.binaryForward('mul', p, p, [1], Float32Array.of(scale), [0], [M * N]);
          be.binaryForward('add', composed, composed, [1], p, [1], [M * N]);
          assert.deepEqual(fused, composed, `M=${M} N=${N} K=${K} threads=${threads}`);
        }
      });
  });
});
