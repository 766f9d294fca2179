// Config validation: every rejection names the field, the value and what was expected (rule 7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, headDim, validateConfig, type ModelConfig } from './config.js';

test('defaults are valid for both families and follow the papers', () => {
  const g = defaultConfig('gpt2');
  assert.equal(g.dFF, 4 * g.dModel);
  assert.equal(g.tieEmbeddings, true);
  assert.equal(g.nKvHead, g.nHead);
  const l = defaultConfig('llama', { dModel: 96 });
  assert.equal(l.dFF % 64, 0);
  assert.ok(l.dFF >= (8 * 96) / 3);
  assert.equal(l.tieEmbeddings, false);
  assert.equal(headDim(l), 24);
});

const bad: [string, 'gpt2' | 'llama', Partial<ModelConfig>, RegExp][] = [
  ['family', 'gpt2', { family: 'bert' as never }, /family = "bert", expected "gpt2" or "llama"/],
  ['vocabSize 0', 'gpt2', { vocabSize: 0 }, /vocabSize = 0, expected a positive integer/],
  ['maxSeqLen 1.5', 'llama', { maxSeqLen: 1.5 }, /maxSeqLen = 1.5, expected a positive integer/],
  ['nLayer missing', 'gpt2', { nLayer: undefined }, /nLayer = undefined, expected a positive integer/],
  ['dFF negative', 'llama', { dFF: -4 }, /dFF = -4, expected a positive integer/],
  ['nHead not dividing dModel', 'gpt2', { dModel: 18, nHead: 4 }, /nHead = 4, expected a divisor of dModel \(18\)/],
  ['nKvHead not dividing nHead', 'llama', { nHead: 4, nKvHead: 3 }, /nKvHead = 3, expected a divisor of nHead \(4\)/],
  ['gpt2 with grouped-query heads', 'gpt2', { nHead: 4, nKvHead: 2 }, /nKvHead = 2, expected nHead \(4\) for the gpt2 family/],
  ['llama odd head size', 'llama', { dModel: 12, nHead: 4 }, /nHead = 4, expected a head size that is even/],
  ['dropout 1', 'gpt2', { dropout: 1 }, /dropout = 1, expected a number in \[0, 1\)/],
  ['dropout NaN', 'gpt2', { dropout: Number.NaN }, /dropout = null, expected a number in \[0, 1\)/],
  ['normEps 0', 'llama', { normEps: 0 }, /normEps = 0, expected a positive number/],
  ['ropeTheta 0', 'llama', { ropeTheta: 0 }, /ropeTheta = 0, expected a positive number/],
  ['initStd negative', 'gpt2', { initStd: -0.02 }, /initStd = -0.02, expected a non-negative number/],
];

for (const [what, family, over, re] of bad) {
  test(`config rejects ${what}, naming the field`, () => {
    assert.throws(() => defaultConfig(family, over), re);
  });
}

test('validateConfig accepts a complete config unchanged', () => {
  const c = defaultConfig('llama', { dModel: 32, nHead: 4, nKvHead: 1 });
  assert.equal(validateConfig({ ...c }).nKvHead, 1);
});
