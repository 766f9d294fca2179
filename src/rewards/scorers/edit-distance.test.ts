import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levenshtein, tokenErrorRate } from './edit-distance.js';

test('levenshtein counts substitutions, insertions and deletions', () => {
  assert.equal(levenshtein([...'kitten'], [...'sitting']), 3); // the textbook pair
  assert.equal(levenshtein([], ['a', 'b']), 2);
  assert.equal(levenshtein(['a', 'b'], []), 2);
  assert.equal(levenshtein(['W', 'EY', 'L'], ['W', 'EY', 'L']), 0);
  assert.equal(levenshtein(['a', 'b', 'c'], ['c', 'b', 'a']), 2);
  assert.equal(levenshtein([1, 2, 3, 4], [2, 3, 4, 5]), 2);
});

test('levenshtein is symmetric and obeys the triangle inequality on random strings', () => {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const word = () => Array.from({ length: Math.floor(rand() * 7) }, () => 'abc'[Math.floor(rand() * 3)]!);
  for (let i = 0; i < 200; i++) {
    const a = word(), b = word(), c = word();
    assert.equal(levenshtein(a, b), levenshtein(b, a));
    assert.ok(levenshtein(a, c) <= levenshtein(a, b) + levenshtein(b, c));
    assert.ok(levenshtein(a, b) <= Math.max(a.length, b.length));
  }
});

test('tokenErrorRate divides by the reference length', () => {
  assert.equal(tokenErrorRate(['a', 'x', 'c'], ['a', 'b', 'c']), 1 / 3);
  assert.equal(tokenErrorRate(['a', 'b', 'c', 'd', 'e'], ['a']), 4);
  assert.throws(() => tokenErrorRate(['a'], []), /the reference is empty/);
});
