import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, dropout, matmul, mul, sum, tanh } from '../ops/index.js';
import { Rng, Tensor, randn } from '../tensor/index.js';
import { backward, checkpoint, gradPoolStats, isCheckpointed, noGrad, retainGrad, type CheckpointFn } from './index.js';

// A residual block with dropout on its branch: h + dropout(tanh(h·W) ⊙ h).
const block = (w: Tensor, draw?: Rng): CheckpointFn => ([h], rng) =>
  add(h!, dropout(mul(tanh(matmul(h!, w)), h!), 0.3, true, draw ?? rng));

interface Run { grads: Float32Array[]; loss: number; rngAfter: number[] }

/** Three blocks over x, checkpointed or not; the gradients of x and of each W, and the generator's state after the forward. */
function run(mode: 'plain' | 'checkpoint' | 'stray', xGrad = true): Run {
  const init = new Rng(7);
  const x = randn([4, 5], { rng: init, requiresGrad: xGrad });
  const ws = [0, 1, 2].map(() => randn([5, 5], { rng: init, std: 0.5, requiresGrad: true }));
  const rng = new Rng(11), stray = new Rng(99);
  let h = x;
  for (const w of ws) {
    // 'stray' draws its masks from a generator of its own, so the recompute's mask is not the forward's.
    const fn = block(w, mode === 'stray' ? stray : undefined);
    h = mode === 'plain' ? fn([h], rng) : checkpoint(fn, [h], [w], rng);
  }
  const rngAfter = rng.state();
  const loss = sum(mul(h, h));
  backward(loss);
  return { grads: [...(xGrad ? [x] : []), ...ws].map((t) => t.grad!.f32.slice()), loss: loss.item(), rngAfter };
}

test('checkpointed blocks give the plain graph\'s gradients bit for bit, dropout masks replayed', () => {
  const plain = run('plain'), ck = run('checkpoint');
  assert.equal(ck.loss, plain.loss);
  assert.deepEqual(ck.rngAfter, plain.rngAfter, 'the forward leaves the generator where the plain forward does');
  ck.grads.forEach((g, i) => assert.deepEqual(g, plain.grads[i], `gradient ${i}`));
});

test('a recompute that draws a different dropout mask is caught', () => {
  const plain = run('plain'), stray = run('stray');
  const same = stray.grads.every((g, i) => g.every((v, j) => v === plain.grads[i]![j]));
  assert.equal(same, false, 'gradients with a different recompute mask must differ from the plain graph\'s');
});

test('a block over an input that needs no gradient is recorded for its parameters', () => {
  const plain = run('plain', false), ck = run('checkpoint', false);
  ck.grads.forEach((g, i) => assert.deepEqual(g, plain.grads[i], `weight ${i}`));
  const w = randn([5, 5], { requiresGrad: true });
  const y = checkpoint(block(w), [randn([4, 5])], [w], new Rng(1));
  assert.ok(isCheckpointed(y));
});

test('outside grad mode, or with nothing to train, the block runs plain and records nothing', () => {
  const w = randn([5, 5], { requiresGrad: true });
  const y = noGrad(() => checkpoint(block(w), [randn([4, 5])], [w], new Rng(1)));
  assert.equal(y.node, null);
  const frozen = randn([5, 5]);
  assert.equal(checkpoint(block(frozen), [randn([4, 5])], [frozen], new Rng(1)).requiresGrad, false);
});

test('the nested backward is re-entrant: a checkpoint inside a checkpoint, a retained gradient outside, nothing left pooled beyond the cap', () => {
  const make = (nested: boolean) => {
    const init = new Rng(3);
    const x = randn([4, 5], { rng: init, requiresGrad: true });
    const w1 = randn([5, 5], { rng: init, std: 0.5, requiresGrad: true }), w2 = randn([5, 5], { rng: init, std: 0.5, requiresGrad: true });
    const pre = retainGrad(tanh(x));
    const inner: CheckpointFn = ([h], rng) => add(block(w1)([h!], rng), block(w2)([h!], rng));
    const outer: CheckpointFn = ([h], rng) => mul(checkpoint(inner, [h!], [w1, w2], rng), h!);
    const y = nested ? checkpoint(outer, [pre], [w1, w2], new Rng(5)) : outer([pre], new Rng(5));
    backward(sum(y));
    return [pre.grad!.f32, x.grad!.f32, w1.grad!.f32, w2.grad!.f32].map((g) => g.slice());
  };
  const plain = make(false), nested = make(true);
  nested.forEach((g, i) => assert.deepEqual(g, plain[i], `gradient ${i}`));
  assert.ok(gradPoolStats().bytes <= 256 * 2 ** 20);
});

test('a block that returns its input is refused', () => {
  const w = randn([2, 2], { requiresGrad: true });
  assert.throws(() => checkpoint(([h]) => h!, [randn([2, 2], { requiresGrad: true })], [w]), /returned one of its inputs/);
});
