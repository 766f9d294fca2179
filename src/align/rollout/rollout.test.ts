import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addScalarHead, scalarPerToken } from '../../model/index.js';
import { completionLogprobs, tokenLogprobs } from '../trainer/logprobs.js';
import { rolloutPairs, sampleRollouts, scoreRollouts, type SamplingConfig } from './rollout.js';
import { itemsForStep, maskRows, padRows, placeRows, rolloutValues, unpadRows } from './layout.js';
import { payForTarget, prompts, tinyModel, tok } from './fixtures.test.js';

const sampling: SamplingConfig = { temperature: 0.7, topK: 5, maxNewTokens: 6, stopTokens: [tok.eos!], batchSize: 3 };

test('the log-probabilities a rollout keeps are the ones training recomputes at the same temperature', () => {
  const policy = tinyModel(1);
  addScalarHead(policy, 'v_head');
  const reference = policy.clone();
  const r = sampleRollouts({ policy, reference, tokenizer: tok, prompts, n: 3, sampling, seed: 7, value: { model: policy, head: 'v_head' } });
  assert.equal(r.completions.length, prompts.length * 3);
  assert.deepEqual(r.promptIds.slice(0, 4), ['p0', 'p0', 'p0', 'p1']);
  const t = tokenLogprobs(policy, rolloutPairs(r), 0.7);
  const trained = completionLogprobs(t);
  const hidden = scalarPerToken(policy, t.hidden, 'v_head').data; // (B, T)
  r.logprobs.forEach((row, b) => row.forEach((lp, j) => {
    assert.ok(Math.abs(lp - trained[b]![j]!) < 1e-5, `sample ${b} token ${j}: generate ${lp} vs tokenLogprobs ${trained[b]![j]}`);
    // The reference is a copy of the policy: its log-probabilities are the same numbers.
    assert.ok(Math.abs(r.refLogprobs[b]![j]! - trained[b]![j]!) < 1e-6);
    assert.ok(Math.abs(r.values![b]![j]! - hidden[b * t.T + t.start[b]! + j]!) < 1e-5, 'values line up with the log-probabilities');
  }));
  // Batching does not change the values.
  assert.deepEqual(rolloutValues(policy, 'v_head', rolloutPairs(r), 100).map((v) => v.map((x) => x.toFixed(5))), r.values!.map((v) => v.map((x) => x.toFixed(5))));
});

test('a sample that never emits EOS loses the missing-EOS penalty', async () => {
  const policy = tinyModel(2);
  const r = sampleRollouts({ policy, reference: policy.clone(), tokenizer: tok, prompts, n: 8, sampling: { ...sampling, maxNewTokens: 3 }, seed: 1 });
  const s = await scoreRollouts(r, payForTarget, 0.5);
  const cut = r.finishReasons.filter((f) => f === 'length').length;
  assert.ok(cut > 0 && cut < r.completions.length, `${cut} of ${r.completions.length} samples cut`);
  assert.equal(s.noEos, cut);
  s.scores.forEach((x, i) => assert.equal(x, s.rewards[i]! - (r.finishReasons[i] === 'length' ? 0.5 : 0)));
  r.completions.forEach((c, i) => assert.equal(r.finishReasons[i] === 'stop', c.at(-1) === tok.eos));
});

test('prompts per step walk shuffled epochs, the same on every call; layouts round-trip', () => {
  const items = Array.from({ length: 5 }, (_, i) => i);
  const steps = [1, 2, 3, 4, 5].map((s) => itemsForStep(items, s, 2, 9));
  assert.deepEqual(steps, [1, 2, 3, 4, 5].map((s) => itemsForStep(items, s, 2, 9)));
  assert.deepEqual(steps.flat().slice(0, 5).sort(), items, 'the first epoch holds every item once');
  assert.deepEqual(steps.flat().slice(5, 10).sort(), items);
  const rows = [[1, 2, 3], [4], [5, 6]];
  assert.deepEqual(padRows(rows), [[1, 2, 3], [4, 0, 0], [5, 6, 0]]);
  assert.deepEqual(maskRows([3, 1, 2]), [[1, 1, 1], [1, 0, 0], [1, 1, 0]]);
  assert.deepEqual(unpadRows(padRows(rows), [3, 1, 2]), rows);
  const placed = placeRows(rows, { B: 3, T: 4, start: [0, 2, 1], length: [3, 1, 2] });
  assert.deepEqual(Array.from(placed.data), [1, 2, 3, 0, 0, 0, 4, 0, 0, 5, 6, 0]);
});
