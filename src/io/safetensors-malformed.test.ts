// Malformed, truncated and corrupted files must fail with a SafetensorsError that names the file
// and says what is wrong — never a RangeError from a typed array or a crash in decoding.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, readSafetensors, SafetensorsError, serializeSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'alignkit-safetensors-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file from a header (object → JSON, or raw text) and data bytes; `n` overrides the length. */
function build(header: unknown, data: number[] | Uint8Array = [], n?: bigint): Uint8Array {
  const h = header instanceof Uint8Array ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

function assertFails(bytes: Uint8Array, re: RegExp, label: string): void {
  const check = (name: string) => (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `${label}: ${String(e)} is not a SafetensorsError`);
    assert.ok(e.message.startsWith(`${name}: `), `${label}: "${e.message}" does not name ${name}`);
    assert.match(e.message, re, label);
    return true;
  };
  assert.throws(() => parseSafetensors(bytes, 'bad.safetensors'), check('bad.safetensors'));
  const path = join(dir, 'bad.safetensors');
  writeFileSync(path, bytes);
  assert.throws(() => readSafetensors(path), check(path));
}

const cases: [string, Uint8Array, RegExp][] = [
  ['empty file', new Uint8Array(0), /file is 0 bytes; a safetensors file starts with an 8-byte header length/],
  ['shorter than the length prefix', new Uint8Array([2, 0, 0]), /file is 3 bytes/],
  ['header length beyond file size', build('{}', [], 64n), /header length 64 runs past the end of the file \(10 bytes/],
  ['header length absurd', build('{}', [], 1n << 62n), /header length 4611686018427387904 exceeds the 100000000-byte limit/],
  ['header not UTF-8', build(Buffer.from([0x7b, 0xff, 0x7d])), /header is not valid UTF-8/],
  ['header not a JSON object', build('[1, 2]'), /header must be a JSON object starting with "\{"/],
  ['header invalid JSON', build('{"a": '), /header is not valid JSON/],
  ['header JSON with trailing junk', build('{}x'), /header is not valid JSON/],
  ['entry not an object', build({ w: 3 }), /tensor "w": expected an object \{dtype, shape, data_offsets\}, got 3/],
  ['missing dtype', build({ w: { shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor "w": dtype must be a string/],
  ['unknown dtype', build({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor "w": unknown dtype "F128" \(expected one of BOOL, /],
  ['negative dimension', build({ w: f32([-1], 0, 4) }, [0, 0, 0, 0]), /tensor "w": shape must be an array of non-negative integers, got \[-1\]/],
  ['fractional dimension', build({ w: f32([0.5], 0, 4) }, [0, 0, 0, 0]), /tensor "w": shape must be/],
  ['shape not an array', build({ w: { dtype: 'F32', shape: '4', data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor "w": shape must be/],
  ['offsets wrong length', build({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }), /tensor "w": data_offsets must be \[begin, end\]/],
  ['offsets reversed', build({ w: f32([0], 4, 0) }, [0, 0, 0, 0]), /tensor "w": data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[4,0\]/],
  ['offsets out of range', build({ w: f32([2], 0, 8) }, [0, 0, 0, 0]), /tensor "w": data_offsets \[0, 8\] run past the end of the 4-byte data buffer/],
  ['offsets huge', build({ w: f32([1], 0, 1e300) }, [0, 0, 0, 0]), /tensor "w": data_offsets must be/],
  ['overlapping tensors', build({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, new Uint8Array(8)), /tensor "b" data_offsets \[4, 8\] overlap tensor "a" \[0, 8\]/],
  ['gap between tensors', build({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, new Uint8Array(12)), /bytes \[4, 8\) of the data buffer belong to no tensor \(gap before tensor "b"\)/],
  ['buffer not covered', build({ a: f32([1], 0, 4) }, new Uint8Array(6)), /tensors cover 4 bytes but the data buffer holds 6; the last 2 bytes belong to no tensor/],
  ['shape x dtype size != byte length', build({ a: f32([3], 0, 8) }, new Uint8Array(8)), /tensor "a": shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/],
  ['shape too large to address', build({ a: f32([2 ** 40, 2 ** 40], 0, 4) }, new Uint8Array(4)), /tensor "a": shape \[1099511627776,1099511627776\] is too large/],
  ['metadata value not a string', build({ __metadata__: { step: 3 } }), /__metadata__\["step"\] must be a string, got 3/],
  ['metadata not an object', build({ __metadata__: ['x'] }), /__metadata__ must be an object of strings/],
  ['I64 beyond int32', build({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0x80, 0, 0, 0, 0]), /tensor "i" \(I64\) element 0 is 2147483648, outside the int32 range/],
  ['I64 below int32', build({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, [0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff]), /element 0 is -2147483649/],
  ['U64 beyond int32', build({ i: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0, 1, 0, 0, 0]), /\(U64\) element 0 is 4294967296/],
  ['U32 beyond int32', build({ i: { dtype: 'U32', shape: [2], data_offsets: [0, 8] } }, [1, 0, 0, 0, 0, 0, 0, 0x80]), /\(U32\) element 1 is 2147483648/],
  ['BOOL byte not 0/1', build({ m: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, [1, 2]), /tensor "m" \(BOOL\) element 1 is byte 2, expected 0 or 1/],
  ['known but unreadable dtype', build({ q: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0]), /tensor "q": dtype F8_E4M3 is valid safetensors but not readable here/],
];

for (const [label, bytes, re] of cases) {
  test(`malformed: ${label}`, () => assertFails(bytes, re, label));
}

test('a directory or a missing path is a SafetensorsError naming it', () => {
  assert.throws(() => readSafetensors(dir), (e: unknown) => e instanceof SafetensorsError && e.message === `${dir}: is not a regular file`);
  const missing = join(dir, 'nope.safetensors');
  assert.throws(() => readSafetensors(missing), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(`${missing}: cannot open`));
});

// A small valid file with a header, several dtypes and an empty tensor.
const valid = (() => {
  const header = {
    __metadata__: { format: 'pt' },
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
    w: f32([2, 2], 4, 20),
    i: { dtype: 'I64', shape: [1], data_offsets: [20, 28] },
  };
  const data = [0x00, 0x3c, 0x00, 0xc1, ...new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), 5, 0, 0, 0, 0, 0, 0, 0];
  return build(header, data);
})();

test('the truncation fixture is valid', () => {
  const { tensors } = parseSafetensors(valid);
  assert.deepEqual([...tensors.get('h')!.data], [1, -2.5]);
  assert.deepEqual([...tensors.get('w')!.data], [1, 2, 3, 4]);
  assert.deepEqual([...tensors.get('i')!.data], [5]);
  assert.equal(tensors.get('e')!.data.length, 0);
});

test('truncation at every byte offset throws SafetensorsError, in memory and on disk', () => {
  for (const source of [valid, serializeSafetensors({ a: { shape: [3], data: new Float32Array([1, 2, 3]) } }, { k: 'v' })]) {
    for (let k = 0; k < source.length; k++) {
      const cut = source.slice(0, k);
      assert.throws(() => parseSafetensors(cut, 'cut'), SafetensorsError, `parse truncated at ${k}`);
      const path = join(dir, 'cut.safetensors');
      writeFileSync(path, cut);
      assert.throws(() => readSafetensors(path), SafetensorsError, `read truncated at ${k}`);
    }
  }
});

test('random byte corruption either parses or throws SafetensorsError', () => {
  let seed = 0x9e3779b9;
  const rand = () => {
    // mulberry32: a fixed seed keeps failures reproducible.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let failures = 0;
  for (let iter = 0; iter < 5000; iter++) {
    const bytes = valid.slice();
    const flips = 1 + Math.floor(rand() * 3);
    for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    try {
      parseSafetensors(bytes, 'fuzz');
    } catch (e) {
      assert.ok(e instanceof SafetensorsError, `iteration ${iter}: ${String(e)}`);
      failures++;
    }
  }
  assert.ok(failures > 0);
});
