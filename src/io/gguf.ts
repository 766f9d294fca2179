// GGUF, llama.cpp's model file (version 3, as ggml's gguf.cpp and gguf-py read it): a header of
// typed key/value metadata, then one info record per tensor (name, dims innermost first, ggml type,
// offset), then the tensor data, each tensor aligned to general.alignment (32 by default).
// Tensors are encoded here from float32: F32, F16, BF16 (both rounded to nearest even) and Q8_0
// (blocks of 32: an F16 scale amax/127 and 32 int8, ggml's quantize_row_q8_0_ref). Written to a
// temporary file beside the target and renamed, so a failed export leaves nothing half-written.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { f16ToF32, f32ToBf16, f32ToF16 } from './float16.js';

export type GgufType = 'f32' | 'f16' | 'bf16' | 'q8_0';

/** ggml_type ids (ggml.h). */
export const GGML_TYPE: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 8, bf16: 30 };
export const Q8_0_BLOCK = 32;

/** A metadata value with its GGUF type (gguf_type: u32 4, i32 5, f32 6, bool 7, string 8, array 9). */
export type GgufValue =
  | { type: 'u32' | 'i32' | 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'i32[]' | 'f32[]'; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** PyTorch order, outermost first (rows, columns); the file stores it reversed. */
  shape: readonly number[];
  type: GgufType;
  data: Float32Array;
}

const SCALAR = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8 } as const;
const ALIGN = 32;

/** Bytes one tensor takes in `type`; throws when Q8_0 rows are not whole blocks. */
export function ggufByteSize(t: Pick<GgufTensor, 'name' | 'shape' | 'type'>): number {
  const n = t.shape.reduce((a, b) => a * b, 1), row = t.shape.at(-1) ?? 1;
  if (t.type === 'q8_0') {
    if (row % Q8_0_BLOCK !== 0) throw new Error(`gguf: tensor ${t.name} has rows of ${row} values; Q8_0 needs a multiple of ${Q8_0_BLOCK}`);
    return (n / Q8_0_BLOCK) * 34;
  }
  return n * (t.type === 'f32' ? 4 : 2);
}

/** The tensor's bytes in its GGUF type. */
export function encodeTensor(t: GgufTensor): Uint8Array {
  const out = new Uint8Array(ggufByteSize(t)), v = new DataView(out.buffer), x = t.data;
  if (t.type === 'f32') out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  else if (t.type === 'f16') for (let i = 0; i < x.length; i++) v.setUint16(2 * i, f32ToF16(x[i]!), true);
  else if (t.type === 'bf16') for (let i = 0; i < x.length; i++) v.setUint16(2 * i, f32ToBf16(x[i]!), true);
  else {
    for (let b = 0; b < x.length / Q8_0_BLOCK; b++) {
      let amax = 0;
      for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(x[b * Q8_0_BLOCK + j]!));
      // In float32, as ggml computes it, so the int8 codes are ggml's own.
      const d = Math.fround(amax / 127), id = d ? Math.fround(1 / d) : 0;
      v.setUint16(b * 34, f32ToF16(d), true);
      for (let j = 0; j < Q8_0_BLOCK; j++) {
        const q = Math.fround(x[b * Q8_0_BLOCK + j]! * id);
        v.setInt8(b * 34 + 2 + j, Math.sign(q) * Math.round(Math.abs(q))); // roundf: halves away from zero
      }
    }
  }
  return out;
}

/** Values as llama.cpp reads them back from Q8_0 bytes (tests, and the export's own check). */
export function decodeQ8_0(bytes: Uint8Array, n: number): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), out = new Float32Array(n);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) {
    const h = v.getUint16(b * 34, true);
    const d = f16ToF32(h);
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = d * v.getInt8(b * 34 + 2 + j);
  }
  return out;
}

class Bytes {
  private parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void { this.parts.push(b); this.length += b.length; }
  num(kind: 'u32' | 'i32' | 'f32' | 'u64', x: number): void {
    const b = new Uint8Array(kind === 'u64' ? 8 : 4), v = new DataView(b.buffer);
    if (kind === 'u32') v.setUint32(0, x, true);
    else if (kind === 'i32') v.setInt32(0, x, true);
    else if (kind === 'f32') v.setFloat32(0, x, true);
    else v.setBigUint64(0, BigInt(x), true);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.num('u64', b.length);
    this.push(b);
  }
  concat(): Uint8Array { return Buffer.concat(this.parts); }
}

function writeValue(out: Bytes, key: string, val: GgufValue): void {
  out.str(key);
  if (val.type.endsWith('[]')) {
    const elem = val.type.slice(0, -2) as 'string' | 'i32' | 'f32', arr = val.value as ArrayLike<string | number>;
    out.num('u32', 9);
    out.num('u32', SCALAR[elem]);
    out.num('u64', arr.length);
    for (let i = 0; i < arr.length; i++) {
      if (elem === 'string') out.str(arr[i] as string);
      else out.num(elem, arr[i] as number);
    }
    return;
  }
  const t = val.type as keyof typeof SCALAR;
  out.num('u32', SCALAR[t]);
  if (t === 'string') out.str(val.value as string);
  else if (t === 'bool') out.push(new Uint8Array([val.value ? 1 : 0]));
  else out.num(t, val.value as number);
}

export interface WriteGgufOptions {
  /** Called after each tensor is written, with bytes written so far and the total. */
  onTensor?: (done: number, total: number, name: string) => void;
}

/** Writes a GGUF file atomically; metadata in the order given, tensors in the order given. */
export function writeGguf(path: string, metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[], opts: WriteGgufOptions = {}): void {
  const head = new Bytes();
  head.push(Buffer.from('GGUF', 'latin1'));
  head.num('u32', 3);
  head.num('u64', tensors.length);
  head.num('u64', metadata.size);
  for (const [k, v] of metadata) writeValue(head, k, v);
  const pad = (n: number): number => (ALIGN - (n % ALIGN)) % ALIGN;
  let offset = 0;
  const sizes = tensors.map((t) => ggufByteSize(t));
  tensors.forEach((t, i) => {
    head.str(t.name);
    head.num('u32', t.shape.length);
    for (const d of [...t.shape].reverse()) head.num('u64', d);
    head.num('u32', GGML_TYPE[t.type]);
    head.num('u64', offset);
    offset += sizes[i]! + pad(sizes[i]!);
  });
  head.push(new Uint8Array(pad(head.length)));

  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const put = (b: Uint8Array): void => {
      for (let off = 0; off < b.length;) off += writeSync(fd, b, off, b.length - off);
    };
    put(head.concat());
    let done = 0;
    tensors.forEach((t, i) => {
      put(encodeTensor(t));
      put(new Uint8Array(pad(sizes[i]!)));
      done += sizes[i]!;
      opts.onTensor?.(done, offset, t.name);
    });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}
