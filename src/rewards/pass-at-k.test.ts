import { test } from 'node:test';
import assert from 'node:assert/strict';
import { majAtK, majorityVote, meanPassAtK, passAtK } from './pass-at-k.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('passAtK matches hand-computed values', () => {
  close(passAtK(5, 2, 1), 0.4); // c/n
  close(passAtK(5, 2, 2), 0.7); // 1 − C(3,2)/C(5,2) = 1 − 3/10
  close(passAtK(10, 3, 3), 1 - 35 / 120); // 1 − C(7,3)/C(10,3)
  assert.equal(passAtK(5, 0, 1), 0);
  assert.equal(passAtK(100, 0, 50), 0);
  assert.equal(passAtK(5, 4, 2), 1); // n − c = 1 < k: every 2-subset holds a correct sample
  assert.equal(passAtK(5, 5, 5), 1);
  close(passAtK(7, 7, 1), 1);
});

test('passAtK rejects impossible arguments', () => {
  assert.throws(() => passAtK(5, 2, 6), /k=6 is more than the n=5 samples drawn/);
  assert.throws(() => passAtK(5, 6, 1), /c must be an integer in \[0, n=5\], got 6/);
  assert.throws(() => passAtK(5, 2, 0), /k must be an integer >= 1, got 0/);
  assert.throws(() => passAtK(0, 0, 1), /n must be an integer >= 1/);
  assert.throws(() => passAtK(5, 1.5, 1), /c must be an integer/);
});

// Oracle: the definition itself, the share of k-subsets of the n samples holding a correct one.
function bruteForce(n: number, c: number, k: number): number {
  let hit = 0, all = 0;
  const rec = (start: number, left: number, any: boolean) => {
    if (left === 0) {
      all++;
      if (any) hit++;
      return;
    }
    for (let i = start; i <= n - left; i++) rec(i + 1, left - 1, any || i < c);
  };
  rec(0, k, false);
  return hit / all;
}

test('passAtK equals the share of k-subsets with a correct sample', () => {
  for (let n = 1; n <= 9; n++) for (let c = 0; c <= n; c++) for (let k = 1; k <= n; k++) close(passAtK(n, c, k), bruteForce(n, c, k), 1e-12);
});

test('passAtK stays finite and exact where the binomials overflow', () => {
  // Exact 1 − C(n−c,k)/C(n,k) with BigInt, to 15 significant digits.
  const binom = (n: bigint, k: bigint) => {
    let r = 1n;
    for (let i = 1n; i <= k; i++) r = (r * (n - k + i)) / i;
    return r;
  };
  const n = 2000, c = 3, k = 100;
  const num = binom(BigInt(n - c), BigInt(k)), den = binom(BigInt(n), BigInt(k));
  const exact = 1 - Number((num * 10n ** 15n) / den) / 1e15;
  const got = passAtK(n, c, k);
  assert.ok(Number.isFinite(got));
  close(got, exact, 1e-12);
  close(meanPassAtK([{ n: 5, c: 2 }, { n: 5, c: 0 }], 1), 0.2);
});

test('majorityVote picks the most common non-null answer, ties to the first seen', () => {
  assert.equal(majorityVote(['3', '5', '5', null, '3', '5']), '5');
  assert.equal(majorityVote(['b', 'a', 'a', 'b']), 'b'); // tie 2–2: "b" appeared first
  assert.equal(majorityVote([null, '7', null, null]), '7'); // nulls never win
  assert.equal(majorityVote([null, null]), null);
  assert.equal(majorityVote([]), null);
});

test('majAtK votes over the first k answers', () => {
  const answers = ['31', '30', '30', '31', '31'];
  assert.equal(majAtK(answers, '31'), 1);
  assert.equal(majAtK(answers, '30', 3), 1);
  assert.equal(majAtK(answers, '31', 1), 1);
  assert.equal(majAtK([null, null], '31'), 0);
  assert.throws(() => majAtK(answers, '31', 6), /k=6 is more than the 5 answers given/);
});
