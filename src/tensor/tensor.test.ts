import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, Tensor, arange, broadcastShapes, broadcastStrides, full, ones, randn, stridesOf, tensor, uniform, zeros } from './index.js';

test('Rng streams are fixed by the seed (values pinned so any platform drift fails)', () => {
  const r = new Rng(42);
  // Integer-only xoshiro128** output: identical on every machine by construction.
  assert.deepEqual([r.nextU32(), r.nextU32(), r.nextU32()], [2837322924, 544945897, 479756282]);
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xs = Array.from({ length: 100 }, () => a.normal());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.normal()));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.normal()));
});

test('Rng state round-trips mid-stream, including the cached normal', () => {
  const r = new Rng(3);
  r.normal();
  const st = r.state();
  const want = [r.normal(), r.uniform(), r.normal()];
  const s = new Rng(0);
  s.setState(st);
  assert.deepEqual([s.normal(), s.uniform(), s.normal()], want);
});

test('an Rng state has one spelling: a restored generator writes the state it was given (issue 16)', () => {
  for (const used of [0, 1, 7]) {
    const r = new Rng(5);
    for (let i = 0; i < used; i++) r.nextU32();
    const st = r.state();
    assert.ok(st.slice(0, 4).every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32), `unsigned words: ${st}`);
    const s = new Rng(0);
    s.setState(JSON.parse(JSON.stringify(st)) as number[]);
    assert.deepEqual(s.state(), st);
  }
});

test('randn and uniform have the moments they promise', () => {
  const x = randn([20000], { rng: new Rng(1), mean: 2, std: 3 }).toArray();
  const m = x.reduce((a, v) => a + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / x.length);
  assert.ok(Math.abs(m - 2) < 0.1 && Math.abs(sd - 3) < 0.1, `mean ${m}, std ${sd}`);
  const u = uniform([20000], -1, 3, { rng: new Rng(2) }).toArray();
  assert.ok(Math.min(...u) >= -1 && Math.max(...u) < 3);
  assert.ok(Math.abs(u.reduce((a, v) => a + v, 0) / u.length - 1) < 0.05);
});

test('tensor() infers shapes from nested arrays and keeps dtypes', () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.toNested(), [[1, 2, 3], [4, 5, 6]]);
  const ids = tensor([1, 2], undefined, { dtype: 'int32' });
  assert.equal(ids.dtype, 'int32');
  assert.ok(ids.data instanceof Int32Array);
  assert.equal(tensor(new Int32Array([5])).dtype, 'int32');
  assert.deepEqual(tensor(new Float64Array([1.5, 2.5]), [2, 1]).shape, [2, 1]);
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /do not fill shape \[2, 2\]/);
});

test('constructors and layout helpers', () => {
  assert.deepEqual(zeros([2, 2]).toArray(), [0, 0, 0, 0]);
  assert.deepEqual(ones([3]).toArray(), [1, 1, 1]);
  assert.deepEqual(full([2], 2.5).toArray(), [2.5, 2.5]);
  assert.deepEqual(arange(4, { dtype: 'int32' }).toArray(), [0, 1, 2, 3]);
  assert.deepEqual(stridesOf([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(broadcastShapes([2, 1, 4], [3, 1]), [2, 3, 4]);
  assert.equal(broadcastShapes([2, 3], [4, 3, 2]), null);
  assert.deepEqual(broadcastStrides([3, 1], [2, 3, 4]), [0, 1, 0]);
});

test('Tensor rejects inconsistent data and non-float gradients', () => {
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /5 elements but shape \[2, 3\] needs 6/);
  assert.throws(() => new Tensor(new Int32Array(2), [2], true), /only float32/);
  assert.throws(() => tensor([1, 2]).item(), /has 2 elements, expected 1/);
  assert.throws(() => tensor([1]).i32, /expected an int32 tensor/);
});

test('detach shares data and drops the tape', () => {
  const x = randn([3], { requiresGrad: true });
  const d = x.detach();
  assert.equal(d.data, x.data);
  assert.equal(d.requiresGrad, false);
  assert.equal(d.node, null);
});

test('release() lets the values go and keeps the shape and size; reading them again throws', () => {
  const t = new Tensor(new Float32Array(6), [2, 3]);
  assert.equal(t.released, false);
  t.release();
  assert.equal(t.released, true);
  assert.equal(t.size, 6);
  assert.deepEqual(t.shape, [2, 3]);
  assert.throws(() => t.f32, /values of this \[2, 3\] tensor were released/);
  assert.throws(() => t.data, /released/);
});
