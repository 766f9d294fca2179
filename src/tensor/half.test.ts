import assert from 'node:assert/strict';
import { test } from 'node:test';
import { halfValue, narrowExact, widenHalf } from './half.js';
import { Tensor } from './tensor.js';

test('16-bit tensors: never trainable, with an error that says what to do', () => {
  const t = new Tensor(new Uint16Array(4), [2, 2], false, 'bfloat16');
  assert.equal(t.dtype, 'bfloat16');
  assert.throws(() => t.requireGrad(), /bfloat16 tensor is a frozen weight and cannot require a gradient.*--frozen-dtype float32/);
  assert.throws(() => new Tensor(new Uint16Array(4), [4], true, 'float16'), /float16 tensor is a frozen weight/);
  assert.throws(() => new Tensor(new Uint16Array(4), [4]), /Uint16Array needs its 16-bit type/);
  assert.throws(() => t.f32, /expected a float32 tensor, got bfloat16/);
  assert.equal(t.clone().dtype, 'bfloat16');
  assert.equal(t.detach().half, 'bfloat16');
});

test('widening: bfloat16 is the top half of a float32; float16 by its definition', () => {
  assert.equal(halfValue(0x3f80, 'bfloat16'), 1);
  assert.equal(halfValue(0xc040, 'bfloat16'), -3);
  assert.equal(halfValue(0x3c00, 'float16'), 1);
  assert.equal(halfValue(0x0001, 'float16'), 2 ** -24);
  assert.equal(halfValue(0x7bff, 'float16'), 65504);
  assert.equal(halfValue(0xfc00, 'float16'), -Infinity);
  assert.ok(Number.isNaN(halfValue(0x7e00, 'float16')));
  const t = new Tensor(Uint16Array.of(0x3f80, 0x4000), [2], false, 'bfloat16');
  assert.deepEqual(t.toArray(), [1, 2]);
  assert.deepEqual(Array.from(t.values()), [1, 2]);
});

test('narrowExact: every finite 16-bit value round-trips, a value that would round is refused', () => {
  for (const dtype of ['bfloat16', 'float16'] as const) {
    const all = Uint16Array.from({ length: 65536 }, (_, h) => h)
      .filter((h) => dtype === 'bfloat16' ? (h & 0x7f80) !== 0x7f80 : (h & 0x7c00) !== 0x7c00);
    const back = narrowExact(widenHalf(all, dtype), dtype);
    assert.ok(back);
    // −0 and +0 keep their sign bits, every other value its only pattern.
    assert.deepEqual(back, all);
    assert.equal(narrowExact(Float32Array.of(1, 1 + 2 ** -20), dtype), null);
  }
  assert.equal(narrowExact(Float32Array.of(2 ** -25), 'float16'), null); // below binary16's smallest subnormal
  assert.equal(narrowExact(Float32Array.of(1e6), 'float16'), null); // beyond its largest finite value
});
