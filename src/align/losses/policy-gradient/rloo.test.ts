import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, tensor } from '../../../tensor/index.js';
import { rlooAdvantages, rlooLoss } from './rloo.js';

const close = (a: number, b: number, tol = 1e-4, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test('leave-one-out: one prompt, rewards [1, 2, 3, 2] → first advantage 1 − (2+3+2)/3 = −4/3', () => {
  const a = rlooAdvantages([1, 2, 3, 2], 4);
  [-4 / 3, 0, 4 / 3, 0].forEach((w, i) => close(a[i]!, w, 1e-12, `[${i}]`));
});

test('leave-one-out advantages sum to 0 within each group and equal k/(k−1)·(r − mean)', () => {
  const rng = new Rng(8);
  const k = 5, r = Array.from({ length: 4 * k }, () => rng.normal());
  const a = rlooAdvantages(r, k);
  for (let g = 0; g < r.length; g += k) {
    const mu = r.slice(g, g + k).reduce((s, x) => s + x) / k;
    close(a.slice(g, g + k).reduce((s, x) => s + x), 0, 1e-12);
    for (let i = g; i < g + k; i++) close(a[i]!, (k / (k - 1)) * (r[i]! - mu), 1e-12);
  }
  assert.throws(() => rlooAdvantages([1, 2], 1), /groupSize must be an integer ≥ 2/);
});

test('the RLOO loss is sequence-level REINFORCE: gradient −A·mask/B', () => {
  const logp = tensor([[-1, -2, -3], [-1, -1, -1]], undefined, { requiresGrad: true });
  const loss = rlooLoss(logp, [1.5, -0.5], [[1, 1, 0], [1, 1, 1]]);
  close(loss.item(), -(1.5 * -3 + -0.5 * -3) / 2, 1e-6);
  loss.backward();
  [-0.75, -0.75, 0, 0.25, 0.25, 0.25].forEach((w, i) => close(logp.grad!.data[i]!, w, 1e-7));
});
