import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../tensor/index.js';
import { RowCache, gatherSteps, leftPad } from './batch.js';

test('leftPad: padding first, positions from each first real token, −∞ mask over padding', () => {
  const b = leftPad([[7, 8, 9], [5]]);
  assert.deepEqual(b.ids.shape, [2, 3]);
  assert.deepEqual([...b.ids.i32], [7, 8, 9, 0, 0, 5]);
  assert.deepEqual([...b.positions], [0, 1, 2, 0, 0, 0]);
  assert.deepEqual([...b.keyMask], [0, 0, 0, -Infinity, -Infinity, 0]);
  assert.deepEqual(b.pads, [0, 2]);
});

test('gatherSteps: copies the picked time steps into (N, 1, C)', () => {
  const h = new Tensor(Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i), [2, 3, 2]); // (B, T, C)
  const g = gatherSteps(h, [{ row: 1, start: 2, len: 1 }, { row: 0, start: 0, len: 2 }]);
  assert.deepEqual(g.shape, [3, 1, 2]);
  assert.deepEqual([...g.f32], [10, 11, 0, 1, 2, 3]);
});

test('RowCache: select repeats, drops and reorders rows and trims left columns', () => {
  const c = new RowCache(1);
  // (B=2, Hkv=1, T=3, D=1): value = 10·row + t.
  const kv = (t0: number, T: number) => new Tensor(Float32Array.from({ length: 2 * T }, (_, i) => 10 * Math.floor(i / T) + t0 + (i % T)), [2, 1, T, 1]);
  c.append(0, kv(0, 3), kv(0, 3));
  c.advance(3);
  c.select([1, 1, 0], 1);
  assert.equal(c.length, 2);
  const [k] = c.append(0, new Tensor(Float32Array.of(-1, -2, -3), [3, 1, 1, 1]), new Tensor(Float32Array.of(-1, -2, -3), [3, 1, 1, 1]));
  assert.deepEqual(k.shape, [3, 1, 3, 1]);
  assert.deepEqual([...k.f32], [11, 12, -1, 11, 12, -2, 1, 2, -3]);
  assert.throws(() => c.select([0], 5), /dropLeft is 5/);
});
