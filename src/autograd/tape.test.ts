import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, matmul, mul, sum, tanh } from '../ops/index.js';
import { tensor } from '../tensor/index.js';
import { backward, gradNorm, gradPoolStats, noGrad, releaseGradBuffers, retainGrad } from './index.js';

test('gradients accumulate into parameters across backward calls', () => {
  const w = tensor([1, 2, 3], undefined, { requiresGrad: true });
  sum(mul(w, w)).backward();
  assert.deepEqual(w.grad!.toArray(), [2, 4, 6]);
  sum(mul(w, 3)).backward();
  assert.deepEqual(w.grad!.toArray(), [5, 7, 9]);
  w.zeroGrad();
  assert.deepEqual(w.grad!.toArray(), [0, 0, 0]);
});

test('a tensor used twice receives both contributions', () => {
  const x = tensor([0.5, -1], undefined, { requiresGrad: true });
  const y = add(tanh(x), mul(x, x)); // dy/dx = 1 − tanh² + 2x
  sum(y).backward();
  const want = [0.5, -1].map((v) => 1 - Math.tanh(v) ** 2 + 2 * v);
  x.grad!.toArray().forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-6));
});

test('noGrad records nothing, even on parameters', () => {
  const w = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
  const y = noGrad(() => matmul(w, w));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.node, null);
  assert.throws(() => sum(y).backward(), /does not require a gradient/);
});

test('detach stops the gradient', () => {
  const w = tensor([2], undefined, { requiresGrad: true });
  const y = mul(w, w.detach()); // d/dw = w.detach() only
  sum(y).backward();
  assert.deepEqual(w.grad!.toArray(), [2]);
});

test('intermediate gradients are freed unless retained', () => {
  const w = tensor([1, 2], undefined, { requiresGrad: true });
  const h = mul(w, 2);
  const k = retainGrad(mul(w, 3));
  sum(add(h, k)).backward();
  assert.equal(h.grad, null);
  assert.deepEqual(k.grad!.toArray(), [1, 1]);
});

test('backward needs a scalar or an explicit gradient', () => {
  const w = tensor([1, 2], undefined, { requiresGrad: true });
  const y = mul(w, w);
  assert.throws(() => y.backward(), /expected a scalar/);
  backward(y, Float32Array.of(1, 10));
  assert.deepEqual(w.grad!.toArray(), [2, 40]);
});

test('a deep chain does not overflow the stack', () => {
  const w = tensor([1], undefined, { requiresGrad: true });
  let y = w;
  for (let i = 0; i < 20000; i++) y = mul(y, 1);
  sum(y).backward();
  assert.deepEqual(w.grad!.toArray(), [1]);
});

test('gradNorm is the global L2 norm over parameters', () => {
  const a = tensor([3], undefined, { requiresGrad: true });
  const b = tensor([1, 1], undefined, { requiresGrad: true });
  sum(add(mul(a, a), sum(mul(b, 2)))).backward(); // grads: a → 6, b → [2, 2]
  assert.ok(Math.abs(gradNorm([a, b]) - Math.sqrt(36 + 8)) < 1e-6);
});

test('recycled gradient buffers come back zeroed: a second backward gives the same gradients', () => {
  releaseGradBuffers();
  // Intermediates of 64×64 = 4096 floats, large enough for the pool.
  const w = tensor(Array.from({ length: 64 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j))), undefined, { requiresGrad: true });
  const loss = () => sum(tanh(matmul(tanh(matmul(w, w)), w)));
  loss().backward();
  const first = w.grad!.toArray();
  // The intermediates' buffers are now spare, holding the first backward's values.
  const spare = gradPoolStats();
  assert.ok(spare.buffers >= 2, `expected spare buffers after backward, got ${spare.buffers}`);
  w.grad = null;
  loss().backward();
  assert.ok(gradPoolStats().buffers >= spare.buffers, 'the second backward returns what it took');
  w.grad!.toArray().forEach((g, i) => assert.ok(Math.abs(g - first[i]!) <= 1e-6 * Math.max(1, Math.abs(first[i]!)), `grad ${i}: ${g} vs ${first[i]}`));
});

test('the gradient pool reuses an intermediate buffer and never hands out a retained one', () => {
  releaseGradBuffers();
  const w = tensor(Array.from({ length: 4096 }, (_, i) => i / 4096), undefined, { requiresGrad: true });
  const h = mul(w, 2);
  const k = retainGrad(mul(w, 3));
  sum(add(h, k)).backward();
  const kept = k.grad!.f32;
  // h's gradient buffer went back to the pool, k's did not.
  assert.equal(gradPoolStats().buffers, 1);
  // The next intermediate of that size takes h's old buffer, never k's.
  const h2 = retainGrad(mul(w, 5));
  sum(h2).backward();
  assert.equal(gradPoolStats().buffers, 0, 'the spare buffer was taken');
  assert.notEqual(h2.grad!.f32, kept);
  assert.ok(h2.grad!.toArray().every((v) => v === 1), 'and zeroed before use');
  assert.ok(k.grad!.toArray().every((v) => v === 1), "k's retained gradient is untouched");
  releaseGradBuffers();
  assert.deepEqual(gradPoolStats(), { buffers: 0, bytes: 0 });
});
