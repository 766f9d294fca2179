// Invariant (DESIGN.md rule 9): batch 1 × accumulation 8 == batch 8 × accumulation 1. On a tiny
// GPT-2, the gradients of 8 micro-batches of one sequence, each loss scaled by 1/8, sum to the
// gradient of the mean loss over the batch of 8 (every sequence has the same number of targets,
// so the mean over the batch is the mean of the per-sequence means), and one AdamW step from
// either gradient lands on the same weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW } from '../nn/index.js';
import { crossEntropy, mul } from '../ops/index.js';
import { Rng, Tensor, tensor } from '../tensor/index.js';
import { Transformer } from './transformer.js';
import { cloneParams, expectClose, maxAbs, randomIds, tinyConfig } from './test-util.test.js';

test('gpt2: 8 micro-batches of 1 (loss/8 each) == one batch of 8, in gradients and after one AdamW step', () => {
  const cfg = tinyConfig('gpt2');
  const whole = new Transformer(cfg, undefined, 61);
  const micro = new Transformer(cfg, cloneParams(whole.params));
  const rng = new Rng(62);
  const B = 8, T = 6;
  const ids = randomIds(rng, B, T, cfg.vocabSize), targets = randomIds(rng, B, T, cfg.vocabSize);
  const row = (x: Tensor, b: number): Tensor => tensor(x.i32.slice(b * T, (b + 1) * T), [1, T]);

  crossEntropy(whole.logits(ids), targets).backward();
  for (let b = 0; b < B; b++) mul(crossEntropy(micro.logits(row(ids, b)), row(targets, b)), 1 / B).backward();

  for (const [name, p] of whole.params) {
    const want = p.grad!.f32, got = micro.p(name).grad!.f32;
    // Relative, with a floor at 1e-2 of the tensor's largest gradient: a gradient that is zero in
    // exact arithmetic (GPT-2's key bias) is float32 noise in both sums.
    expectClose(`gradient of ${name}`, got, want, 1e-5, 1e-2 * maxAbs(want));
  }

  // Adam's first step moves w by lr·g/(|g| + eps) (m̂ = g, v̂ = g²) besides the shared decay, so
  // where |g| ≫ eps the two runs agree to far below the step (1e-4·lr here). Where |g| is near eps —
  // float32 noise, such as GPT-2's key bias, whose exact gradient is zero since softmax ignores a
  // shift of every key by the same vector — the map amplifies the gradients' difference by up to
  // eps/(|g| + eps)²; that bound (mean value theorem; the full range when the signs differ) is
  // what those few elements are held to.
  const lr = 1e-3, eps = 1e-8;
  const optW = new AdamW(whole.namedParameters(), { lr, eps }), optM = new AdamW(micro.namedParameters(), { lr, eps });
  const grads = new Map([...micro.params].map(([k, p]) => [k, p.grad!.f32.slice()]));
  optW.update();
  optM.update();
  let loose = 0, total = 0;
  for (const [name, p] of whole.params) {
    const got = micro.p(name).f32, want = p.f32, g1 = p.grad!.f32, g2 = grads.get(name)!;
    for (let i = 0; i < want.length; i++, total++) {
      const a = g1[i]!, b = g2[i]!;
      let bound = 1e-4 * lr;
      // Exact zeros in both (unused rows of wte and wpe) only decay: held to the tight bound.
      if ((a !== 0 || b !== 0) && Math.min(Math.abs(a), Math.abs(b)) < 1e4 * eps) {
        loose++;
        bound += Math.sign(a) === Math.sign(b)
          ? (lr * eps * Math.abs(a - b)) / (Math.min(Math.abs(a), Math.abs(b)) + eps) ** 2
          : lr * (Math.abs(a) / (Math.abs(a) + eps) + Math.abs(b) / (Math.abs(b) + eps));
      }
      assert.ok(Math.abs(got[i]! - want[i]!) <= bound,
        `${name}[${i}]: ${got[i]} after accumulation, ${want[i]} after one batch (gradients ${b} and ${a})`);
    }
  }
  assert.ok(loose < 0.02 * total, `${loose} of ${total} weights have gradients within 1e4·eps of zero`);
});
