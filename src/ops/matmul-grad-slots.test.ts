// matmul overwrites the gradient buffers it creates (autograd's gradSlot) instead of zero-filling
// and adding to them. These tests hand it recycled buffers full of NaN, so that a product adding
// onto a buffer it should have overwritten shows, and compare with gradients formed another way,
// so that a product overwriting what an earlier use had added shows too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradSlot, releaseGradBuffers, backward, noGrad } from '../autograd/index.js';
import { recycleGradBuffer } from '../autograd/grad-pool.js';
import { Rng, Tensor, randn, tensor } from '../tensor/index.js';
import { add, mul } from './elementwise.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';

function param(shape: number[], rng: Rng): Tensor {
  const t = randn(shape, { rng });
  t.requiresGrad = true;
  return t;
}

/** Leaves the pool holding NaN-filled spares of each size. */
function dirtyPool(...sizes: number[]): void {
  releaseGradBuffers();
  for (const n of sizes) for (let i = 0; i < 3; i++) recycleGradBuffer(new Float32Array(n).fill(NaN));
}

function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)), `${what}[${i}] is ${got[i]}, expected ${want[i]}`);
  }
}

test('gradSlot hands out a fresh buffer once, then the same buffer to accumulate onto', () => {
  const t = tensor(new Float32Array(8), [8], { requiresGrad: true });
  const first = gradSlot(t)!, second = gradSlot(t)!;
  assert.equal(first.fresh, true);
  assert.equal(second.fresh, false);
  assert.equal(second.grad, first.grad);
  assert.equal(gradSlot(tensor(new Float32Array(2), [2])), null, 'no gradient wanted, no slot');
});

test('a hidden state used by two products gets the sum of both gradients over a dirty pool', () => {
  const rng = new Rng(5);
  const x = param([64, 96], rng), w = param([96, 80], rng), w2 = param([80, 64], rng), w3 = param([80, 64], rng);
  const G = randn([64, 64], { rng });
  dirtyPool(64 * 96, 96 * 80, 64 * 80, 80 * 64, 64 * 64);
  const h = matmul(x, w); // (64, 80): its gradient comes from two products
  const y = add(matmul(h, w2), matmul(h, w3));
  backward(sum(mul(y, G)));
  const [dh, dx] = noGrad(() => {
    const dh = matmul(G, add(w2, w3), { transB: true }); // G·(w2 + w3)ᵀ
    return [dh, matmul(dh, w, { transB: true })];
  });
  assertClose(x.grad!.f32, dx.f32, 'dx');
  assertClose(w.grad!.f32, noGrad(() => matmul(x, dh, { transA: true })).f32, 'dw');
  assertClose(w2.grad!.f32, noGrad(() => matmul(h, G, { transA: true })).f32, 'dw2');
});

test('a gradient that an add started is added to, not overwritten, by a product', () => {
  const rng = new Rng(6);
  const x = param([64, 80], rng), w = param([80, 80], rng);
  const G = randn([64, 80], { rng });
  dirtyPool(64 * 80, 80 * 80);
  const h = add(x, x); // h's gradient: from the add below and from the product
  const y = add(h, matmul(h, w));
  backward(sum(mul(y, G)));
  // dh = G + G·wᵀ, dx = 2·dh.
  const dh = noGrad(() => add(G, matmul(G, w, { transB: true })));
  assertClose(x.grad!.f32, noGrad(() => add(dh, dh)).f32, 'dx');
});

test('a weight broadcast over a batch sums its gradient over the batch on a dirty pool', () => {
  const rng = new Rng(7);
  const a = param([3, 64, 70], rng), b = param([64, 80], rng); // aᵀ·b per batch element: no folding
  const G = randn([3, 70, 80], { rng });
  dirtyPool(3 * 64 * 70, 64 * 80, 3 * 70 * 80);
  const y = matmul(a, b, { transA: true });
  backward(sum(mul(y, G)));
  // db = Σ_i a_i·G_i.
  const want = noGrad(() => {
    let s: Tensor | null = null;
    for (let i = 0; i < 3; i++) {
      const ai = tensor(a.f32.slice(i * 64 * 70, (i + 1) * 64 * 70), [64, 70]);
      const gi = tensor(G.f32.slice(i * 70 * 80, (i + 1) * 70 * 80), [70, 80]);
      const p = matmul(ai, gi);
      s = s ? add(s, p) : p;
    }
    return s!;
  });
  assertClose(b.grad!.f32, want.f32, 'db');
});
