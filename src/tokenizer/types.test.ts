import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateAtEos } from './types.js';

test('truncateAtEos keeps everything up to and including the first EOS', () => {
  assert.deepEqual(truncateAtEos([5, 6, 2, 7, 2], 2), [5, 6, 2]);
  assert.deepEqual(truncateAtEos([5, 6, 2, 7], 2, { keepEos: false }), [5, 6]);
  assert.deepEqual(truncateAtEos([2, 9], 2, { keepEos: false }), []);
});

test('truncateAtEos returns a copy when there is no EOS, or no EOS id', () => {
  const ids = [1, 2, 3];
  const a = truncateAtEos(ids, 9);
  const b = truncateAtEos(ids, null);
  assert.deepEqual(a, ids);
  assert.deepEqual(b, ids);
  assert.notEqual(a, ids);
});
