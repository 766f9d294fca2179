import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../../autograd/index.js';
import { Rng, tensor, type Tensor } from '../../../tensor/index.js';
import { grpoAdvantages, grpoLoss, informativeGroups, k3Kl } from './grpo.js';

const close = (a: number, b: number, tol = 1e-4, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test('group-normalised advantages: known values, zero-variance groups set to 0 and counted', () => {
  const out = grpoAdvantages([1, 2, 3, 2, 5, 5, 5, 5, 0, 1, 0, 1, 7, 7, 7, 7], 4);
  assert.equal(out.zeroVarianceGroups, 2);
  assert.deepEqual(out.advantages.slice(4, 8), [0, 0, 0, 0]);
  assert.deepEqual(out.advantages.slice(12), [0, 0, 0, 0]);
  assert.deepEqual(out.groupMeans, [2, 5, 0.5, 7]);
  const s = Math.sqrt(1 / 3); // sample std of [0, 1, 0, 1]
  [-0.5, 0.5, -0.5, 0.5].forEach((a, i) => close(out.advantages[8 + i]!, a / (s + 1e-4), 1e-9));
  const pop = grpoAdvantages([0, 1, 0, 1], 4, { unbiasedStd: false, eps: 0 });
  assert.deepEqual(pop.advantages, [-1, 1, -1, 1]);
  assert.deepEqual(grpoAdvantages([0, 1, 0, 1], 4, { scaleByStd: false }).advantages, [-0.5, 0.5, -0.5, 0.5]);
});

test('advantages have mean 0 within every group (random rewards)', () => {
  const rng = new Rng(2);
  const G = 8, rewards = Array.from({ length: 10 * G }, () => (rng.uniform() < 0.5 ? rng.int(2) : rng.normal()));
  const { advantages, zeroVarianceGroups } = grpoAdvantages(rewards, G);
  assert.equal(zeroVarianceGroups, 0);
  for (let g = 0; g < rewards.length; g += G) close(advantages.slice(g, g + G).reduce((s, x) => s + x), 0, 1e-9, `group ${g / G}`);
});

test('k3 KL is never negative and its gradient matches finite differences', () => {
  const rng = new Rng(4);
  const lp = Array.from({ length: 200 }, () => -5 * rng.uniform());
  const ref = lp.map((x, i) => (i % 2 ? x + 1e-4 * rng.normal() : x + rng.normal()));
  assert.ok(k3Kl(tensor(lp), ref).toArray().every((k) => k >= 0));
  const x0 = lp.slice(0, 6), r0 = ref.slice(0, 6).map((x) => x + 0.5);
  const x = tensor(x0, undefined, { requiresGrad: true });
  const k = k3Kl(x, r0);
  k.backward(new Float32Array(6).fill(1));
  x0.forEach((v, i) => close(x.grad!.data[i]!, 1 - Math.exp(r0[i]! - v), 1e-5, `dk3/dlogp[${i}]`));
});

test('loss at ratio 1: REINFORCE with each output averaged over its own tokens (eq. 3)', () => {
  const lp0 = [[-1, -2, -3], [-0.5, -1, -1]], mask = [[1, 1, 1], [1, 1, 0]], adv = [2, -1];
  const logp = tensor(lp0, undefined, { requiresGrad: true });
  const out = grpoLoss(logp, null, lp0, adv, mask, { beta: 0.04 });
  close(out.loss.item(), (-2 + 1) / 2, 1e-6); // ratio 1 and KL 0 at π = ref
  assert.equal(out.kl, 0);
  assert.equal(out.clipFrac, 0);
  out.loss.backward();
  const want = [-2 / 3 / 2, -2 / 3 / 2, -2 / 3 / 2, 1 / 2 / 2, 1 / 2 / 2, 0];
  logp.grad!.toArray().forEach((g, i) => close(g, want[i]!, 1e-6, `[${i}]`));
  const tok = tensor(lp0, undefined, { requiresGrad: true });
  grpoLoss(tok, null, null, adv, mask, { beta: 0, aggregation: 'token' }).loss.backward();
  [-2 / 5, -2 / 5, -2 / 5, 1 / 5, 1 / 5, 0].forEach((w, i) => close(tok.grad!.data[i]!, w, 1e-6));
});

test('loss with KL term and off-policy ratios: value by hand, gradient against finite differences', () => {
  const rng = new Rng(9);
  const B = 3, T = 4;
  const rows = () => Array.from({ length: B }, () => Array.from({ length: T }, () => -2 + 0.3 * rng.normal()));
  const lp0 = rows(), old = lp0.map((r) => r.map((x) => x + 0.1 * rng.normal())), ref = rows();
  const mask = [[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]], adv = [0.7, -1.2, 0.4], beta = 0.1;
  const f = (x: Tensor) => grpoLoss(x, old, ref, adv, mask, { beta, clip: 0.2 });
  // By hand, eq. 3.
  let want = 0;
  for (let b = 0; b < B; b++) {
    let s = 0, n = 0;
    for (let t = 0; t < T; t++) {
      if (!mask[b]![t]) continue;
      const rho = Math.exp(lp0[b]![t]! - old[b]![t]!), a = adv[b]!, x = ref[b]![t]! - lp0[b]![t]!;
      s += Math.max(-a * rho, -a * Math.min(1.2, Math.max(0.8, rho))) + beta * (Math.exp(x) - x - 1);
      n++;
    }
    want += s / n / B;
  }
  const logp = tensor(lp0, undefined, { requiresGrad: true });
  const out = f(logp);
  close(out.loss.item(), want, 1e-5);
  out.loss.backward();
  const flat = lp0.flat();
  flat.forEach((_, i) => {
    const at = (d: number) => noGrad(() => f(tensor(flat.map((v, j) => (j === i ? v + d : v)), [B, T])).loss.item());
    close(logp.grad!.data[i]!, (at(1e-3) - at(-1e-3)) / 2e-3, 2e-3, `d/dlogp[${i}]`);
  });
});

test('bad inputs are refused', () => {
  assert.throws(() => grpoAdvantages([1, 2, 3], 2), /do not split into groups of 2/);
  assert.throws(() => grpoAdvantages([1, NaN], 2), /reward 1 is NaN/);
  const lp = tensor([[-1, -2]]);
  assert.throws(() => grpoLoss(lp, null, null, [1], [[1, 1]]), /refLogp is null/);
  assert.throws(() => grpoLoss(lp, null, null, [1], [[0, 0]], { beta: 0 }), /mask selects no position/);
  assert.throws(() => grpoLoss(lp, null, null, [1, 2, 3], [[1, 1]], { beta: 0 }), /advantages has shape \[3\]/);
});

test('scaleRewards: group (the default), batch (one std over all rewards) and none; informative groups', () => {
  const r = [0, 1, 0, 1, 2, 2, 2, 2, 0, 3, 0, 3];
  const mean = r.reduce((s, x) => s + x, 0) / r.length;
  const batchStd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / (r.length - 1));
  const batch = grpoAdvantages(r, 4, { scaleRewards: 'batch' });
  [-0.5, 0.5, -0.5, 0.5].forEach((d, i) => close(batch.advantages[i]!, d / (batchStd + 1e-4), 1e-9));
  [-1.5, 1.5, -1.5, 1.5].forEach((d, i) => close(batch.advantages[8 + i]!, d / (batchStd + 1e-4), 1e-9));
  assert.deepEqual(batch.advantages.slice(4, 8), [0, 0, 0, 0]);
  assert.deepEqual(grpoAdvantages(r, 4, { scaleRewards: 'none' }).advantages, grpoAdvantages(r, 4, { scaleByStd: false }).advantages);
  assert.deepEqual(grpoAdvantages(r, 4, { scaleRewards: 'group' }).advantages, grpoAdvantages(r, 4).advantages);
  assert.deepEqual(informativeGroups(r, 4), [0, 2]);
  assert.throws(() => grpoAdvantages(r, 4, { scaleRewards: 'prompt' as 'group' }), /scaleRewards must be/);
});
