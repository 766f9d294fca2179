import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, scoreTokens, Transformer } from '../../model/index.js';
import { completionLogprobs, sequenceLogprob, tokenLogprobs } from './logprobs.js';

const model = new Transformer(defaultConfig('llama', { vocabSize: 40, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 32, initStd: 0.2 }), undefined, 3);
const batch = [{ prompt: [1, 2, 3], completion: [4, 5] }, { prompt: [7], completion: [8, 9, 10, 11] }];

test('tokenLogprobs agrees with teacher-forced scoring and sums to the sequence log-probability', () => {
  const t = tokenLogprobs(model, batch, 0.7);
  const rows = completionLogprobs(t);
  batch.forEach((x, b) => {
    const want = scoreTokens(model, x.prompt, x.completion, 0.7);
    rows[b]!.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-5, `row ${b} token ${j}: ${v} vs ${want[j]}`));
    const seq = sequenceLogprob(t).data[b]!;
    assert.ok(Math.abs(seq - want.reduce((a, c) => a + c, 0)) < 1e-4);
  });
  // Padding and prompt positions carry neither log-probability nor mask.
  assert.equal(t.mask.reduce((a, c) => a + c, 0), 6);
});

test('the gradient of a sequence log-probability reaches the weights', () => {
  const t = tokenLogprobs(model, batch);
  sequenceLogprob(t).backward(Float32Array.of(1, 1));
  const g = model.p('model.embed_tokens.weight').grad!;
  assert.ok(g.toArray().some((v) => v !== 0));
  for (const p of model.parameters()) p.grad = null;
});
