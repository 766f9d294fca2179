import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16ToF32, decodeBf16, decodeF16, f16ToF32 } from './float16.js';

// Independent oracles: the value each bit pattern denotes by the IEEE 754 formulas, computed in
// float64 arithmetic rather than by the bit placement the implementation uses.
function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1024 + m) * 2 ** (e - 25);
}

function bf16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 7) & 0xff;
  const m = h & 0x7f;
  if (e === 0) return s * m * 2 ** -133;
  if (e === 0xff) return m ? NaN : s * Infinity;
  return s * (128 + m) * 2 ** (e - 134);
}

function f32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0]!;
}

test('F16 hand-made bit patterns', () => {
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0xc100), -2.5);
  assert.equal(f16ToF32(0x7bff), 65504); // largest finite
  assert.equal(f16ToF32(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(f16ToF32(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(f16ToF32(0x0400), 2 ** -14); // smallest normal
  assert.equal(f16ToF32(0x3555), 0.333251953125);
  assert.equal(f16ToF32(0x7c00), Infinity);
  assert.equal(f16ToF32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(f16ToF32(0x7e00)));
  assert.ok(Object.is(f16ToF32(0x8000), -0));
  assert.ok(Object.is(f16ToF32(0x0000), 0));
});

test('BF16 hand-made bit patterns', () => {
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(0xc020), -2.5);
  assert.equal(bf16ToF32(0x4780), 65536);
  assert.equal(bf16ToF32(0x7f7f), (2 - 2 ** -7) * 2 ** 127); // largest finite
  assert.equal(bf16ToF32(0x0001), 2 ** -133); // smallest subnormal
  assert.equal(bf16ToF32(0x007f), 127 * 2 ** -133); // largest subnormal
  assert.equal(bf16ToF32(0x7f80), Infinity);
  assert.equal(bf16ToF32(0xff80), -Infinity);
  assert.ok(Number.isNaN(bf16ToF32(0x7fc0)));
  assert.ok(Object.is(bf16ToF32(0x8000), -0));
});

test('F16: all 65536 bit patterns match the IEEE formula, NaN payloads kept', () => {
  const bytes = new Uint8Array(2 * 65536);
  for (let h = 0; h < 65536; h++) {
    bytes[2 * h] = h & 0xff;
    bytes[2 * h + 1] = h >> 8;
  }
  const out = new Float32Array(65536);
  decodeF16(bytes, out);
  const bits = new Uint32Array(out.buffer);
  for (let h = 0; h < 65536; h++) {
    const want = f16Value(h);
    assert.ok(Object.is(out[h], want), `0x${h.toString(16)}: got ${out[h]}, want ${want}`);
    assert.ok(Object.is(f16ToF32(h), want));
    if (Number.isNaN(want)) {
      assert.equal(bits[h]! >>> 31, h >> 15, 'NaN sign');
      assert.equal((bits[h]! >>> 13) & 0x3ff, h & 0x3ff, 'NaN payload');
      assert.equal(bits[h]! & 0x1fff, 0);
    }
  }
});

test('BF16: all 65536 bit patterns match the IEEE formula and keep their bits', () => {
  const bytes = new Uint8Array(2 * 65536);
  for (let h = 0; h < 65536; h++) {
    bytes[2 * h] = h & 0xff;
    bytes[2 * h + 1] = h >> 8;
  }
  const out = new Float32Array(65536);
  decodeBf16(bytes, out);
  const bits = new Uint32Array(out.buffer);
  for (let h = 0; h < 65536; h++) {
    const want = bf16Value(h);
    assert.ok(Object.is(out[h], want), `0x${h.toString(16)}: got ${out[h]}, want ${want}`);
    assert.equal(bits[h], (h << 16) >>> 0);
  }
});

test('decoding into a view writes only the view', () => {
  const backing = new Float32Array(4).fill(7);
  decodeF16(new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), backing.subarray(1, 3));
  assert.deepEqual([...backing], [7, 1, -2, 7]);
  assert.equal(f32Bits(bf16ToF32(0x3f80)), 0x3f800000);
});
