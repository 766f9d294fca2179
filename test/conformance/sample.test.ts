// softmaxSums and inverseCdf (sampling at a temperature without top-k or top-p): the native
// kernels equal the JS reference bit for bit on every SIMD path and thread count, and pickToken on
// float32 logits (which calls them) gives the token and log-probability its logSoftmaxT path gives
// (the path it took before, still taken by other arrays): rows with −∞, ties, entries near the
// maximum (fdlibm's other branches), far below it (underflow), temperatures that divide inexactly,
// and lengths that are not a multiple of the 8-lane path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend, nativeStatus } from '../../src/backend/index.js';
import { pickToken } from '../../src/model/sampling/filters.js';
import { Rng } from '../../src/tensor/index.js';
import { Gen, isas, skipNative, withThreads } from './harness.js';

function rows(g: Gen, B: number, V: number): Float32Array {
  const x = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    const o = b * V, spread = [0.5, 4, 30, 900][b % 4]!;
    x.set(g.normal(V, spread), o);
    if (b % 5 === 1 && V > 3) x[o + 1] = x[o + V - 1] = 4 * spread + 1;
    if (b % 5 === 2) x.fill(-Infinity, o, o + Math.floor(V / 2));
    if (b % 7 === 3 && V > 9) for (let i = 0; i < 9; i++) x[o + i] = 4 * spread + 1 - i * 0.2;
  }
  return x;
}

const temperatures = [1, 0.7, 1.3, 0.05];

test('softmaxSums and inverseCdf: native equals the JS reference bit for bit', { skip: skipNative }, () => {
  const g = new Gen(41), st = nativeStatus(), before = st.ok ? st.native.config().isa : null;
  // Short rows of terms near 1: one ulp of one term shows in the sum.
  const short = Float32Array.from({ length: 4_000 * 9 }, (_, i) => (i % 9 === 0 ? 0 : -1.04 - 1.5 * g.uniform(1, 0, 1)[0]!));
  try {
    for (const [B, V, given] of [[1, 1], [3, 7], [5, 8], [17, 1001], [3, 49_152], [4_000, 9, short]] as const) {
      const x = given ?? rows(g, B, V);
      for (const T of temperatures) {
        const want = new Float64Array(2 * B);
        getBackend('js').softmaxSums(want, x, B, V, T);
        // The draws' u: spread over [0, 1), and one just under 1 (the sum may never pass it).
        const us = Array.from({ length: B }, (_, b) => (b % 11 === 10 ? 1 - 2 ** -53 : g.uniform(1, 0, 1)[0]!));
        const drawn = us.map((u, b) => getBackend('js').inverseCdf(x.subarray(b * V, (b + 1) * V), V, T, want[2 * b]! + Math.log(want[2 * b + 1]!), u));
        for (const isa of isas) {
          st.ok && st.native.setIsa(isa);
          for (const threads of [1, 2]) {
            withThreads(threads, () => {
              const got = new Float64Array(2 * B).fill(-1);
              getBackend('native').softmaxSums(got, x, B, V, T);
              for (let i = 0; i < 2 * B; i++) assert.ok(Object.is(got[i], want[i]), `${isa}, ${threads} threads, ${B}×${V}, T ${T}, entry ${i}: ${got[i]} vs ${want[i]}`);
            });
          }
          us.forEach((u, b) => {
            const lse = want[2 * b]! + Math.log(want[2 * b + 1]!);
            assert.equal(getBackend('native').inverseCdf(x.subarray(b * V, (b + 1) * V), V, T, lse, u), drawn[b], `${isa}, ${B}×${V}, T ${T}, row ${b}, u ${u}`);
          });
        }
      }
    }
  } finally {
    if (st.ok && before) st.native.setIsa(before);
  }
});

test('softmaxSums: NaN rows and rows of −∞ give NaN sums on both backends; bad arguments are named', { skip: skipNative }, () => {
  const x = Float32Array.of(0, Number.NaN, 1, 2, -Infinity, -Infinity, -Infinity, -Infinity);
  for (const be of [getBackend('js'), getBackend('native')]) {
    const stats = new Float64Array(4);
    be.softmaxSums(stats, x, 2, 4, 0.5);
    assert.equal(stats[0], 4);
    assert.ok(Number.isNaN(stats[1]) && Number.isNaN(stats[3]), `${be.name}: ${stats}`);
  }
  const native = getBackend('native');
  assert.throws(() => native.softmaxSums(new Float64Array(3), x, 2, 4, 1), /stats has 3 elements/);
  assert.throws(() => native.softmaxSums(new Float32Array(4) as never, x, 2, 4, 1), /Float64Array/);
  assert.throws(() => native.softmaxSums(new Float64Array(4), x, 2, 4, 0), /temperature/);
  assert.throws(() => native.inverseCdf(x, 8, -1, 0, 0.5), /temperature/);
});

test('pickToken on float32 logits equals its logSoftmaxT path (a plain array) bit for bit, token and log-probability', () => {
  const g = new Gen(43);
  for (const [B, V] of [[40, 9], [12, 1001], [4, 49_152]] as const) {
    const x = rows(g, B, V);
    for (const T of temperatures) {
      const [fast, plain] = [new Rng(7), new Rng(7)];
      for (let b = 0; b < B; b++) {
        const row = x.subarray(b * V, (b + 1) * V);
        const got = pickToken(row, { temperature: T }, fast), want = pickToken(Array.from(row), { temperature: T }, plain);
        assert.equal(got.token, want.token, `${B}×${V}, T ${T}, row ${b}: token`);
        assert.ok(Object.is(got.logprob, want.logprob), `${B}×${V}, T ${T}, row ${b}: ${got.logprob} vs ${want.logprob}`);
      }
    }
  }
  assert.throws(() => pickToken(Float32Array.of(0, Number.NaN, 1), { temperature: 1 }, new Rng(1)), /NaN/);
});
