// Token examples from text: a pair longer than the window under each truncation mode (which
// tokens keep a label, what is counted), and a document of millions of tokens packed without
// overflowing the call stack (issue 16: a 200,000-character record crashed sft).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteTokenizer } from '../tokenizer/index.js';
import { IGNORE, completionExample, packDocuments, pairIds, truncatePair } from './lm-examples.js';

const p = [1, 2, 3, 4, 5, 6], c = [7, 8, 9];

test('a pair that fits is neither cut nor changed by the truncation mode', () => {
  for (const mode of ['keep-start', 'keep-end', 'drop'] as const) {
    const r = truncatePair(p, c, 8, mode);
    assert.deepEqual(r, { example: { ids: [1, 2, 3, 4, 5, 6, 7, 8], labels: [IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, 7, 8, 9] }, cut: false, noCompletion: false }, mode);
  }
});

test('keep-start cuts the completion first, then the prompt; keep-end cuts the start of the prompt; drop drops', () => {
  // A window of 6 inputs holds 7 of the 9 ids.
  assert.deepEqual(truncatePair(p, c, 6, 'keep-start'), {
    example: { ids: [1, 2, 3, 4, 5, 6], labels: [IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, 7] }, cut: true, noCompletion: false,
  });
  assert.deepEqual(truncatePair(p, c, 6, 'keep-end'), {
    example: { ids: [3, 4, 5, 6, 7, 8], labels: [IGNORE, IGNORE, IGNORE, 7, 8, 9] }, cut: true, noCompletion: false,
  });
  assert.deepEqual(truncatePair(p, c, 6, 'drop'), { example: null, cut: true, noCompletion: true });
  // A prompt as long as the window leaves keep-start nothing to learn; keep-end keeps one prompt token.
  assert.equal(truncatePair(p, c, 5, 'keep-start').noCompletion, true);
  assert.deepEqual(truncatePair(p, c, 3, 'keep-end').example, { ids: [6, 7, 8], labels: [7, 8, 9] });
  assert.deepEqual(truncatePair(p, c, 2, 'keep-end').example, { ids: [6, 7], labels: [7, 8] }, 'a completion longer than the window loses its end');
});

test('completionExample is keep-start, as it always was', () => {
  const tok = new ByteTokenizer();
  const { p: pi, c: ci } = pairIds('abc', 'de', tok);
  assert.deepEqual(ci.at(-1), tok.eos);
  for (const maxLen of [2, 3, 4, 5, 32]) assert.deepEqual(completionExample('abc', 'de', tok, maxLen), truncatePair(pi, ci, maxLen, 'keep-start').example);
});

test('a document of ten million characters packs into one stream (no spread of its ids onto the call stack)', () => {
  const tok = new ByteTokenizer();
  const big = 'abcdefghij'.repeat(1_000_000);
  const stream = packDocuments([big, 'xy'], tok);
  assert.equal(stream.length, big.length + 1 + 2 + 1);
  assert.equal(stream[big.length], tok.eos);
  assert.equal(stream[9_999_999], tok.encode('j')[0]);
});
