// A TensorBoard event-file reader written for the tests from the formats' definitions (TFRecord:
// tensorflow/core/lib/io/record_writer.cc; Event, Summary: event.proto, summary.proto), not from
// the writer: it checks both CRCs of every frame and decodes the protobuf wire format generically.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c, maskedCrc32c } from './crc32c.js';

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; value: number }[];
}

type Field = { field: number; wire: number; value: bigint | Uint8Array };

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let x = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      x |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return x;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint()), field = key >> 3, wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) { out.push({ field, wire, value: buf.subarray(i, i + 8) }); i += 8; }
    else if (wire === 5) { out.push({ field, wire, value: buf.subarray(i, i + 4) }); i += 4; }
    else if (wire === 2) { const n = Number(varint()); out.push({ field, wire, value: buf.subarray(i, i + n) }); i += n; }
    else throw new Error(`wire type ${wire} not expected in an Event`);
    if (i > buf.length) throw new Error('field runs past the end');
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function decodeEvent(buf: Uint8Array): ReadEvent {
  const e: ReadEvent = { wallTime: NaN, step: 0, values: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) e.wallTime = view(f.value as Uint8Array).getFloat64(0, true);
    else if (f.field === 2) e.step = Number(BigInt.asIntN(64, f.value as bigint));
    else if (f.field === 3) e.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
    else if (f.field === 5) {
      for (const v of fields(f.value as Uint8Array).filter((x) => x.field === 1)) {
        const parts = fields(v.value as Uint8Array);
        const tag = parts.find((p) => p.field === 1), val = parts.find((p) => p.field === 2);
        assert.ok(tag && val && val.wire === 5, 'a Summary.Value with tag and simple_value');
        e.values.push({ tag: new TextDecoder().decode(tag.value as Uint8Array), value: view(val.value as Uint8Array).getFloat32(0, true) });
      }
    }
  }
  return e;
}

/** Every event of a TFRecord file, each frame's length and data CRCs checked. */
export function readEvents(bytes: Uint8Array): ReadEvent[] {
  const out: ReadEvent[] = [];
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  while (i < b.length) {
    assert.ok(i + 12 <= b.length, `frame header at byte ${i} is cut`);
    const n = Number(b.readBigUInt64LE(i));
    assert.equal(b.readUInt32LE(i + 8), maskedCrc32c(b.subarray(i, i + 8)), `length CRC of the frame at byte ${i}`);
    const data = b.subarray(i + 12, i + 12 + n);
    assert.equal(b.readUInt32LE(i + 12 + n), maskedCrc32c(data), `data CRC of the frame at byte ${i}`);
    out.push(decodeEvent(data));
    i += 12 + n + 4;
  }
  return out;
}

test('CRC-32C gives the check values of RFC 3720 (iSCSI) and the usual "123456789"', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa, '32 bytes of zeros');
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43, '32 bytes of ones');
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e, 'incrementing bytes');
});
