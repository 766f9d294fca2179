// matmulBf16Dot, the opt-in bf16-compute product (issue 20): on every backend and SIMD path
// against a float64 sum of the bfloat16-rounded inputs, within the error bound of a float32 sum;
// and a case whose answer shows the activations are rounded (to nearest, ties to even) and not
// used as they are, as matmulHalf uses them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, nativeStatus, type Backend } from '../../src/backend/index.js';
import { roundToBf16, widenHalf } from '../../src/tensor/index.js';
import { Gen, isas, withThreads } from './harness.js';

const U = 2 ** -24; // float32's unit roundoff

/** n bfloat16 weights of ordinary magnitudes (|w| in [2^-6, 2)), either sign. */
function weights(g: Gen, n: number): Uint16Array {
  return Uint16Array.from({ length: n }, () => (g.int(2) << 15) | ((121 + g.int(7)) << 7) | g.int(128));
}

/**
 * The backends to check: JS, and native on each SIMD path (vdpbf16ps on avx512 where the CPU has
 * it), and on avx512 once more with AMX tiles where the CPU has them.
 */
function eachBackend(fn: (be: Backend, what: string) => void): void {
  fn(getBackend('js'), 'js');
  const st = nativeStatus();
  if (!st.ok) return;
  const before = st.native.config().isa;
  try {
    for (const isa of isas) {
      st.native.setIsa(isa);
      eachAmx((amx) => fn(st.native.backend, `native ${isa}${amx ? ' (AMX)' : st.native.config().bf16Dot ? ' (vdpbf16ps)' : ''}`));
    }
  } finally {
    st.native.setIsa(before);
  }
}

/** Runs fn with AMX switched off, then, where the CPU has it, on (AMX is on by default). */
function eachAmx(fn: (amx: boolean) => void): void {
  const st = nativeStatus();
  if (!st.ok) return;
  try {
    st.native.setAmx(false);
    fn(false);
    if (st.native.setAmx(true)) fn(true);
  } finally {
    st.native.setAmx(true);
  }
}

/**
 * Checks out (+)= bf16(a)·op(w) against the float64 sum s of the same K (+1 with `acc`) terms.
 * The products are exact in float32 (8-bit significands), so the only errors are the float32
 * additions: whatever their order (a chain, vdpbf16ps's pairs, a reduction tree), n terms summed
 * in float32 are within γ(n−1)·Σ|terms| of s, γ(m) = m·u/(1 − m·u) (Higham, Accuracy and
 * Stability, eq. 4.4). No term here is near float32's subnormals, which vdpbf16ps flushes.
 */
function check(g: Gen, M: number, N: number, K: number, tB: boolean, acc: boolean): void {
  const a = g.normal(M * K), w = weights(g, K * N), out0 = g.normal(M * N);
  const x = roundToBf16(a), y = widenHalf(w, 'bfloat16');
  eachBackend((be, what) => {
    const out = out0.slice();
    be.matmulBf16Dot(out, a, w, M, N, K, tB, acc);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = acc ? out0[i * N + j]! : 0, abs = Math.abs(s);
      for (let k = 0; k < K; k++) {
        const p = x[i * K + k]! * y[tB ? j * K + k : k * N + j]!;
        s += p; abs += Math.abs(p);
      }
      const n = K + (acc ? 1 : 0), gamma = (n * U) / (1 - n * U), got = out[i * N + j]!;
      if (!(Math.abs(got - s) <= gamma * abs)) {
        assert.fail(`${what} M=${M} N=${N} K=${K} transB=${tB} acc=${acc}: [${i}, ${j}] is ${got}, the float64 sum is ${s} (bound ${gamma * abs})`);
      }
    }
  });
}

/** Columns [j0, j0 + n) of every row of out (M, N) are narrow (M, n), bit for bit. */
function sameColumns(out: Float32Array, N: number, narrow: Float32Array, n: number, j0: number, M: number, what: string): void {
  for (let i = 0; i < M; i++) {
    const row = out.subarray(i * N + j0, i * N + j0 + n), want = narrow.subarray(i * n, (i + 1) * n);
    if (!row.every((v, c) => Object.is(v, want[c]))) assert.fail(`${what}: row ${i}, columns ${j0}… differ from the narrow product`);
  }
}

