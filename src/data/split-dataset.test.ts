import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32, seededShuffle } from './prng.js';
import { splitByHash, splitDataset } from './split-dataset.js';

const items = Array.from({ length: 100 }, (_, i) => i);

test('mulberry32 is deterministic, in [0, 1), and roughly uniform', () => {
  const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
  const xs = Array.from({ length: 10_000 }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.notEqual(xs[0], c());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  const buckets = new Array(10).fill(0);
  for (const x of xs) buckets[Math.floor(x * 10)]++;
  assert.ok(buckets.every((n) => n > 900 && n < 1100), `buckets ${buckets}`);
});

test('seededShuffle is a permutation fixed by the seed', () => {
  const s = seededShuffle(items, 7);
  assert.deepEqual([...s].sort((x, y) => x - y), items);
  assert.deepEqual(seededShuffle(items, 7), s);
  assert.notDeepEqual(seededShuffle(items, 8), s);
  assert.notDeepEqual(s, items);
});

test('splitDataset is deterministic, disjoint, complete and order-keeping', () => {
  const a = splitDataset(items, { evalFraction: 0.1, seed: 3 });
  assert.deepEqual(splitDataset(items, { evalFraction: 0.1, seed: 3 }), a);
  assert.equal(a.eval.length, 10);
  assert.equal(a.train.length, 90);
  assert.deepEqual([...a.train, ...a.eval].sort((x, y) => x - y), items);
  assert.deepEqual(a.eval, [...a.eval].sort((x, y) => x - y));
  assert.notDeepEqual(splitDataset(items, { evalFraction: 0.1, seed: 4 }).eval, a.eval);
  // The eval set is spread over the file, not its head or tail.
  assert.ok(a.eval.some((i) => i < 50) && a.eval.some((i) => i >= 50));
});

test('splitDataset edge cases', () => {
  assert.deepEqual(splitDataset(items, { evalFraction: 0, seed: 1 }), { train: items, eval: [] });
  assert.equal(splitDataset([1, 2], { evalFraction: 0.01, seed: 1 }).eval.length, 1);
  assert.equal(splitDataset([1, 2], { evalFraction: 0.99, seed: 1 }).train.length, 1);
  assert.deepEqual(splitDataset([], { evalFraction: 0.5, seed: 1 }), { train: [], eval: [] });
  assert.throws(() => splitDataset(items, { evalFraction: 1, seed: 1 }), /evalFraction must be in \[0, 1\), got 1/);
  assert.throws(() => splitDataset(items, { evalFraction: Number.NaN, seed: 1 }), /evalFraction/);
  assert.throws(() => splitDataset(items, { evalFraction: 0.1, seed: 1.5 }), /seed must be an integer/);
});

test('splitByHash: a record\'s side is fixed by its key alone, whatever the order or the other records', () => {
  const keys = Array.from({ length: 400 }, (_, i) => `problem ${i}`);
  const s = splitByHash(keys, (k) => k, 0.2);
  assert.equal(s.train.length + s.eval.length, 400);
  assert.ok(s.eval.length > 50 && s.eval.length < 110, `${s.eval.length} of 400 held out at 0.2`);
  const sideOf = new Map<string, string>([...s.train.map((k): [string, string] => [k, 'train']), ...s.eval.map((k): [string, string] => [k, 'eval'])]);
  const reordered = splitByHash([...keys].reverse(), (k) => k, 0.2);
  assert.deepEqual(new Set(reordered.eval), new Set(s.eval), 'order does not matter');
  const grown = splitByHash([...keys, ...Array.from({ length: 100 }, (_, i) => `new problem ${i}`)], (k) => k, 0.2);
  for (const k of keys) assert.equal(grown.eval.includes(k) ? 'eval' : 'train', sideOf.get(k), `${k} moved when the file grew`);
  assert.deepEqual(splitByHash(keys, (k) => k, 0), { train: keys, eval: [] });
});

test('splitByHash keeps a record on each side of a small set, and refuses a fraction outside [0, 1)', () => {
  for (let n = 2; n < 12; n++) {
    const keys = Array.from({ length: n }, (_, i) => `k${i}`);
    for (const f of [0.01, 0.5, 0.99]) {
      const s = splitByHash(keys, (k) => k, f);
      assert.ok(s.train.length >= 1 && s.eval.length >= 1, `n ${n}, fraction ${f}`);
    }
  }
  assert.throws(() => splitByHash([1], String, 1), /evalFraction must be in \[0, 1\), got 1/);
});
