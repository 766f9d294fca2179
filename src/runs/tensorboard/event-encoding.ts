// The bytes of a TensorBoard event file: TFRecord frames (u64 length, masked CRC-32C of the
// length, the data, masked CRC-32C of the data; all little-endian) around tensorflow.Event
// protobufs (tensorflow/core/util/event.proto): wall_time = 1 (double), step = 2 (int64),
// file_version = 3 (string), summary = 5 (Summary { repeated Value value = 1 }, Value { string
// tag = 1; float simple_value = 2 }). Only what scalars need is encoded.
import { maskedCrc32c } from './crc32c.js';

class Proto {
  private readonly parts: Uint8Array[] = [];

  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      out.push(x ? b | 0x80 : b);
    } while (x);
    this.parts.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int64(field: number, v: number): this {
    this.key(field, 0);
    this.varint(BigInt(Math.trunc(v)));
    return this;
  }

  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.parts.push(b);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(b);
    return this;
  }

  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    this.key(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

/** The first event of every file: which format it is. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new Proto().double(1, wallTime).bytes(3, 'brain.Event:2').finish();
}

/** One event holding scalar summaries, all at `step`. */
export function scalarEvent(wallTime: number, step: number, values: readonly { tag: string; value: number }[]): Uint8Array {
  const summary = new Proto();
  for (const v of values) summary.bytes(1, new Proto().bytes(1, v.tag).float(2, v.value).finish());
  return new Proto().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

/** `data` framed as one TFRecord. */
export function tfRecord(data: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length), 0);
  head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([head, data, tail]);
}
