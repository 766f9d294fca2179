// The two storage layouts compute the same map: W (out, in) with x·Wᵀ equals Wᵀ (in, out) with x·W,
// for inputs of any rank, with and without bias, and so do their gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sum, mul } from '../ops/index.js';
import { Rng, Tensor, randn, tensor } from '../tensor/index.js';
import { linear } from './linear.js';

function transpose2(w: Tensor): Tensor {
  const [r, c] = w.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w.f32[i * c + j]!;
  return tensor(out, [c, r], { requiresGrad: true });
}

test('linear: out-in and in-out layouts agree on (B, T, in) input, values and gradients', () => {
  const rng = new Rng(71);
  const x = randn([2, 3, 5], { rng, requiresGrad: true });
  const w = randn([4, 5], { rng, requiresGrad: true }); // (out, in)
  const wt = transpose2(w); // (in, out)
  const b = randn([4], { rng, requiresGrad: true });
  const y1 = linear(x, w, b, 'out-in'), y2 = linear(x, wt, b, 'in-out');
  assert.deepEqual(y1.shape, [2, 3, 4]);
  assert.deepEqual(y2.shape, [2, 3, 4]);
  y1.f32.forEach((v, i) => assert.ok(Math.abs(v - y2.f32[i]!) < 1e-6));
  // y = x·Wᵀ + b by hand for one element.
  let want = b.f32[2]!;
  for (let k = 0; k < 5; k++) want += x.f32[(1 * 3 + 2) * 5 + k]! * w.f32[2 * 5 + k]!;
  assert.ok(Math.abs(y1.f32[(1 * 3 + 2) * 4 + 2]! - want) < 1e-6);
  const g = randn([2, 3, 4], { rng });
  sum(mul(y1, g)).backward();
  sum(mul(y2, g)).backward();
  const gw = w.grad!.f32, gwt = wt.grad!.f32;
  for (let o = 0; o < 4; o++) for (let i = 0; i < 5; i++) assert.ok(Math.abs(gw[o * 5 + i]! - gwt[i * 4 + o]!) < 1e-5);
  assert.equal(b.grad!.size, 4);
});

test('linear: a 2-D input is used as is, no bias', () => {
  const x = tensor([[1, 2]]), w = tensor([[1, 0], [0, 1], [1, 1]]);
  assert.deepEqual(linear(x, w).toArray(), [1, 2, 3]);
  assert.deepEqual(linear(x, tensor([[1, 0, 1], [0, 1, 1]]), null, 'in-out').toArray(), [1, 2, 3]);
});
