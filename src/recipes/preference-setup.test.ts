import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afinnScore } from '../rewards/scorers/sentiment.js';
import { corpusPrompts, decisivePairs } from './preference-setup.js';

test('decisivePairs keeps the test pairs the annotator scores differently, oriented by its noiseless preference', () => {
  const testPairs = [
    { prompt: 'p0', chosen: ' a good day', rejected: ' a bad day' }, // annotator agreed with its scores
    { prompt: 'p1', chosen: ' a sad end', rejected: ' a great end' }, // a Bradley–Terry flip: reoriented
    { prompt: 'p2', chosen: ' the table', rejected: ' the chair' }, // a tie: dropped
  ];
  const out = decisivePairs({ testPairs, annotatorScore: (t) => afinnScore(t) });
  assert.deepEqual(out, [testPairs[0], { prompt: 'p1', chosen: ' a great end', rejected: ' a sad end' }]);
});

test('corpusPrompts cuts held-out sentences at a word boundary and refuses to invent prompts', () => {
  const text = 'The quick brown fox jumps over the lazy dog again and again.\nAnother line that is long enough to be a prompt here.\nshort\n';
  const ps = corpusPrompts(text, 2, 20, 0);
  assert.equal(ps.length, 2);
  for (const p of ps) assert.ok(p.length <= 21 && p.endsWith(' ') && text.includes(p), JSON.stringify(p));
  assert.throws(() => corpusPrompts(text, 5, 20, 0), /2 usable lines, 5 prompts asked/);
});
