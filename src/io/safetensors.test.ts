import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseSafetensors, readSafetensors, SafetensorsError, serializeSafetensors, writeSafetensors, type TensorToWrite,
} from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'alignkit-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ascii = (s: string) => [...Buffer.from(s, 'utf8')];
const u64le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0];

// An independent reading of the format spec, used to judge what our writer produces: the layout
// the reference writer (huggingface/safetensors tensor.rs `prepare`) emits.
function assertSpecLayout(bytes: Uint8Array): void {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal(n % 8, 0, 'header length is a multiple of 8');
  const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
  assert.match(text, /^\{.*\} *$/s, 'JSON object padded with spaces only');
  const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  assert.deepEqual(names, [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'names sorted');
  let at = 0;
  for (const name of names) {
    const { dtype, shape, data_offsets } = header[name]!;
    assert.deepEqual(Object.keys(header[name]!), ['dtype', 'shape', 'data_offsets']);
    assert.equal(data_offsets[0], at, `${name} starts where the previous ended`);
    assert.equal(data_offsets[1] - data_offsets[0], shape.reduce((a, d) => a * d, 1) * 4, `${name} ${dtype} size`);
    at = data_offsets[1];
  }
  assert.equal(bytes.length, 8 + n + at, 'tensors cover the rest of the file');
}

test('reference fixture: F32 tensor, header padded to 8 with spaces', () => {
  // The serialisation test vector of huggingface/safetensors (test_serialization_forced_alignement),
  // written out from the spec: length, header JSON, 7 padding spaces, six little-endian float32s.
  const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' + ' '.repeat(7);
  assert.equal(header.length, 72);
  const fixture = new Uint8Array([
    ...u64le(72), ...ascii(header),
    0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
  ]);
  const { tensors, metadata } = parseSafetensors(fixture, 'fixture');
  assert.deepEqual(metadata, {});
  assert.deepEqual([...tensors.keys()], ['attn0']);
  const t = tensors.get('attn0')!;
  assert.equal(t.dtype, 'F32');
  assert.deepEqual(t.shape, [1, 1, 2, 3]);
  assert.deepEqual([...t.data], [0, 1, 2, 3, 4, 5]);

  const ours = serializeSafetensors({ attn0: { shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
  assert.deepEqual(ours, fixture);
  assertSpecLayout(ours);
});

test('reference fixture: no tensors, metadata only', () => {
  const header = '{"__metadata__":{"framework":"pt"}}' + ' '.repeat(5);
  const fixture = new Uint8Array([...u64le(40), ...ascii(header)]);
  assert.deepEqual(parseSafetensors(fixture).metadata, { framework: 'pt' });
  assert.deepEqual(serializeSafetensors({}, { framework: 'pt' }), fixture);
  assert.deepEqual(serializeSafetensors(new Map()), new Uint8Array([...u64le(8), ...ascii('{}      ')]));
});

test('hand-made file: mixed dtypes, unaligned offsets, JSON in name order not offset order', () => {
  // b: F16 [1, -2.5, 65504, 2^-24, inf, NaN]  (bytes 0..12)
  // a: BF16 [1, -2.5, 2^-133, -inf]            (bytes 12..20)
  // m: BOOL [1, 0, 1]                          (bytes 20..23)
  // i: I64 [-2147483648, 2147483647]           (bytes 23..39, not 8-aligned)
  // u: U8 [255]  d: F64 [0.1]                  (bytes 39..40, 40..48)
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    a: { dtype: 'BF16', shape: [2, 2], data_offsets: [12, 20] },
    b: { dtype: 'F16', shape: [6], data_offsets: [0, 12] },
    d: { dtype: 'F64', shape: [], data_offsets: [40, 48] },
    i: { dtype: 'I64', shape: [2], data_offsets: [23, 39] },
    m: { dtype: 'BOOL', shape: [3], data_offsets: [20, 23] },
    u: { dtype: 'U8', shape: [1, 1], data_offsets: [39, 40] },
  });
  const data = [
    0x00, 0x3c, 0x00, 0xc1, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c, 0x00, 0x7e,
    0x80, 0x3f, 0x20, 0xc0, 0x01, 0x00, 0x80, 0xff,
    1, 0, 1,
    0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0,
    255,
    0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
  ];
  const bytes = new Uint8Array([...u64le(header.length), ...ascii(header), ...data]);
  const { tensors, metadata } = parseSafetensors(bytes, 'mixed');
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual([...tensors.keys()], ['b', 'a', 'm', 'i', 'u', 'd'], 'file order');
  assert.deepEqual([...tensors.get('b')!.data], [1, -2.5, 65504, 2 ** -24, Infinity, NaN]);
  assert.deepEqual([...tensors.get('a')!.data], [1, -2.5, 2 ** -133, -Infinity]);
  assert.ok(tensors.get('a')!.data instanceof Float32Array);
  assert.deepEqual(tensors.get('a')!.shape, [2, 2]);
  assert.deepEqual([...tensors.get('m')!.data], [1, 0, 1]);
  assert.ok(tensors.get('i')!.data instanceof Int32Array);
  assert.deepEqual([...tensors.get('i')!.data], [-2147483648, 2147483647]);
  assert.deepEqual([...tensors.get('u')!.data], [255]);
  assert.deepEqual([...tensors.get('d')!.data], [Math.fround(0.1)]);
  assert.deepEqual(tensors.get('d')!.shape, []);

  const path = join(dir, 'mixed.safetensors');
  writeFileSync(path, bytes);
  assert.deepEqual(readSafetensors(path), { tensors, metadata });
});

const special = new Float32Array([0, -0, 1.5, -3.25, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
// A NaN with a payload, set by bits: reading must give the same bits back, not a canonical NaN.
new Uint32Array(special.buffer, 0, 1)[0] = 0x7fa12345;

function roundTripInput(): Record<string, TensorToWrite> {
  return {
    'layer.0.weight': { shape: [2, 4], data: special },
    '0': { shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
    '10': { shape: [], data: new Float32Array([42]) },
    'é': { shape: [0, 3], data: new Float32Array(0) },
    '\u{1d4b3}': { shape: [1], data: new Int32Array([7]) },
    '\uffff': { shape: [1], data: new Float32Array([0.25]) },
  };
}

test('round trip F32/I32 with metadata, through bytes and through a file', () => {
  const input = roundTripInput();
  const meta = { format: 'pt', note: 'quotes " and \\ and\nnewline', 'ünï': '✓' };
  const bytes = serializeSafetensors(input, meta);
  assertSpecLayout(bytes);
  const path = join(dir, 'round.safetensors');
  writeSafetensors(path, new Map(Object.entries(input)), meta);
  assert.deepEqual(readFileSync(path), Buffer.from(bytes), 'Map and Record inputs give the same bytes');

  for (const got of [parseSafetensors(bytes), readSafetensors(path)]) {
    assert.deepEqual(got.metadata, meta);
    // UTF-8 byte order, as the reference sorts: U+FFFF (ef bf bf) before U+1D4B3 (f0 ...).
    assert.deepEqual([...got.tensors.keys()], ['0', '10', 'layer.0.weight', 'é', '\uffff', '\u{1d4b3}']);
    for (const [name, t] of Object.entries(input)) {
      const r = got.tensors.get(name)!;
      assert.equal(r.dtype, t.data instanceof Float32Array ? 'F32' : 'I32');
      assert.deepEqual(r.shape, t.shape);
      assert.equal(r.data.constructor, t.data.constructor);
      assert.deepEqual(
        new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength),
        new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        `${name} bit-exact`,
      );
    }
  }
});

test('writer honours typed-array views with a byte offset', () => {
  const backing = new Float32Array([9, 1, 2, 3, 9]);
  const bytes = serializeSafetensors({ v: { shape: [3], data: backing.subarray(1, 4) } });
  assert.deepEqual([...parseSafetensors(bytes).tensors.get('v')!.data], [1, 2, 3]);
});

test('writer rejects bad input with a SafetensorsError naming the tensor', () => {
  const cases: [Record<string, TensorToWrite>, RegExp, Record<string, string>?][] = [
    [{ w: { shape: [2, 2], data: new Float32Array(3) } }, /tensor "w": shape \[2,2\] holds 4 elements but data has 3/],
    [{ w: { shape: [-1], data: new Float32Array(1) } }, /tensor "w": shape must be/],
    [{ w: { shape: [1.5], data: new Float32Array(1) } }, /tensor "w": shape must be/],
    [{ w: { shape: [2], data: new Float64Array(2) as unknown as Float32Array } }, /tensor "w": data must be a Float32Array or Int32Array/],
    [{ __metadata__: { shape: [1], data: new Float32Array(1) } }, /reserved/],
    [{}, /metadata\["n"\] must be a string/, { n: 3 as unknown as string }],
  ];
  for (const [input, re, meta] of cases) {
    assert.throws(() => serializeSafetensors(input, meta), (e: unknown) => e instanceof SafetensorsError && re.test(e.message));
    const path = join(dir, 'rejected.safetensors');
    assert.throws(() => writeSafetensors(path, input, meta), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(path));
  }
});

test('atomic write: a failed write leaves the old file intact and no temporary file behind', () => {
  const sub = join(dir, 'atomic');
  mkdirSync(sub);
  const path = join(sub, 'model.safetensors');
  writeSafetensors(path, { w: { shape: [2], data: new Float32Array([1, 2]) } });
  const before = readFileSync(path);

  assert.throws(() => writeSafetensors(path, { w: { shape: [3], data: new Float32Array([1, 2]) } }), SafetensorsError);
  assert.deepEqual(readFileSync(path), before);

  // Overwriting succeeds and leaves only the target in the directory.
  writeSafetensors(path, { w: { shape: [2], data: new Float32Array([3, 4]) } });
  assert.deepEqual([...readSafetensors(path).tensors.get('w')!.data], [3, 4]);
  assert.deepEqual(readdirSync(sub), ['model.safetensors']);

  // A target whose "directory" is a regular file cannot be written; the error names the target.
  const blocked = join(path, 'inner.safetensors');
  assert.throws(
    () => writeSafetensors(blocked, { w: { shape: [1], data: new Float32Array(1) } }),
    (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(`${blocked}: cannot write`),
  );
  assert.deepEqual([...readSafetensors(path).tensors.get('w')!.data], [3, 4]);
  assert.deepEqual(readdirSync(sub), ['model.safetensors']);
});
