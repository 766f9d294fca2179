import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../../autograd/index.js';
import { logSoftmax, slice, sum } from '../../../ops/index.js';
import { Rng, tensor, type Tensor } from '../../../tensor/index.js';
import { entropyFromLogits, ppoPolicyLoss, ppoValueLoss } from './ppo.js';

const close = (a: number, b: number, tol = 1e-4, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test('at ratio 1 the policy gradient is REINFORCE: logits [1,2,1,1], action 1, advantage 1', () => {
  const logits = tensor([[1, 2, 1, 1]], undefined, { requiresGrad: true }); // (1, V)
  const logp = slice(logSoftmax(logits), 1, 1, 2); // (1, 1): log π(action 1)
  const { loss, clipFrac, approxKl } = ppoPolicyLoss(logp, logp.detach(), [[1]], [[1]], 0.2);
  loss.backward();
  // We minimise −A·ρ, so d loss/d logits = −A·(onehot − softmax) = softmax − onehot.
  const want = [0.1749, -0.5246, 0.1749, 0.1749];
  logits.grad!.toArray().forEach((g, i) => close(g, want[i]!, 1e-4, `d/dlogits[${i}]`));
  close(loss.item(), -1, 1e-7);
  assert.equal(clipFrac, 0);
  assert.equal(approxKl, 0);
});

test('clipping is pessimistic: a good action past 1+ε gets no gradient, a bad one keeps it', () => {
  const old = [[0, 0]], logp0 = [Math.log(1.5), Math.log(1.5)];
  const logp = tensor([logp0], undefined, { requiresGrad: true }); // (1, 2)
  const { loss, clipFrac, approxKl } = ppoPolicyLoss(logp, old, [[1, -1]], [[1, 1]], 0.2);
  // token 0: max(−1.5, −1.2) = −1.2 (clipped, flat); token 1: max(1.5, 1.2) = 1.5 (unclipped).
  close(loss.item(), (-1.2 + 1.5) / 2, 1e-6);
  loss.backward();
  close(logp.grad!.data[0]!, 0, 1e-9);
  close(logp.grad!.data[1]!, 1.5 / 2, 1e-6); // d(−A·ρ)/dlogp = −A·ρ, mean over 2 tokens
  assert.equal(clipFrac, 0.5);
  close(approxKl, 0.5 * Math.log(1.5) ** 2, 1e-6);
});

test('masked tokens count for nothing in the loss, its gradient and the metrics', () => {
  const logp = tensor([[-1, -2, -3], [-0.5, -9, -9]], undefined, { requiresGrad: true });
  const old = [[-1.1, -2, -2.9], [-0.6, 0, 0]], adv = [[1, 2, -1], [0.5, 100, 100]], mask = [[1, 1, 1], [1, 0, 0]];
  const { loss, approxKl } = ppoPolicyLoss(logp, old, adv, mask, 0.2);
  const ratio = (a: number, b: number) => Math.exp(a - b);
  const want = [[-1, -1.1, 1], [-2, -2, 2], [-3, -2.9, -1], [-0.5, -0.6, 0.5]]
    .map(([lp, o, a]) => Math.max(-a! * ratio(lp!, o!), -a! * Math.min(1.2, Math.max(0.8, ratio(lp!, o!))))).reduce((s, x) => s + x) / 4;
  close(loss.item(), want, 1e-6);
  close(approxKl, 0.5 * (0.01 + 0 + 0.01 + 0.01) / 4, 1e-6);
  loss.backward();
  assert.deepEqual(Array.from(logp.grad!.data.slice(4)), [0, 0]);
});

test('value loss: known value, no gradient where the clipped error is larger, clipFrac', () => {
  const v = tensor([[1, 2, 50]], undefined, { requiresGrad: true });
  const { loss, clipFrac } = ppoValueLoss(v, [[0.5, 2, 0]], [[2, 1, 0]], [[1, 1, 0]], 0.2);
  // token 0: clip(1) = 0.7, max((1−2)², (0.7−2)²) = 1.69 (clipped); token 1: max(1, 1) = 1.
  close(loss.item(), 0.5 * (1.69 + 1) / 2, 1e-6);
  assert.equal(clipFrac, 0.5);
  loss.backward();
  const g = v.grad!.toArray();
  close(g[0]!, 0, 1e-9);
  close(g[1]!, 0.5 * 2 * (2 - 1) / 2, 1e-6);
  close(g[2]!, 0, 1e-9);
});

test('entropy from logits: ln V when uniform, known value, gradient against finite differences', () => {
  close(entropyFromLogits(tensor([[3, 3, 3, 3, 3]])).item(), Math.log(5), 1e-6);
  const l = [1, 2, 1, 1], z = l.reduce((s, x) => s + Math.exp(x), 0), p = l.map((x) => Math.exp(x) / z);
  close(entropyFromLogits(tensor([l])).item(), -p.reduce((s, q) => s + q * Math.log(q), 0), 1e-6);
  const rng = new Rng(3);
  const x0 = Array.from({ length: 6 }, () => rng.normal());
  const x = tensor([x0.slice(0, 3), x0.slice(3)], undefined, { requiresGrad: true });
  const h = entropyFromLogits(x);
  assert.deepEqual(h.shape, [2]);
  sum(h).backward();
  const f = (v: number[]) => noGrad(() => sum(entropyFromLogits(tensor([v.slice(0, 3), v.slice(3)]))).item());
  x0.forEach((_, i) => {
    const up = x0.map((v, j) => (j === i ? v + 1e-2 : v)), dn = x0.map((v, j) => (j === i ? v - 1e-2 : v));
    close(x.grad!.data[i]!, (f(up) - f(dn)) / 2e-2, 1e-3, `dH/dx[${i}]`);
  });
});

test('shape and mask errors name the input', () => {
  const logp: Tensor = tensor([[-1, -2]]);
  assert.throws(() => ppoPolicyLoss(logp, [[0, 0, 0]], [[1, 1]], [[1, 1]]), /oldLogp has shape \[1, 3\]/);
  assert.throws(() => ppoPolicyLoss(logp, [[0, 0]], [[1, 1]], [[0, 0]]), /mask selects no position/);
  assert.throws(() => ppoPolicyLoss(logp, [[0, 0]], [[1, 1]], [[1, 2]]), /mask holds 2/);
  assert.throws(() => ppoValueLoss(logp, [[0, 0]], [[1, 1]], [[1, 1]], -1), /clipValue must be/);
});
