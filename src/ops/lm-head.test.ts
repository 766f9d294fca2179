// The chunked LM head + cross-entropy against the unfused path it replaces (matmul, scale by 1/τ,
// crossEntropy): the same losses and gradients whatever the chunking, bit for bit when the batch
// fits one chunk. Finite differences check it independently in test/gradcheck.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, noGrad, releaseGradBuffers } from '../autograd/index.js';
import { recycleGradBuffer } from '../autograd/grad-pool.js';
import { Rng, Tensor, randn, tensor } from '../tensor/index.js';
import { narrowExact, widenHalf } from '../tensor/half.js';
import { f32ToBf16, f32ToF16 } from '../io/float16.js';
import { add, mul } from './elementwise.js';
import { crossEntropy } from './embedding.js';
import { chunkRowsFor, FROZEN_LOGIT_BUDGET, lmHeadCrossEntropy, lmHeadRows } from './lm-head.js';
import { matmul } from './matmul.js';
import { logSoftmax, sum } from './reduce.js';

const B = 3, T = 5, C = 8, V = 37;

function inputs(seed: number): { h: Tensor; w: Tensor; t: Tensor; wt: Float32Array } {
  const rng = new Rng(seed);
  const h = randn([B, T, C], { rng }), w = randn([V, C], { rng });
  h.requiresGrad = true; w.requiresGrad = true;
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i % 4 === 3 ? -100 : rng.int(V)));
  const wt = Float32Array.from({ length: B * T }, () => rng.normal());
  return { h, w, t: tensor(ids, [B, T]), wt };
}

/** Losses and the gradients of Σ wtᵢ·lossᵢ, by `f`. */
function run(seed: number, f: (h: Tensor, w: Tensor, t: Tensor) => Tensor): { loss: Float32Array; dh: Float32Array; dw: Float32Array } {
  const { h, w, t, wt } = inputs(seed);
  const loss = f(h, w, t);
  backward(sum(mul(loss, new Tensor(wt, [B, T]))));
  return { loss: loss.f32.slice(), dh: h.grad!.f32.slice(), dw: w.grad!.f32.slice() };
}

const unfused = (tau: number) => (h: Tensor, w: Tensor, t: Tensor): Tensor => {
  const logits = matmul(h, w, { transB: true });
  return crossEntropy(tau === 1 ? logits : mul(logits, 1 / tau), t, { reduction: 'none' });
};

function assertClose(got: Float32Array, want: Float32Array, what: string, tol: number): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    assert.ok(err <= tol, `${what}[${i}] is ${got[i]}, unfused ${want[i]} (relative error ${err})`);
  }
}

for (const tau of [1, 0.7]) {
  test(`lmHeadCrossEntropy equals the unfused head + crossEntropy, τ = ${tau}, any chunking`, () => {
    const want = run(1, unfused(tau));
    for (const chunkRows of [1, 2, 4, 7, 15, 100]) {
      const got = run(1, (h, w, t) => lmHeadCrossEntropy(h, w, t, { temperature: tau, chunkRows }));
      // One chunk runs the same kernels on the same operands: the same bits.
      const tol = chunkRows >= B * T ? 0 : 1e-5;
      assertClose(got.loss, want.loss, `losses (chunks of ${chunkRows})`, tol);
      assertClose(got.dh, want.dh, `dHidden (chunks of ${chunkRows})`, tol);
      assertClose(got.dw, want.dw, `dW (chunks of ${chunkRows})`, tol);
    }
    for (let i = 3; i < B * T; i += 4) assert.equal(run(1, (h, w, t) => lmHeadCrossEntropy(h, w, t, { temperature: tau, chunkRows: 2 })).loss[i], 0, 'an ignored target costs 0');
  });
}

