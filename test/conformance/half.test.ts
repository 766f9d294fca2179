// The 16-bit weight kernels (issue 18 point 3): matmulHalf and embeddingForwardHalf on every SIMD
// path against the JS reference, and, stronger, bit for bit against the float32 kernels run on
// the weight widened in JS: the native half kernels must compute exactly the float32 model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, nativeStatus } from '../../src/backend/index.js';
import { widenHalf, type HalfDType } from '../../src/tensor/index.js';
import { conform, f, Gen, i, isas, skipNative, u, withThreads } from './harness.js';

const DTYPES: HalfDType[] = ['bfloat16', 'float16'];

/** n random 16-bit patterns of ordinary magnitudes (|x| in about [2^-6, 2]), as weights are, either sign. */
function halves(g: Gen, n: number, dtype: HalfDType): Uint16Array {
  const out = new Uint16Array(n);
  for (let k = 0; k < n; k++) {
    const sign = g.int(2) << 15, mant = g.int(1 << 16);
    out[k] = dtype === 'bfloat16' ? sign | ((121 + g.int(7)) << 7) | (mant & 0x7f) : sign | ((9 + g.int(7)) << 10) | (mant & 0x3ff);
  }
  return out;
}

function sameBits(what: string, got: Float32Array, want: Float32Array): void {
  for (let k = 0; k < want.length; k++) {
    if (!Object.is(got[k], want[k])) assert.fail(`${what}: [${k}] is ${got[k]}, the float32 kernel on the widened weight gives ${want[k]}`);
  }
}

function mmHalf(g: Gen, dtype: HalfDType, M: number, N: number, K: number, tB: boolean, acc: boolean, tol = 1e-5): void {
  const bf16 = dtype === 'bfloat16';
  const bufs = { out: g.normal(M * N), a: g.normal(M * K), w: halves(g, K * N, dtype) };
  const what = `matmulHalf ${dtype} M=${M} N=${N} K=${K} transB=${tB} acc=${acc}`;
  conform(what, bufs, (be, x) => be.matmulHalf(f(x, 'out'), f(x, 'a'), u(x, 'w'), bf16, M, N, K, tB, acc), tol);
  const st = nativeStatus();
  if (!st.ok) return;
  const wide = widenHalf(bufs.w, dtype), be = st.native.backend, before = st.native.config().isa;
  try {
    for (const isa of isas) {
      st.native.setIsa(isa);
      const got = bufs.out.slice(), want = bufs.out.slice();
      be.matmulHalf(got, bufs.a, bufs.w, bf16, M, N, K, tB, acc);
      be.matmul(want, bufs.a, wide, 1, M, N, K, false, tB, 0, 0, 0, acc);
      sameBits(`${what} [${isa}]`, got, want);
    }
  } finally {
    st.native.setIsa(before);
  }
}

describe('conformance: 16-bit weights', { skip: skipNative }, () => {
  test('matmulHalf: thin (decode) products, M or N in 1..4, both layouts', () => {
    const g = new Gen(11);
    for (const dtype of DTYPES) for (const tB of [true, false]) {
      for (const M of [1, 2, 3, 4]) mmHalf(g, dtype, M, 37, 70, tB, M % 2 === 0);
      for (const N of [1, 3]) mmHalf(g, dtype, 9, N, 33, tB, false);
      mmHalf(g, dtype, 1, 300, 2000, tB, false, 1e-4); // beyond one widened block of rows
    }
  });

  test('matmulHalf: x·Wᵀ for a decode step, blocks of four rows of W and their remainders, every tail of K', () => {
    const g = new Gen(14);
    for (const dtype of DTYPES) {
      for (const K of [1, 5, 15, 16, 17, 31, 64, 577]) for (const N of [1, 2, 3, 4, 5, 7, 9]) mmHalf(g, dtype, 1 + ((K + N) % 4), N, K, true, N % 2 === 1);
      mmHalf(g, dtype, 1, 1536, 576, true, false, 1e-4); // SmolLM2's gate and up, split across the threads
    }
  });

  test('matmulHalf: blocked products across the cache blocks, ragged edges, accumulation', () => {
    const g = new Gen(12);
    for (const dtype of DTYPES) for (const tB of [true, false]) {
      mmHalf(g, dtype, 7, 33, 100, tB, false);
      mmHalf(g, dtype, 129, 70, 600, tB, true, 1e-4);
      mmHalf(g, dtype, 40, 257, 31, tB, false);
    }
  });

  test('matmulHalf: one thread and three, and the split-K path (small output, long K)', () => {
    const g = new Gen(13);
    for (const t of [1, 3])
      withThreads(t, () => {
        for (const dtype of DTYPES) {
          mmHalf(g, dtype, 150, 90, 200, true, false, 1e-4);
          mmHalf(g, dtype, 8, 8, 4096, false, true, 1e-3);
          mmHalf(g, dtype, 2, 700, 500, true, false, 1e-4);
        }
      });
  });

  test('embeddingForwardHalf: every finite 16-bit pattern widens exactly on every path', () => {
    for (const dtype of DTYPES) {
      const bf16 = dtype === 'bfloat16';
      const all = Uint16Array.from({ length: 65536 }, (_, h) => h);
      const finite = all.filter((h) => bf16 ? (h & 0x7f80) !== 0x7f80 : (h & 0x7c00) !== 0x7c00);
      const C = 16, V = finite.length / C;
      const ids = Int32Array.from({ length: V }, (_, r) => (r * 7919) % V);
      conform(`embeddingForwardHalf ${dtype}, all patterns`, { out: new Float32Array(V * C), ids, table: finite },
        (be, x) => be.embeddingForwardHalf(f(x, 'out'), i(x, 'ids'), u(x, 'table'), bf16, V, C), 1e-30);
      const out = new Float32Array(V * C);
      getBackend('js').embeddingForwardHalf(out, ids, finite, bf16, V, C);
      const wide = widenHalf(finite, dtype);
      for (let r = 0; r < V; r++) for (let c = 0; c < C; c++) assert.ok(Object.is(out[r * C + c], wide[ids[r]! * C + c]));
    }
  });

  test('embeddingForwardHalf: odd widths and repeated ids', () => {
    const g = new Gen(14);
    for (const dtype of DTYPES) {
      const V = 11, C = 37, N = 25;
      conform(`embeddingForwardHalf ${dtype} C=${C}`, { out: g.normal(N * C), ids: g.ids(N, V), table: halves(g, V * C, dtype) },
        (be, x) => be.embeddingForwardHalf(f(x, 'out'), i(x, 'ids'), u(x, 'table'), dtype === 'bfloat16', N, C), 1e-30);
    }
  });
});