describe('conformance: matmulBf16Dot', () => {
  test('decode and training shapes, both layouts, ragged edges, accumulation', () => {
    const g = new Gen(21);
    for (const tB of [true, false]) {
      for (const [M, N, K] of [[1, 5, 1], [3, 7, 33], [32, 37, 70], [13, 40, 64], [5, 33, 31], [2, 3, 0]] as const) check(g, M, N, K, tB, M % 2 === 1);
    }
  });

  test('past the kernels\' blocks: K > 1024, M > 256, a·Wᵀ in several passes; one thread and two give the same bits', () => {
    const g = new Gen(22);
    for (const tB of [true, false]) {
      check(g, 6, 9, 2100, tB, false);
      check(g, 300, 20, 40, tB, true);
      check(g, 70, 20, 8200, tB, true); // a's 32-row panels past 1 MiB: more than one pass over W (AMX)
    }
    const st = nativeStatus();
    if (!st.ok) return;
    const a = g.normal(70 * 300), w = weights(g, 300 * 130);
    eachAmx((amx) => {
      for (const M of [70, 20]) for (const tB of [true, false]) { // 20 rows: the decode step's swapped kernel
        const one = new Float32Array(M * 130), two = new Float32Array(M * 130);
        withThreads(1, () => st.native.backend.matmulBf16Dot(one, a, w, M, 130, 300, tB, false));
        withThreads(2, () => st.native.backend.matmulBf16Dot(two, a, w, M, 130, 300, tB, false));
        assert.deepEqual(two, one, `M=${M} transB=${tB} AMX=${amx}: the thread split changed a result`);
      }
    });
  });

  test('a·W with more strips than a thread keeps sums for: spans of strips through every K block, the bits of narrow products, any thread count', () => {
    // 256 rows (one block of a at this K), K past 1024 (packed 256 deep: five blocks, the last
    // short), 66 strips (the last ragged): 2.1 MB of sums between K blocks on one thread and 1.06
    // on two, so the AMX kernel runs them in spans. Each output is one chain over k whatever
    // strips share its pass, so the product equals the same product taken 256 columns at a time
    // (8 strips: one span), bit for bit.
    const st = nativeStatus();
    if (!st.ok) return;
    const g = new Gen(24), [M, N, K] = [256, 2085, 1056], be = st.native.backend;
    const a = g.normal(M * K), w = weights(g, K * N);
    eachAmx((amx) => {
      const one = new Float32Array(M * N), two = new Float32Array(M * N);
      withThreads(1, () => be.matmulBf16Dot(one, a, w, M, N, K, false, false));
      withThreads(2, () => be.matmulBf16Dot(two, a, w, M, N, K, false, false));
      assert.deepEqual(two, one, `AMX=${amx}: the thread split changed a result`);
      for (let j0 = 0; j0 < N; j0 += 256) {
        const n = Math.min(256, N - j0), ws = new Uint16Array(K * n), narrow = new Float32Array(M * n);
        for (let k = 0; k < K; k++) ws.set(w.subarray(k * N + j0, k * N + j0 + n), k * n);
        be.matmulBf16Dot(narrow, a, ws, M, n, K, false, false);
        sameColumns(two, N, narrow, n, j0, M, `AMX=${amx}`);
      }
    });
    check(g, 40, 300, 1056, false, true); // K past one packed block on every backend, against the float64 sum
  });

  test('a·Wᵀ with a long output row (N ≥ 8192: W\'s blocks in groups against each chunk): the bits of narrow products', () => {
    // 257 blocks of W (the last ragged), 40 rows (a full chunk and a half one); K 70 pads every
    // block (the group's copies side by side) and K 64 reads W in place. Taken 1024 rows of W at a
    // time (one block at a time), each output is the same chain, so the same bits.
    const st = nativeStatus();
    if (!st.ok) return;
    const g = new Gen(25), be = st.native.backend, [M, N] = [40, 8192 + 37];
    for (const K of [70, 64]) {
      const a = g.normal(M * K), w = weights(g, N * K);
      eachAmx((amx) => {
        const all = new Float32Array(M * N);
        be.matmulBf16Dot(all, a, w, M, N, K, true, false);
        for (let j0 = 0; j0 < N; j0 += 1024) {
          const n = Math.min(1024, N - j0), narrow = new Float32Array(M * n);
          be.matmulBf16Dot(narrow, a, w.subarray(j0 * K, (j0 + n) * K), M, n, K, true, false);
          sameColumns(all, N, narrow, n, j0, M, `K=${K} AMX=${amx}`);
        }
      });
    }
  });

  test('a·Wᵀ: a row\'s numbers do not depend on the rows beside it (any M gives each row the bits it gets alone)', () => {
    const st = nativeStatus();
    if (!st.ok) return;
    const g = new Gen(23), M = 70; // M past 32
    // K past the strip kernel's 512-deep blocks; then a W of 18 MB, past the size from which every
    // 32-row chunk of a is packed before one pass over W.
    for (const [N, K] of [[29, 1100], [30000, 300]] as const) for (const acc of [false, true]) {
      const a = g.normal(M * K), w = weights(g, N * K), out0 = g.normal(M * N);
      eachAmx((amx) => {
        const all = out0.slice();
        st.native.backend.matmulBf16Dot(all, a, w, M, N, K, true, acc);
        for (const i of [0, 15, 16, 31, 32, 33, 63, 64, 69]) {
          const one = out0.slice(i * N, (i + 1) * N);
          st.native.backend.matmulBf16Dot(one, a.subarray(i * K, (i + 1) * K), w, 1, N, K, true, acc);
          assert.deepEqual(all.subarray(i * N, (i + 1) * N), one, `N=${N} K=${K} accumulate=${acc} AMX=${amx}: row ${i} of ${M} vs alone`);
        }
      });
    }
  });

  test('a NaN weight reaches only its own column (no kernel reads past a row of W into the next)', () => {
    // K = 33, 70: rows of W whose length is not a multiple of a 32-deep step or tile.
    const g = new Gen(24);
    for (const K of [33, 70]) for (const tB of [true, false]) {
      const M = 20, N = 40, bad = 7, a = g.normal(M * K), w = weights(g, N * K);
      for (let k = 0; k < K; k++) w[tB ? bad * K + k : k * N + bad] = 0x7fc0; // column `bad` of op(W): NaN
      eachBackend((be, what) => {
        const out = new Float32Array(M * N);
        be.matmulBf16Dot(out, a, w, M, N, K, tB, false);
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          if (Number.isNaN(out[i * N + j]) !== (j === bad)) assert.fail(`${what} K=${K} transB=${tB}: [${i}, ${j}] is ${out[i * N + j]}`);
        }
      });
    }
  });

  test('activations are rounded to bfloat16, to nearest with ties to even', () => {
    // Rows of one value each against weights of 1, K = 64: a sum of 64 equal terms, exact in float32.
    // 1 + 3·2^-10 rounds down to 1; 1 + 2^-8 is a tie that goes to the even 1; 1 + 3·2^-8 a tie
    // that goes to the even 1 + 2^-6 (truncation would give 1 + 2^-7). Unrounded, the products
    // would sum to 64.1875, 64.25 and 64.75, as matmulHalf's do.
    const K = 64, N = 2, vals = [1 + 3 * 2 ** -10, 1 + 2 ** -8, 1 + 3 * 2 ** -8];
    const a = Float32Array.from({ length: vals.length * K }, (_, n) => vals[Math.floor(n / K)]!);
    const ones = new Uint16Array(K * N).fill(0x3f80);
    eachBackend((be, what) => {
      for (const tB of [true, false]) {
        const out = new Float32Array(vals.length * N), exact = new Float32Array(vals.length * N);
        be.matmulBf16Dot(out, a, ones, vals.length, N, K, tB, false);
        be.matmulHalf(exact, a, ones, true, vals.length, N, K, tB, false);
        assert.deepEqual([...out], [64, 64, 64, 64, 65, 65], `${what} transB=${tB}`);
        assert.deepEqual([...exact], [64.1875, 64.1875, 64.25, 64.25, 64.75, 64.75], `${what} transB=${tB}: matmulHalf`);
      }
    });
  });
});
