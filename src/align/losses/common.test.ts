import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sum } from '../../ops/index.js';
import { tensor } from '../../tensor/index.js';
import { clamp, constant, logSigmoid, maximum, softplus } from './common.js';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);

test('softplus is log(1 + eˣ) without overflow, with gradient σ(x) everywhere including 0', () => {
  const xs = [-200, -30, -1, -1e-3, 0, 1e-3, 1, 30, 200];
  const x = tensor(xs, undefined, { requiresGrad: true });
  const y = softplus(x);
  const exact = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  y.toArray().forEach((v, i) => close(v, exact(xs[i]!), 1e-6, `softplus(${xs[i]})`));
  sum(y).backward();
  x.grad!.toArray().forEach((g, i) => close(g, 1 / (1 + Math.exp(-xs[i]!)), 1e-6, `σ(${xs[i]})`));
  close(logSigmoid(tensor([0])).item(), -Math.LN2, 1e-7);
  close(logSigmoid(tensor([-200])).item(), -200, 1e-7);
});

test('clamp and maximum pass the gradient only through the selected value', () => {
  const x = tensor([0.5, 1, 1.5], undefined, { requiresGrad: true });
  const c = clamp(x, 0.8, 1.2);
  assert.deepEqual(c.toArray(), [0.8, 1, 1.2].map(Math.fround));
  sum(c).backward();
  assert.deepEqual(x.grad!.toArray(), [0, 1, 0]);
  const a = tensor([1, 2, 3], undefined, { requiresGrad: true }), b = tensor([3, 2, 1], undefined, { requiresGrad: true });
  sum(maximum(a, b)).backward();
  assert.deepEqual(a.grad!.toArray(), [0, 1, 1]); // the tie goes to a
  assert.deepEqual(b.grad!.toArray(), [1, 0, 0]);
});

test('constants: numbers or tensors, detached, (B) accepted for (B, 1), wrong sizes named', () => {
  const t = constant('op', 'adv', [1, 2], [2, 1]);
  assert.deepEqual(t.shape, [2, 1]);
  assert.equal(constant('op', 'x', tensor([1, 2], undefined, { requiresGrad: true }), [2]).requiresGrad, false);
  assert.throws(() => constant('op', 'adv', [[1, 2], [3]], [2, 2]), /op: adv rows must all have 2 values/);
  assert.throws(() => constant('op', 'adv', [1, 2, 3], [2, 1]), /op: adv has shape \[3\], expected \[2, 1\]/);
});
