// matmulBias, the linear layer's forward (issue 20: the bias set tile by tile inside the GEMM, not
// in a pass of its own over the output). Against the JS reference like every kernel, and bit for
// bit against what ops/matmul did before it: the bias copied into every row of out, then matmul
// accumulating onto it, on every SIMD path and thread count, through each of the driver's paths
// (thin M or N, split K, blocked with K > kc and ragged edges), whatever out held before.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeStatus } from '../../src/backend/index.js';
import { conform, f, Gen, isas, native, skipNative, withThreads } from './harness.js';

const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
// [M, N, K]: thin M, thin N, split-K's weight-gradient shape, K > kc, ragged tiles, a bench shape.
const SHAPES = [[3, 40, 30], [50, 4, 70], [1, 1, 5], [24, 40, 1031], [37, 65, 1000], [29, 33, 17], [130, 100, 600],
  [256, 384, 128], [7, 9, 0]] as const;

describe('conformance: matmulBias', { skip: skipNative }, () => {
  test('matches the reference, every transpose case', () => {
    const g = new Gen(21);
    for (const [M, N, K] of SHAPES)
      for (const [tA, tB] of TRANSPOSES)
        conform(`matmulBias M=${M} N=${N} K=${K} tA=${tA} tB=${tB}`,
          { out: g.normal(M * N), a: g.normal(M * K), b: g.normal(K * N), bias: g.normal(N) },
          (be, x) => be.matmulBias(f(x, 'out'), f(x, 'a'), f(x, 'b'), f(x, 'bias'), M, N, K, tA, tB), K >= 100 ? 1e-4 : 1e-5);
  });

  test('bit for bit the bias copied into out, then matmul accumulating onto it', () => {
    const status = nativeStatus();
    if (!status.ok) return;
    const g = new Gen(22), be = native(), before = status.native.config().isa;
    try {
      for (const isa of isas) {
        status.native.setIsa(isa);
        for (const threads of [1, 2, 3])
          withThreads(threads, () => {
            for (const [M, N, K] of SHAPES)
              for (const [tA, tB] of TRANSPOSES) {
                const a = g.normal(M * K), b = g.normal(K * N), bias = g.normal(N);
                const want = new Float32Array(M * N);
                for (let i = 0; i < M; i++) want.set(bias, i * N);
                be.matmul(want, a, b, 1, M, N, K, tA, tB, 0, 0, 0, true);
                const got = new Float32Array(M * N).fill(Number.NaN);
                be.matmulBias(got, a, b, bias, M, N, K, tA, tB);
                const bad = got.findIndex((v, i) => !Object.is(v, want[i]));
                assert.equal(bad, -1, `${isa}, ${threads} threads, M=${M} N=${N} K=${K} tA=${tA} tB=${tB}: element ${bad} is ${got[bad]}, expected ${want[bad]}`);
              }
          });
      }
    } finally {
      status.native.setIsa(before);
    }
  });
});
