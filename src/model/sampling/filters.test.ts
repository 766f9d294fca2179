import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../tensor/index.js';
import { argmax, drawFrom, greedyPick, logSoftmaxT, pickToken, truncate } from './filters.js';

const logits = [2.0, 1.0, 0.5, 0.5, -1.0, 0.0];
const softmax = (z: number[], T = 1): number[] => {
  const e = z.map((v) => Math.exp(v / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('logSoftmaxT: log of the temperature-scaled softmax; temperature 0 is read as 1', () => {
  const p = softmax(logits, 0.7);
  logSoftmaxT(logits, 0.7).forEach((v, i) => close(v, Math.log(p[i]!), 1e-12, `id ${i}`));
  assert.deepEqual(logSoftmaxT(logits, 0), logSoftmaxT(logits, 1));
});

test('argmax: the lowest id wins a tie', () => {
  assert.equal(argmax([1, 3, 3, 2]), 1);
  assert.equal(argmax([-Infinity, -1]), 1);
});

test('truncate: top-k keeps the k most probable, renormalised, ties in id order', () => {
  const c = truncate(logSoftmaxT(logits), 3);
  assert.deepEqual([...c.ids], [0, 1, 2]);
  const p = softmax(logits), m = p[0]! + p[1]! + p[2]!;
  c.probs.forEach((v, i) => close(v, p[i]! / m, 1e-12, `prob ${i}`));
});

test('truncate: top-p keeps the smallest prefix reaching p, never fewer than one token', () => {
  const p = softmax(logits);
  // p ≈ [.50, .18, .11, .11, .02, .07]: 0.6 needs the first two, 0.7 the first three.
  assert.deepEqual([...truncate(logSoftmaxT(logits), 0, 0.6).ids], [0, 1]);
  assert.deepEqual([...truncate(logSoftmaxT(logits), 0, 0.7).ids], [0, 1, 2]);
  assert.deepEqual([...truncate(logSoftmaxT(logits), 0, 1e-9).ids], [0]);
  const c = truncate(logSoftmaxT(logits), 0, 0.6);
  close(c.probs[0]!, p[0]! / (p[0]! + p[1]!), 1e-12, 'renormalised');
  // After top-k 2 the mass is renormalised over those two, so p = 0.7 of it is reached by id 0 alone.
  assert.deepEqual([...truncate(logSoftmaxT(logits), 2, 0.7).ids], [0]);
});

test('drawFrom: inverse CDF over candidates in order', () => {
  const c = { ids: Int32Array.of(5, 2, 9), probs: Float64Array.of(0.5, 0.3, 0.2) };
  assert.equal(drawFrom(c, 0), 5);
  assert.equal(drawFrom(c, 0.49), 5);
  assert.equal(drawFrom(c, 0.5), 2);
  assert.equal(drawFrom(c, 0.81), 9);
  assert.equal(drawFrom(c, 0.9999999999999999), 9);
});

test('pickToken: empirical frequencies match the truncated, renormalised distribution', () => {
  const N = 40000, tol = 0.012;
  const cases = [
    { temperature: 1 },
    { temperature: 0.7 },
    { temperature: 1.3, topK: 3 },
    { temperature: 1, topP: 0.75 },
    { temperature: 0.9, topK: 4, topP: 0.8 },
  ];
  for (const opts of cases) {
    const lp = logSoftmaxT(logits, opts.temperature);
    const want = new Float64Array(logits.length);
    const c = truncate(lp, opts.topK ?? 0, opts.topP ?? 1);
    c.ids.forEach((id, i) => { want[id] = c.probs[i]!; });
    const rng = new Rng(7), count = new Float64Array(logits.length);
    for (let i = 0; i < N; i++) {
      const { token, logprob } = pickToken(logits, opts, rng);
      count[token]++;
      // The reported log-prob is the untruncated one, whatever the filters kept.
      assert.equal(logprob, lp[token]);
    }
    count.forEach((k, id) => close(k / N, want[id]!, tol, `${JSON.stringify(opts)} id ${id}`));
  }
});

test('pickToken: temperature 0 is argmax with the T = 1 log-prob and draws nothing', () => {
  const rng = new Rng(3), before = rng.state();
  const { token, logprob } = pickToken(logits, { temperature: 0, topK: 3 }, rng);
  assert.equal(token, 0);
  assert.equal(logprob, logSoftmaxT(logits, 1)[0]);
  assert.deepEqual(rng.state(), before);
});

test('pickToken: NaN logits are an error, not a token', () => {
  assert.throws(() => pickToken([0, Number.NaN, 1], {}, new Rng(0)), /NaN/);
});

test('pickToken: temperature 0 gives argmax and logSoftmaxT(·, 1)\'s entry bit for bit over 49,152 ids (ties, −∞, float32 rows)', () => {
  const rng = new Rng(7), V = 49152;
  for (let trial = 0; trial < 6; trial++) {
    const row = new Float32Array(V);
    for (let i = 0; i < V; i++) row[i] = (rng.uniform() - 0.5) * 8 * (trial + 1);
    if (trial % 2) { row[123] = 40; row[40000] = 40; } // a tie: the lower id wins
    if (trial === 2) for (let i = 0; i < V; i += 3) row[i] = -Infinity;
    const { token, logprob } = pickToken(row, { temperature: 0 }, rng);
    assert.equal(token, argmax(row));
    assert.ok(Object.is(logprob, logSoftmaxT(row, 1)[token]), `trial ${trial}: ${logprob} vs ${logSoftmaxT(row, 1)[token]}`);
  }
  assert.throws(() => pickToken([0, Number.NaN, 1], { temperature: 0 }, new Rng(0)), /NaN/);
  assert.throws(() => pickToken([-Infinity, -Infinity], { temperature: 0 }, new Rng(0)), /NaN/);
});

test('greedyPick: the argmax and its logSoftmaxT entry, bit for bit, ties to the lower id; NaN and all −∞ are errors', () => {
  const rng = new Rng(7);
  for (const V of [1, 2, 5, 257, 49_152]) {
    for (let trial = 0; trial < 4; trial++) {
      const x = Float32Array.from({ length: V }, () => (rng.uniform() - 0.5) * (trial === 3 ? 200 : 20));
      if (V > 2 && trial === 1) { x[V - 1] = x[1] = 1e3; x[0] = -Infinity; } // a tie, the lower id wins; −∞ has probability 0
      if (V > 2 && trial === 2) x.fill(-Infinity, 0, V - 1);
      const want = argmax(x), logp = logSoftmaxT(x, 0), got = greedyPick(x);
      assert.equal(got.token, want);
      assert.ok(Object.is(got.logprob, logp[want]!), `V ${V} trial ${trial}: ${got.logprob} vs ${logp[want]}`);
      assert.deepEqual(pickToken(x, { temperature: 0 }, new Rng(0)), got);
    }
  }
  assert.equal(greedyPick(Float32Array.of(0, 3, 3, 1)).token, 1);
  assert.throws(() => greedyPick([0, Number.NaN, 1]), /NaN/);
  assert.throws(() => greedyPick([-Infinity, -Infinity]), /NaN/);
  assert.throws(() => pickToken([Infinity, 0], { temperature: 0 }, new Rng(0)), /NaN/);
});
