import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestOfN, bestOfNGroups } from './best-of-n.js';

test('bestOfN picks the highest reward; ties go to the tie-break, then to the earliest', () => {
  assert.equal(bestOfN([0.2, 0.9, 0.5]), 1);
  assert.equal(bestOfN([0.9, 0.9, 0.5]), 0);
  assert.equal(bestOfN([0.9, 0.9, 0.5], [-3, -1, 0]), 1);
  assert.equal(bestOfN([NaN, 0]), 1);
  assert.throws(() => bestOfN([]), /no candidates/);
});

test('bestOfNGroups reranks each prompt\'s N samples independently', () => {
  assert.deepEqual(bestOfNGroups([0, 1, 0.5, 0.7, 0.7, 0.1], 3), [1, 3]);
  assert.deepEqual(bestOfNGroups([0, 1, 0.5, 0.7, 0.7, 0.1], 3, [0, 0, 0, -2, -1, 0]), [1, 4]);
  assert.throws(() => bestOfNGroups([1, 2, 3], 2), /groups of 2/);
});