test('lmHeadCrossEntropy overwrites fresh gradient buffers and adds onto used ones', () => {
  // Recycled buffers full of NaN: a chunk that added onto a buffer it should have overwritten shows.
  releaseGradBuffers();
  for (const n of [B * T * C, V * C]) for (let i = 0; i < 3; i++) recycleGradBuffer(new Float32Array(n).fill(NaN));
  const got = run(2, (h, w, t) => lmHeadCrossEntropy(h, w, t, { chunkRows: 4 }));
  releaseGradBuffers();
  const want = run(2, unfused(1));
  assertClose(got.dh, want.dh, 'dHidden', 1e-5);
  assertClose(got.dw, want.dw, 'dW', 1e-5);
  // A weight used twice (a tied embedding): the head's gradient and the other use's add up.
  const tied = (f: (h: Tensor, w: Tensor, t: Tensor) => Tensor): Float32Array => {
    const { h, w, t } = inputs(3);
    backward(add(sum(f(h, w, t)), sum(mul(w, w))));
    return w.grad!.f32.slice();
  };
  assertClose(tied((h, w, t) => lmHeadCrossEntropy(h, w, t, { chunkRows: 4 })), tied(unfused(1)), 'tied dW', 1e-5);
});

test('lmHeadCrossEntropy checks its inputs, naming what was expected', () => {
  const { h, w, t } = inputs(4);
  assert.throws(() => lmHeadCrossEntropy(h, randn([V, C + 1]), t), /hidden has shape \[3, 5, 8\], expected \(…, 9\)/);
  assert.throws(() => lmHeadCrossEntropy(h, w, tensor(new Int32Array(B * T).fill(V), [B, T])), /target 37 at position 0 is outside \[0, 37\)/);
  assert.throws(() => lmHeadCrossEntropy(h, w, tensor(new Int32Array(B), [B])), /expected targets of shape \[3, 5\]/);
  assert.throws(() => lmHeadCrossEntropy(h, w, t, { temperature: 0 }), /temperature is 0; expected a finite number > 0/);
  assert.throws(() => lmHeadCrossEntropy(h, w, t, { chunkRows: 0.5 }), /chunkRows is 0.5; expected a positive integer/);
});

test('lmHeadRows hands each chunk of logits to its reducer, rows in order', () => {
  const { h, w } = inputs(5);
  const logp0 = (logits: Tensor): Float32Array => {
    const l = logSoftmax(logits).f32, n = logits.shape[0]!;
    return Float32Array.from({ length: n }, (_, r) => l[r * V]!);
  };
  const full = noGrad(() => logSoftmax(mul(matmul(h, w, { transB: true }), 1 / 0.5)).f32);
  for (const chunkRows of [1, 4, 100]) {
    const got = lmHeadRows(h, w, logp0, { temperature: 0.5, chunkRows });
    for (let r = 0; r < B * T; r++) assert.ok(Math.abs(got[r]! - full[r * V]!) <= 1e-6, `row ${r} (chunks of ${chunkRows}): ${got[r]} vs ${full[r * V]}`);
  }
});

test('chunkRowsFor keeps a chunk within the logit budget', () => {
  assert.equal(chunkRowsFor(49152), 85);
  assert.equal(chunkRowsFor(151936), 27);
  assert.equal(chunkRowsFor(256), 16384);
  assert.equal(chunkRowsFor(1 << 30), 1);
});

test('a frozen 16-bit head gives the losses and dHidden of the same head widened to float32, bit for bit', () => {
  for (const half of ['bfloat16', 'float16'] as const) {
    const { h, w, t } = inputs(11);
    // The weights rounded to the 16-bit type (as a checkpoint holds them), then read back.
    const rounded = Uint16Array.from(w.f32, (x) => (half === 'bfloat16' ? f32ToBf16(x) : f32ToF16(x)));
    const wide = widenHalf(rounded, half), bits = narrowExact(wide, half)!;
    assert.ok(bits, `${half} holds the rounded weights exactly`);
    const frozen = new Tensor(bits, [V, C], false, half), widened = new Tensor(wide, [V, C]);
    for (const chunkRows of [2, 15]) {
      const grads = [frozen, widened].map((wt) => {
        const x = new Tensor(h.f32.slice(), h.shape, true);
        const loss = lmHeadCrossEntropy(x, wt, t, { chunkRows, temperature: 0.7 });
        backward(sum(loss));
        return { loss: loss.f32.slice(), dh: x.grad!.f32.slice() };
      });
      assert.deepEqual(grads[0]!.loss, grads[1]!.loss, `${half} losses, chunks of ${chunkRows}`);
      assert.deepEqual(grads[0]!.dh, grads[1]!.dh, `${half} dHidden, chunks of ${chunkRows}`);
    }
  }
});

