import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f16ToF32, f32ToBf16, f32ToF16 } from './float16.js';
import { decodeQ8_0, encodeTensor, writeGguf, type GgufValue } from './gguf.js';

test('f32ToF16 gives back every finite F16 value and rounds each midpoint to the even neighbour', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = f16ToF32(h);
    if (Number.isNaN(v)) { assert.ok((f32ToF16(v) & 0x7c00) === 0x7c00 && (f32ToF16(v) & 0x3ff) !== 0); continue; }
    assert.equal(f32ToF16(v), h, `pattern ${h.toString(16)}`);
    // Midpoint to the next F16 up (same sign, finite): exactly halfway, so the even mantissa wins.
    if ((h & 0x7fff) < 0x7bff) {
      const mid = (v + f16ToF32(h + 1)) / 2;
      if (Math.fround(mid) === mid) assert.equal(f32ToF16(mid), h % 2 === 0 ? h : h + 1, `midpoint above ${h.toString(16)}`);
    }
  }
  assert.equal(f32ToF16(65520), 0x7c00); // rounds past the largest F16 (65504) to infinity
  assert.equal(f32ToF16(1e-9), 0);
});

test('f32ToBf16 rounds to nearest even and keeps NaN', () => {
  const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;
  const f = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0]!;
  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(f32ToBf16(f(0x3f808000)), 0x3f80); // halfway, even stays
  assert.equal(f32ToBf16(f(0x3f818000)), 0x3f82); // halfway, odd goes up
  assert.equal(f32ToBf16(f(0x3f808001)), 0x3f81);
  assert.ok(Number.isNaN(f((f32ToBf16(NaN) << 16) >>> 0)));
  assert.equal(bits(f((f32ToBf16(-2.5) << 16) >>> 0)), bits(-2.5));
});

test('Q8_0: 34-byte blocks, scale amax/127, codes rounded half away from zero; dequantized within half a step (plus the F16 rounding of the scale)', () => {
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * (i < 32 ? 1 : 0.01));
  x[5] = -127 / 127; // the block's amax, negative
  const bytes = encodeTensor({ name: 't', shape: [2, 32], type: 'q8_0', data: x });
  assert.equal(bytes.length, 68);
  assert.equal(new DataView(bytes.buffer).getInt8(2 + 5), -127);
  const back = decodeQ8_0(bytes, 64);
  for (let b = 0; b < 2; b++) {
    const d = f16ToF32(new DataView(bytes.buffer).getUint16(b * 34, true));
    for (let j = 0; j < 32; j++) assert.ok(Math.abs(back[b * 32 + j]! - x[b * 32 + j]!) <= d / 2 + 127 * d * 2 ** -11, `value ${b * 32 + j}`);
  }
  assert.throws(() => encodeTensor({ name: 'w', shape: [2, 16], type: 'q8_0', data: new Float32Array(32) }), /tensor w has rows of 16 values; Q8_0 needs a multiple of 32/);
});

test('writeGguf: header, typed metadata, tensor infos with aligned offsets, data; nothing left behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-test-'));
  const path = join(dir, 'm.gguf');
  const meta = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['a.u', { type: 'u32', value: 7 }],
    ['a.f', { type: 'f32', value: 0.5 }],
    ['a.b', { type: 'bool', value: true }],
    ['a.s', { type: 'string[]', value: ['x', 'yz'] }],
    ['a.i', { type: 'i32[]', value: [1, -2] }],
  ]);
  const w = Float32Array.from({ length: 6 }, (_, i) => i + 0.25);
  writeGguf(path, meta, [{ name: 'w', shape: [2, 3], type: 'f32', data: w }, { name: 'h', shape: [3], type: 'f16', data: new Float32Array([1, 2, 3]) }]);
  assert.deepEqual(readdirSync(dir), ['m.gguf']);
  const b = readFileSync(path), v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.equal(b.subarray(0, 4).toString('latin1'), 'GGUF');
  assert.equal(v.getUint32(4, true), 3);
  assert.equal(Number(v.getBigUint64(8, true)), 2);
  assert.equal(Number(v.getBigUint64(16, true)), 6);
  let o = 24;
  const str = () => { const n = Number(v.getBigUint64(o, true)); o += 8; const s = b.subarray(o, o + n).toString('utf8'); o += n; return s; };
  assert.equal(str(), 'general.architecture');
  assert.equal(v.getUint32(o, true), 8); o += 4;
  assert.equal(str(), 'llama');
  assert.equal(str(), 'a.u'); assert.equal(v.getUint32(o, true), 4); assert.equal(v.getUint32(o + 4, true), 7); o += 8;
  assert.equal(str(), 'a.f'); assert.equal(v.getUint32(o, true), 6); assert.equal(v.getFloat32(o + 4, true), 0.5); o += 8;
  assert.equal(str(), 'a.b'); assert.equal(v.getUint32(o, true), 7); assert.equal(b[o + 4], 1); o += 5;
  assert.equal(str(), 'a.s'); assert.equal(v.getUint32(o, true), 9); assert.equal(v.getUint32(o + 4, true), 8); assert.equal(Number(v.getBigUint64(o + 8, true)), 2); o += 16;
  assert.equal(str(), 'x'); assert.equal(str(), 'yz');
  assert.equal(str(), 'a.i'); assert.equal(v.getUint32(o + 4, true), 5); o += 16; assert.equal(v.getInt32(o + 4, true), -2); o += 8;
  assert.equal(str(), 'w');
  assert.equal(v.getUint32(o, true), 2); // dims, innermost first
  assert.deepEqual([Number(v.getBigUint64(o + 4, true)), Number(v.getBigUint64(o + 12, true))], [3, 2]);
  assert.equal(v.getUint32(o + 20, true), 0); assert.equal(Number(v.getBigUint64(o + 24, true)), 0); o += 32;
  assert.equal(str(), 'h');
  assert.equal(v.getUint32(o + 12, true), 1); assert.equal(Number(v.getBigUint64(o + 16, true)), 32); o += 24; // 24 bytes of w, padded to 32
  const data = o + ((32 - (o % 32)) % 32);
  assert.deepEqual([...new Float32Array(b.buffer.slice(b.byteOffset + data, b.byteOffset + data + 24))], [...w]);
  assert.equal(v.getUint16(data + 32, true), f32ToF16(1));
});
