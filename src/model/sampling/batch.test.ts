import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tensor, roundToBf16 } from '../../tensor/index.js';
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

test('RowCache: select keeping rows in order moves them down inside the same buffers', () => {
  const c = new RowCache(2), [B, H, T, D] = [4, 2, 3, 2];
  // value = 1000·row + 100·head + 10·t + d, keys; values negated.
  const kv = (sign: number) => new Tensor(Float32Array.from({ length: B * H * T * D }, (_, i) => {
    const d = i % D, t = Math.floor(i / D) % T, h = Math.floor(i / (D * T)) % H, b = Math.floor(i / (D * T * H));
    return sign * (1000 * b + 100 * h + 10 * t + d);
  }), [B, H, T, D]);
  for (const l of [0, 1]) c.append(l, kv(1), kv(-1));
  c.advance(T);
  const before = c.reserve(1, B, H, D, T).k.f32.buffer;
  c.select([1, 3], 1);
  assert.equal(c.length, 2);
  const { k, v } = c.reserve(1, 2, H, D, 2);
  assert.equal(k.f32.buffer, before, 'the keys stayed in their buffer');
  const cap = k.shape[2]!, expect = (sign: number): number[] => [1, 3].flatMap((b) => [0, 1].flatMap((h) =>
    [1, 2].flatMap((t) => [0, 1].map((d) => sign * (1000 * b + 100 * h + 10 * t + d)))));
  const held = (x: Tensor): number[] => Array.from({ length: 2 * H }, (_, r) => [...x.f32.subarray(r * cap * D, r * cap * D + 2 * D)]).flat();
  assert.deepEqual(held(k), expect(1));
  assert.deepEqual(held(v), expect(-1));
  // The next step's keys land after them, row by row.
  const step = new Tensor(Float32Array.from({ length: 2 * H * D }, (_, i) => -7 - i), [2, H, 1, D]);
  const [k2] = c.append(0, step, step);
  assert.deepEqual(k2.shape, [2, H, 3, D]);
  assert.deepEqual([...k2.f32.subarray(0, 3 * D)], [1010, 1011, 1020, 1021, -7, -8]);
  assert.deepEqual([...k2.f32.subarray(3 * 3 * D)], [3110, 3111, 3120, 3121, -13, -14]);
});

test('RowCache bfloat16: holds what a float32 cache holds of the rounded values through append, select (both ways), join and a step', () => {
  const rng = new Rng(3), [H, D] = [2, 3];
  const kv = (B: number, T: number, scale: number): Tensor => new Tensor(Float32Array.from({ length: B * H * T * D }, () => scale * rng.normal()), [B, H, T, D]);
  const rounded = (t: Tensor): Tensor => new Tensor(roundToBf16(t.f32), t.shape);
  const half = new RowCache(2, 'bfloat16'), full = new RowCache(2);
  const both = (fn: (c: RowCache, round: (t: Tensor) => Tensor) => void): void => { fn(half, (t) => t); fn(full, rounded); };
  const same = (what: string, layer: number, k: Tensor, v: Tensor): void => {
    const [hk, hv] = half.append(layer, k, v), [fk, fv] = full.append(layer, rounded(k), rounded(v));
    assert.deepEqual(hk.shape, fk.shape, what);
    assert.deepEqual([...hk.f32], [...fk.f32], `${what}: keys`);
    assert.deepEqual([...hv.f32], [...fv.f32], `${what}: values`);
  };
  const [k0, v0] = [kv(3, 4, 1.7), kv(3, 4, 0.3)];
  same('prefill layer 0', 0, k0, v0);
  same('prefill layer 1', 1, v0, k0);
  both((c) => c.advance(4));
  assert.ok(!roundToBf16(k0.f32).every((x, i) => x === k0.f32[i]), 'the values need rounding');
  assert.equal(half.reserve(0, 3, H, D, 4).k.dtype, 'bfloat16');
  both((c) => c.select([2, 0, 0], 1)); // repeated: fresh buffers
  same('after select, layer 0', 0, kv(3, 1, 1), kv(3, 1, 1));
  same('after select, layer 1', 1, kv(3, 1, 1), kv(3, 1, 1));
  both((c) => c.advance(1));
  both((c) => c.select([0, 2], 0)); // in order: in place
  const other = { half: new RowCache(2, 'bfloat16'), full: new RowCache(2) }, [ok, ov] = [kv(1, 2, 2), kv(1, 2, 2)];
  for (const l of [0, 1]) { other.half.append(l, ok, ov); other.full.append(l, rounded(ok), rounded(ov)); }
  other.half.advance(2); other.full.advance(2);
  half.join(other.half); full.join(other.full);
  same('after join, layer 0', 0, kv(3, 1, 1), kv(3, 1, 1));
  same('after join, layer 1', 1, kv(3, 1, 1), kv(3, 1, 1));
  assert.throws(() => half.join(new RowCache(2)), /a float32 cache joined to a bfloat16 one/);
  assert.throws(() => new RowCache(2, 'float16' as never), /expected 'float32' or 'bfloat16'/);
});
