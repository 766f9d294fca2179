// greedyRows (greedy decoding's pick over a batch of rows): the native kernel's tokens and float64
// sums equal the JS reference's bit for bit on every SIMD path and thread count, since the JS
// reference sums Math.exp and greedyPick (the per-row pick generate used before) turns the sum
// into the log-probability; rows with −∞, ties, NaN, entries near the maximum (fdlibm's other
// branches), far below it (underflow) and lengths that are not a multiple of the 8-lane path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend, nativeStatus } from '../../src/backend/index.js';
import { greedyPick } from '../../src/model/sampling/filters.js';
import { Gen, isas, skipNative, withThreads } from './harness.js';

function rows(g: Gen, B: number, V: number): Float32Array {
  const x = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    const o = b * V, spread = [0.5, 4, 30, 900][b % 4]!;
    x.set(g.normal(V, spread), o);
    if (b % 5 === 1 && V > 3) { x[o + 1] = x[o + V - 1] = 4 * spread + 1; } // a tie: the lower id wins
    if (b % 5 === 2) x.fill(-Infinity, o, o + Math.floor(V / 2));
    // Every other entry 1.04–3 below the maximum: fdlibm's general branch, terms large enough that
    // one ulp of one of them shows in the sum.
    if (b % 6 === 4) for (let i = 1, top = (x[o] = spread); i < V; i++) x[o + i] = top - 1.04 - 2 * Math.abs(x[o + i]! / (4 * spread));
    if (b % 7 === 3 && V > 9) for (let i = 0; i < 9; i++) x[o + i] = (4 * spread + 1) - i * 0.2; // the k = 0 and |x| < 1.5·ln 2 branches
  }
  return x;
}

test('greedyRows: native equals the JS reference bit for bit, which equals greedyPick per row', { skip: skipNative }, () => {
  const g = new Gen(31), st = nativeStatus();
  const before = st.ok ? st.native.config().isa : null;
  // Short rows one term above the rest: a sum of ~2.6 shows a one-ulp change of a term ~1 time
  // in 8, which a long row's sum (thousands) would hide; 20,000 of them see the rare lanes where
  // an FMA's single rounding differs from fdlibm's two.
  // Odd rows hold fdlibm's two branches near the maximum (k = −1 from −1.5·ln2, k = 0 from −ln2/2).
  const short = Float32Array.from({ length: 20_000 * 9 }, (_, i) => {
    const u = g.uniform(1, 0, 1)[0]!;
    return i % 9 === 0 ? 0 : Math.floor(i / 9) % 2 ? -1.1 * u : -1.04 - 1.5 * u;
  });
  for (const [B, V, given] of [[1, 1], [3, 7], [5, 8], [32, 1001], [9, 49_152], [20_000, 9, short]] as const) {
    const x = given ?? rows(g, B, V);
    const want = { token: new Int32Array(B), sum: new Float64Array(B) };
    getBackend('js').greedyRows(want.token, want.sum, x, B, V);
    for (let b = 0; b < B; b++) {
      const row = x.subarray(b * V, (b + 1) * V), p = greedyPick(row);
      assert.equal(want.token[b], p.token);
      assert.ok(Object.is(row[p.token]! - (row[p.token]! + Math.log(want.sum[b]!)), p.logprob), `B ${B} V ${V} row ${b}`);
    }
    try {
      for (const isa of isas) {
        st.ok && st.native.setIsa(isa);
        for (const threads of [1, 2]) {
          withThreads(threads, () => {
            const got = { token: new Int32Array(B).fill(-1), sum: new Float64Array(B) };
            getBackend('native').greedyRows(got.token, got.sum, x, B, V);
            assert.deepEqual(got.token, want.token, `${isa}, ${threads} threads, ${B}×${V}: tokens`);
            for (let b = 0; b < B; b++) assert.ok(Object.is(got.sum[b], want.sum[b]), `${isa}, ${threads} threads, ${B}×${V} row ${b}: ${got.sum[b]} vs ${want.sum[b]}`);
          });
        }
      }
    } finally {
      if (st.ok && before) st.native.setIsa(before);
    }
  }
});

test('greedyRows: NaN rows and rows of −∞ sum to NaN on both backends (greedyPick throws on them)', { skip: skipNative }, () => {
  const x = Float32Array.of(0, Number.NaN, 1, 2, -Infinity, -Infinity, -Infinity, -Infinity);
  for (const be of [getBackend('js'), getBackend('native')]) {
    const token = new Int32Array(2), sum = new Float64Array(2);
    be.greedyRows(token, sum, x, 2, 4);
    assert.deepEqual([...token], [3, 0]);
    assert.ok(Number.isNaN(sum[0]) && Number.isNaN(sum[1]), `${be.name}: ${sum}`);
  }
  assert.throws(() => getBackend('native').greedyRows(new Int32Array(2), new Float64Array(1), x, 2, 4), /sum has 1 elements/);
  assert.throws(() => getBackend('native').greedyRows(new Int32Array(2), new Float32Array(2) as never, x, 2, 4), /Float64Array/);
});

test('greedyRows: the pick at the edges the vector max meets — NaN first, signed zeros, the maximum in the tail, only −∞ — as the JS reference', { skip: skipNative }, () => {
  const st = nativeStatus(), before = st.ok ? st.native.config().isa : null;
  const V = 37; // two 16-lane blocks and a tail of 5
  const cases: [string, (x: Float32Array) => void][] = [
    ['NaN before the maximum', (x) => { x[0] = Number.NaN; x[20] = 3; }],
    ['−0 before +0 at the top', (x) => { x.fill(-5); x[3] = -0; x[17] = 0; }],
    ['+0 before −0 at the top', (x) => { x.fill(-5); x[3] = 0; x[17] = -0; }],
    ['maximum in the tail, tied in a block after it', (x) => { x[34] = 9; x[35] = 9; }],
    ['maximum tied across blocks', (x) => { x[30] = 9; x[5] = 9; }],
    ['maximum tied within a block', (x) => { x[18] = 9; x[23] = 9; x[2] = 8; }],
    ['only −∞ and NaN', (x) => { x.fill(-Infinity); x[0] = Number.NaN; x[9] = Number.NaN; }],
  ];
  try {
    for (const [what, set] of cases) {
      const x = Float32Array.from({ length: V }, (_, i) => Math.sin(i) - 2);
      set(x);
      const want = { token: new Int32Array(1), sum: new Float64Array(1) };
      getBackend('js').greedyRows(want.token, want.sum, x, 1, V);
      for (const isa of isas) {
        st.ok && st.native.setIsa(isa);
        const got = { token: new Int32Array(1).fill(-1), sum: new Float64Array(1) };
        getBackend('native').greedyRows(got.token, got.sum, x, 1, V);
        assert.equal(got.token[0], want.token[0], `${what}, ${isa}: token`);
        assert.ok(Object.is(got.sum[0], want.sum[0]), `${what}, ${isa}: ${got.sum[0]} vs ${want.sum[0]}`);
      }
    }
  } finally {
    if (st.ok && before) st.native.setIsa(before);
  }
});
