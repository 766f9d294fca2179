// The int8 weight-only product (issue 20 point 2): matmulInt8 on every SIMD path against the JS
// reference (the definition: W dequantised row by row as q·scale, then matmul), and, on AVX-512
// where the thin path dequantises in registers, bit for bit against the float32 kernel on the
// dequantised weight (so int8 decoding computes exactly the model quantizeInt8 leaves behind).
// The scales are drawn far from 1 and differ per row: a kernel that drops a scale, or reads
// another row's, misses by orders of magnitude.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, nativeStatus } from '../../src/backend/index.js';
import { Gen, isas, skipNative, withThreads } from './harness.js';

function codes(g: Gen, n: number): Int8Array {
  return Int8Array.from(g.uniform(n, -127.49, 127.49), (v) => Math.round(v));
}

function check(g: Gen, M: number, N: number, K: number, acc: boolean): void {
  const a = g.normal(M * K), q = codes(g, N * K), scales = g.uniform(N, 1e-3, 3e-2), out = g.normal(M * N);
  const what = `matmulInt8 M=${M} N=${N} K=${K} acc=${acc}`;
  const want = out.slice();
  getBackend('js').matmulInt8(want, a, q, scales, M, N, K, acc);
  // The definition, spelled out: row n of W is q·scale[n].
  const w = Float32Array.from(q, (c, i) => c * scales[Math.floor(i / K)]!);
  const st = nativeStatus();
  if (!st.ok) return;
  const be = st.native.backend, before = st.native.config().isa;
  try {
    for (const isa of isas) {
      st.native.setIsa(isa);
      const got = out.slice();
      be.matmulInt8(got, a, q, scales, M, N, K, acc);
      for (let k = 0; k < want.length; k++) {
        assert.ok(Math.abs(got[k]! - want[k]!) <= (K >= 500 ? 1e-4 : 1e-5) * Math.max(1, Math.abs(want[k]!)), `${what} [${isa}]: [${k}] is ${got[k]}, the reference ${want[k]}`);
      }
      if (isa !== 'avx512') continue;
      const exact = out.slice();
      be.matmul(exact, a, w, 1, M, N, K, false, true, 0, 0, 0, acc);
      for (let k = 0; k < exact.length; k++) {
        if (!Object.is(got[k], exact[k])) assert.fail(`${what} [avx512]: [${k}] is ${got[k]}, matmul on the dequantised weight gives ${exact[k]}`);
      }
    }
  } finally {
    st.native.setIsa(before);
  }
}

describe('conformance: int8 weight-only products', { skip: skipNative }, () => {
  test('matmulInt8: thin (decode) products M in 1..4, and wider ones through the dequantised sgemm', () => {
    const g = new Gen(21);
    for (const M of [1, 2, 3, 4]) check(g, M, 37, 70, M % 2 === 0);
    check(g, 1, 300, 2000, false); // long rows, split across threads
    check(g, 1, 576, 1536, true); // a decode step's down projection at the SmolLM2-135M shape
    check(g, 9, 33, 65, false);
    check(g, 40, 130, 100, true);
  });

  test('matmulInt8: one thread and three', () => {
    const g = new Gen(22);
    for (const t of [1, 3]) withThreads(t, () => { check(g, 1, 700, 500, false); check(g, 12, 70, 90, true); });
  });

  test('matmulInt8: the JS reference is the dequantised matmul (a dropped scale is caught)', () => {
    const g = new Gen(23), M = 2, N = 5, K = 8;
    const a = g.normal(M * K), q = codes(g, N * K), scales = g.uniform(N, 1e-3, 3e-2);
    const got = new Float32Array(M * N);
    getBackend('js').matmulInt8(got, a, q, scales, M, N, K, false);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[m * K + k]! * Math.fround(q[n * K + k]! * scales[n]!);
      assert.ok(Math.abs(got[m * N + n]! - s) <= 1e-5 * Math.max(1, Math.abs(s)), `[${m}, ${n}]`);
    }
  });
});