// Opt-in bf16 compute on a frozen bfloat16 head: dHidden is made in the forward (the logits are
// not recomputed). Its losses are the rounded forward's, bit for bit; dHidden stays near the exact
// path's (activations and dLogits rounded to bfloat16 at the products; here 15 rows of width 8 moved
// it by ~1% of its largest entry), and each row carries its own upstream factor gᵢ (the weights
// of Σ wtᵢ·lossᵢ are random, so a gradient scaled by the wrong gᵢ, or by none, lands far off).
test('bf16 compute with a frozen bfloat16 head: losses as the forward rounds them, dHidden near the exact path', () => {
  const { h, w, t, wt } = inputs(13);
  const frozen = new Tensor(Uint16Array.from(w.f32, f32ToBf16), [V, C], false, 'bfloat16');
  const grad = (bf16Compute: boolean, chunkRows?: number): { loss: Float32Array; dh: Float32Array } => {
    const x = new Tensor(h.f32.slice(), h.shape, true);
    const loss = lmHeadCrossEntropy(x, frozen, t, { bf16Compute, temperature: 0.7, chunkRows });
    backward(sum(mul(loss, new Tensor(wt, [B, T]))));
    return { loss: loss.f32.slice(), dh: x.grad!.f32.slice() };
  };
  const exact = grad(false);
  for (const chunkRows of [4, undefined]) {
    const fast = grad(true, chunkRows);
    const forward = noGrad(() => lmHeadCrossEntropy(new Tensor(h.f32.slice(), h.shape), frozen, t, { bf16Compute: true, temperature: 0.7, chunkRows }).f32);
    assert.deepEqual(fast.loss, forward, 'the losses are the bf16 forward\'s');
    let d = 0, top = 0;
    for (let i = 0; i < exact.dh.length; i++) { d = Math.max(d, Math.abs(fast.dh[i]! - exact.dh[i]!)); top = Math.max(top, Math.abs(exact.dh[i]!)); }
    assert.ok(d > 0, 'bf16 compute changed no gradient: nothing was rounded');
    assert.ok(d <= 0.05 * top, `dHidden moved by ${d}, max |dHidden| ${top} (chunks of ${chunkRows ?? 'default'})`);
  }
});

test('a frozen 16-bit head is walked in chunks of the larger budget (no dW to sum)', () => {
  assert.equal(chunkRowsFor(151936, FROZEN_LOGIT_BUDGET), 256);
  assert.equal(chunkRowsFor(49152, FROZEN_LOGIT_BUDGET), 791);
});

// The frozen head's larger chunks are safe for the exact path's bits: with no dW, a row's loss and
// dHidden do not depend on which rows share its chunk (matmulHalf sums each row's k in one order).
test('a frozen 16-bit head: losses and dHidden bit for bit whatever the chunking (exact path)', () => {
  const { h, t, wt, w } = inputs(17);
  const frozen = new Tensor(Uint16Array.from(w.f32, f32ToBf16), [V, C], false, 'bfloat16');
  const grads = [4, 7, 15, undefined].map((chunkRows) => {
    const x = new Tensor(h.f32.slice(), h.shape, true);
    const loss = lmHeadCrossEntropy(x, frozen, t, { chunkRows });
    backward(sum(mul(loss, new Tensor(wt, [B, T]))));
    return { loss: loss.f32.slice(), dh: x.grad!.f32.slice() };
  });
  for (const g of grads.slice(1)) assert.deepEqual(g, grads[0]);
});
