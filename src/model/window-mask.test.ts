import { test } from 'node:test';
import assert from 'node:assert/strict';
import { windowMask } from './window-mask.js';

test('windowMask: query i sees keys i − w < j ≤ i (the causal half is the op\'s), with the key mask added', () => {
  // 2 cached + 3 new queries, window 2: query 0 (cache index 2) sees keys 1 and 2 only.
  const m = windowMask(undefined, 2, 3, 2, 2);
  assert.deepEqual([...m.shape], [1, 1, 3, 5]);
  const seen = (i: number) => [...m.f32.subarray(i * 5, i * 5 + 5)].map((x) => (x === 0 ? 1 : 0));
  assert.deepEqual([seen(0), seen(1), seen(2)], [[0, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 1, 1]]);
  const key = Float32Array.from([-Infinity, 0, 0, 0, 0, 0, 0, 0, -Infinity, 0]);
  const k = windowMask(key, 2, 1, 4, 3); // one new query at cache index 4: keys 2..4
  assert.deepEqual([...k.shape], [2, 1, 1, 5]);
  assert.deepEqual([...k.f32], [-Infinity, -Infinity, 0, 0, 0, -Infinity, -Infinity, 0, -Infinity, 0]);
});
