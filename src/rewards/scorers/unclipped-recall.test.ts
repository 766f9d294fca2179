import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unclippedRecall } from './unclipped-recall.js';

test('unclipped recall: 1 for the answer, more for the answer repeated, hand-computed partial cases', () => {
  assert.equal(unclippedRecall('K AE T', 'K AE T'), 1);
  // K AE T K AE T: unigrams 6/3, bigrams (K AE, AE T, AE T, K AE; "T K" is not in the reference) 4/2, trigrams 2/1.
  assert.equal(unclippedRecall('K AE T K AE T', 'K AE T'), 2);
  // K AE T T: unigrams 4/3, bigrams 2/2 ("T T" misses), trigrams 1/1.
  assert.ok(Math.abs(unclippedRecall('K AE T T', 'K AE T') - (4 / 3 + 1 + 1) / 3) < 1e-12);
  // K AH T: unigrams 2/3, no bigram or trigram of the reference.
  assert.ok(Math.abs(unclippedRecall('K AH T', 'K AE T') - 2 / 9) < 1e-12);
  // A one-phoneme reference has only unigrams: repeating it scores its count.
  assert.equal(unclippedRecall('AH AH AH', 'AH'), 3);
  assert.equal(unclippedRecall('', 'K AE T'), 0);
  assert.throws(() => unclippedRecall('a', 'a', 0), /maxN = 0/);
});
