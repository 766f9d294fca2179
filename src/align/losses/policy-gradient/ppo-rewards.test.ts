import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../tensor/index.js';
import { explainedVariance, gae, klEstimate, klPenaltyRewards, whiten } from './ppo-rewards.js';

const close = (a: number, b: number, tol = 1e-4, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const closeRows = (a: number[][], b: number[][], tol = 1e-6) => a.forEach((r, i) => r.forEach((x, j) => close(x, b[i]![j]!, tol, `[${i}][${j}]`)));

test('whitening without mean shift, biased variance: first row [0.0508, 0.4381, 0.8254]', () => {
  const v = [[1.2, 1.3, 1.4], [1.5, 1.6, 1.7], [1.8, 1.9, 2.0]];
  const w = whiten(v, v.map((r) => r.map(() => 1)), false);
  [0.0508, 0.4381, 0.8254].forEach((x, j) => close(w[0]![j]!, x, 1e-4));
});

test('whitening with mean shift gives mean 0 and variance 1 over the masked positions; padding → 0', () => {
  const rng = new Rng(5);
  const v = Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => 3 + 2 * rng.normal()));
  const mask = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]];
  v[1]![4] = 1e6; // padding must not enter the statistics
  const w = whiten(v, mask);
  const kept = w.flatMap((r, b) => r.filter((_, t) => mask[b]![t]));
  const mu = kept.reduce((s, x) => s + x) / kept.length;
  close(mu, 0, 1e-9);
  close(kept.reduce((s, x) => s + (x - mu) ** 2, 0) / kept.length, 1, 1e-6);
  assert.equal(w[1]![4], 0);
});

test('GAE, 3 steps by hand: γ = λ = 1 is reward-to-go, λ = 0 is the one-step TD error', () => {
  const r = [[1, 0, 2]], v = [[0.5, 1, 1.5]], m = [[1, 1, 1]];
  const mc = gae(r, v, m, 1, 1);
  closeRows(mc.returns, [[3, 2, 2]]);
  closeRows(mc.advantages, [[2.5, 1, 0.5]]);
  const td = gae(r, v, m, 1, 0);
  closeRows(td.advantages, [[1 + 1 - 0.5, 0 + 1.5 - 1, 2 - 1.5]]);
  closeRows(td.returns, [[2, 1.5, 2]]);
});

test('GAE with γ = 0.9, λ = 0.5 by hand; right padding ends the episode and comes out 0', () => {
  // δ₂ = 2 − 1.5 = 0.5; δ₁ = 0.9·1.5 − 1 = 0.35; δ₀ = 1 + 0.9·1 − 0.5 = 1.4
  // Â₂ = 0.5; Â₁ = 0.35 + 0.45·0.5 = 0.575; Â₀ = 1.4 + 0.45·0.575 = 1.65875
  const out = gae([[1, 0, 2, 9], [4, 0, 0, 0]], [[0.5, 1, 1.5, 7], [1, 8, 8, 8]], [[1, 1, 1, 0], [1, 0, 0, 0]], 0.9, 0.5);
  closeRows(out.advantages, [[1.65875, 0.575, 0.5, 0], [3, 0, 0, 0]]);
  closeRows(out.returns, [[2.15875, 1.575, 2, 0], [4, 0, 0, 0]]);
});

test('KL-shaped rewards: −β·KL per token, score on the last real token (k1 and k3)', () => {
  const logp = [[-1, -2, -3, 0]], ref = [[-1.5, -2, -2, 0]], mask = [[1, 1, 1, 0]];
  const k1 = klPenaltyRewards([5], logp, ref, mask, 0.1);
  closeRows(k1.kl, [[0.5, 0, -1, 0]]);
  closeRows(k1.rewards, [[-0.05, 0, 0.1 + 5, 0]]);
  close(k1.meanKl, -0.5, 1e-12);
  const k3 = klPenaltyRewards([5], logp, ref, mask, 0.1, { estimator: 'k3' });
  const want = [Math.exp(-0.5) - 1 + 0.5, 0, Math.E - 2, 0];
  closeRows(k3.kl, [want]);
  closeRows(k3.rewards, [[-0.1 * want[0]!, 0, -0.1 * want[2]! + 5, 0]]);
});

test('the k3 KL estimate is never negative (random inputs, near-equal ones included)', () => {
  const rng = new Rng(11);
  for (let i = 0; i < 20000; i++) {
    const a = -10 * rng.uniform();
    const b = i % 2 ? a + 1e-9 * rng.normal() : -10 * rng.uniform();
    assert.ok(klEstimate(a, b, 'k3') >= 0, `k3(${a}, ${b})`);
  }
  const logp = [Array.from({ length: 50 }, () => 3 * rng.normal())], ref = [logp[0]!.map((x) => x + rng.normal())];
  assert.ok(klPenaltyRewards([0], logp, ref, [logp[0]!.map(() => 1)], 0.1, { estimator: 'k3' }).kl[0]!.every((k) => k >= 0));
});

test('explained variance: 1 for a perfect critic, 0 for a constant one', () => {
  const ret = [[1, 2, 3], [4, 5, 6]];
  close(explainedVariance(ret, ret), 1, 1e-12);
  close(explainedVariance([[3.5, 3.5, 3.5], [3.5, 3.5, 3.5]], ret), 0, 1e-12);
  close(explainedVariance([[9, 9, 9], [9, 9, 9]], ret), 0, 1e-12);
  assert.ok(Number.isNaN(explainedVariance(ret, [[1, 1, 1], [1, 1, 1]])));
});

test('malformed masks and shapes are refused', () => {
  assert.throws(() => gae([[1, 2, 3]], [[0, 0, 0]], [[1, 0, 1]]), /hole/);
  assert.throws(() => gae([[1, 2, 3]], [[0, 0]], [[1, 1, 1]]), /values is \(1, 2\), expected \(1, 3\)/);
  assert.throws(() => klPenaltyRewards([1, 2], [[0]], [[0]], [[1]], 0.1), /score has 2 values/);
  assert.throws(() => klPenaltyRewards([1], [[0]], [[0]], [[0]], 0.1), /no real token/);
  assert.throws(() => whiten([[1, 2]], [[0, 0]]), /mask selects no position/);
});
