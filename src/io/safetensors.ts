// Reading and writing safetensors (https://github.com/huggingface/safetensors), the format Hugging
// Face checkpoints use. Reading widens every float dtype to Float32Array and every integer dtype
// to Int32Array, because that is what the engine computes with; values an Int32Array cannot hold
// are an error, not a silent wrap. Writing emits F32 and I32 only and reproduces the reference
// writer byte for byte: tensors sorted by name, header padded with spaces to a multiple of 8 so
// the data starts 8-byte aligned.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { atomicWriteChunks } from './atomic-write.js';
import { decodeBf16, decodeF16, encodeHalf } from './float16.js';
import { parseHeader, readHeaderLength, SafetensorsError, type TensorEntry } from './safetensors-header.js';

export { SafetensorsError } from './safetensors-header.js';

export type SafetensorsData = Float32Array | Int32Array;

export interface SafetensorsTensor<D = SafetensorsData> {
  /** The dtype stored in the file (e.g. "BF16"), before widening. */
  dtype: string;
  shape: number[];
  data: D;
}

export interface SafetensorsContents<D = SafetensorsData> {
  /** In file order (by offset). */
  tensors: Map<string, SafetensorsTensor<D>>;
  metadata: Record<string, string>;
}

/** What a read may return with `keepHalf`: F16 and BF16 data as their 16-bit patterns. */
export type SafetensorsDataOrHalf = SafetensorsData | Uint16Array;

export interface ReadSafetensorsOptions {
  /**
   * Keep F16 and BF16 tensors as their 16-bit patterns (a Uint16Array; `dtype` says which) instead
   * of widening them: frozen weights that stay 16-bit in memory (issue 18).
   */
  keepHalf?: boolean;
}

export interface TensorToWrite {
  shape: readonly number[];
  /** Float32Array is written as F32, Int32Array as I32. */
  data: SafetensorsData;
  /** Float32 data narrowed to a 16-bit float on the way out (round to nearest even), e.g. a merge in its base's dtype. */
  dtype?: 'BF16' | 'F16';
}

export type TensorsToWrite = Readonly<Record<string, TensorToWrite>> | ReadonlyMap<string, TensorToWrite>;

// The format is little-endian; on a big-endian host multi-byte elements need swapping.
const bigEndianHost = endianness() === 'BE';

function swapInPlace(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/** `bytes` when it may be adopted (fresh and aligned), else an aligned copy. */
function ownAligned(bytes: Uint8Array, owned: boolean, width: number): Uint8Array {
  const b = owned && bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  if (bigEndianHost) swapInPlace(b, width);
  return b;
}

function count(entry: TensorEntry): number {
  return entry.shape.reduce((a, d) => a * d, 1);
}

function decodeInts(entry: TensorEntry, bytes: Uint8Array, file: string): Int32Array {
  const n = count(entry);
  const out = new Int32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tooBig = (i: number, value: bigint | number): never => {
    throw new SafetensorsError(
      file,
      `tensor ${JSON.stringify(entry.name)} (${entry.dtype}) element ${i} is ${value}, outside the int32 range this reader supports`,
    );
  };
  switch (entry.dtype) {
    case 'BOOL':
      for (let i = 0; i < n; i++) {
        const b = bytes[i]!;
        if (b > 1) {
          throw new SafetensorsError(file, `tensor ${JSON.stringify(entry.name)} (BOOL) element ${i} is byte ${b}, expected 0 or 1`);
        }
        out[i] = b;
      }
      break;
    case 'U8': for (let i = 0; i < n; i++) out[i] = view.getUint8(i); break;
    case 'I8': for (let i = 0; i < n; i++) out[i] = view.getInt8(i); break;
    case 'U16': for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true); break;
    case 'I16': for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true); break;
    case 'U32':
      for (let i = 0; i < n; i++) {
        const v = view.getUint32(4 * i, true);
        if (v > 0x7fffffff) tooBig(i, v);
        out[i] = v;
      }
      break;
    case 'I64':
    case 'U64':
      for (let i = 0; i < n; i++) {
        const lo = view.getUint32(8 * i, true);
        const hi = view.getUint32(8 * i + 4, true);
        // Fits iff the high word is the sign extension of the low word (and unsigned stays positive).
        const fits = lo <= 0x7fffffff ? hi === 0 : entry.dtype === 'I64' && hi === 0xffffffff;
        if (!fits) tooBig(i, entry.dtype === 'I64' ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true));
        out[i] = lo | 0;
      }
      break;
  }
  return out;
}

/** Decodes one tensor's bytes (exactly end − begin of them). `owned`: the caller gives them up. */
function decodeTensor(entry: TensorEntry, bytes: Uint8Array, owned: boolean, file: string, keepHalf = false): SafetensorsDataOrHalf {
  const n = count(entry);
  if (keepHalf && (entry.dtype === 'F16' || entry.dtype === 'BF16')) {
    const b = ownAligned(bytes, owned, 2);
    return new Uint16Array(b.buffer, b.byteOffset, n);
  }
  switch (entry.dtype) {
    case 'F32': {
      const b = ownAligned(bytes, owned, 4);
      return new Float32Array(b.buffer, b.byteOffset, n);
    }
    case 'I32': {
      const b = ownAligned(bytes, owned, 4);
      return new Int32Array(b.buffer, b.byteOffset, n);
    }
    case 'F16': {
      const out = new Float32Array(n);
      decodeF16(bytes, out);
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      decodeBf16(bytes, out);
      return out;
    }
    case 'F64': {
      // Rounded to the nearest float32: the engine has no float64 tensors.
      const out = new Float32Array(n);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'BOOL': case 'U8': case 'I8': case 'U16': case 'I16': case 'U32': case 'I64': case 'U64':
      return decodeInts(entry, bytes, file);
    default:
      throw new SafetensorsError(
        file,
        `tensor ${JSON.stringify(entry.name)}: dtype ${entry.dtype} is valid safetensors but not readable here ` +
          '(readable: F32, F16, BF16, F64, I64, I32, I16, I8, U64, U32, U16, U8, BOOL)',
      );
  }
}

/** Parses a whole safetensors file held in memory. `file` is used only in error messages. */
export function parseSafetensors(bytes: Uint8Array, file = '<bytes>'): SafetensorsContents {
  return parseSafetensorsAs(bytes, file, false) as SafetensorsContents;
}

function parseSafetensorsAs(bytes: Uint8Array, file: string, keepHalf: boolean): SafetensorsContents<SafetensorsDataOrHalf> {
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length, file);
  const start = 8 + n;
  const { entries, metadata } = parseHeader(bytes.subarray(8, start), bytes.length - start, file);
  const tensors = new Map<string, SafetensorsTensor<SafetensorsDataOrHalf>>();
  for (const e of entries) {
    const data = decodeTensor(e, bytes.subarray(start + e.begin, start + e.end), false, file, keepHalf);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function readExactly(fd: number, length: number, position: number, file: string, what: string): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const k = readSync(fd, buf, got, length - got, position + got);
    if (k === 0) {
      throw new SafetensorsError(file, `file ended at byte ${position + got} while reading ${what} (changed while being read?)`);
    }
    got += k;
  }
  return buf;
}

/**
 * Reads a safetensors file. The header is validated against the file size before any tensor is
 * read, and each tensor is read straight into its own buffer, so memory peaks at the decoded
 * tensors rather than at file plus tensors, and files beyond Node's 2 GiB readFile limit work.
 */
export function readSafetensors(file: string): SafetensorsContents;
export function readSafetensors(file: string, opts: ReadSafetensorsOptions): SafetensorsContents<SafetensorsDataOrHalf>;
export function readSafetensors(file: string, opts: ReadSafetensorsOptions = {}): SafetensorsContents<SafetensorsDataOrHalf> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new SafetensorsError(file, `cannot open safetensors file (${(err as Error).message})`, { cause: err });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SafetensorsError(file, 'is not a regular file');
    const size = stat.size;
    const prefix = size >= 8 ? readExactly(fd, 8, 0, file, 'the header length') : new Uint8Array(0);
    const n = readHeaderLength(prefix, size, file);
    const start = 8 + n;
    const { entries, metadata } = parseHeader(readExactly(fd, n, 8, file, 'the header'), size - start, file);
    const tensors = new Map<string, SafetensorsTensor<SafetensorsDataOrHalf>>();
    for (const e of entries) {
      const bytes = readExactly(fd, e.end - e.begin, start + e.begin, file, `tensor ${JSON.stringify(e.name)}`);
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decodeTensor(e, bytes, true, file, opts.keepHalf) });
    }
    return { tensors, metadata };
  } catch (err) {
    if (err instanceof SafetensorsError) throw err;
    throw new SafetensorsError(file, `cannot read safetensors file (${(err as Error).message})`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextEncoder();

// Byte order of UTF-8, as the reference writer sorts Rust strings; UTF-16 order differs above U+FFFF.
function byName(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encode(tensors: TensorsToWrite, metadata: Readonly<Record<string, string>>, file: string): { size: number; chunks: Iterable<Uint8Array> } {
  // A Record's values are tensors, never functions, so `entries` being a function means a map.
  const isMap = typeof (tensors as ReadonlyMap<string, TensorToWrite>).entries === 'function';
  const list = isMap
    ? [...(tensors as ReadonlyMap<string, TensorToWrite>).entries()]
    : Object.entries(tensors as Readonly<Record<string, TensorToWrite>>);
  list.sort((a, b) => byName(a[0], b[0]));

  // Built by hand, not with JSON.stringify of one object: engines move integer-like keys ("0") to
  // the front of an object, which would break the name order the reference writer produces.
  const parts: string[] = [];
  const meta = Object.entries(metadata ?? {}).sort((a, b) => byName(a[0], b[0]));
  if (meta.length > 0) {
    for (const [k, v] of meta) {
      if (typeof v !== 'string') {
        throw new SafetensorsError(file, `metadata[${JSON.stringify(k)}] must be a string, got ${typeof v}`);
      }
    }
    parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of list) {
    const where = `tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__') throw new SafetensorsError(file, `${where}: the name is reserved for the metadata map`);
    const dtype = t?.data instanceof Float32Array ? t.dtype ?? 'F32' : t?.data instanceof Int32Array ? 'I32' : undefined;
    if (!dtype) throw new SafetensorsError(file, `${where}: data must be a Float32Array or Int32Array`);
    if (t.dtype !== undefined && (dtype === 'I32' || !['BF16', 'F16'].includes(t.dtype))) throw new SafetensorsError(file, `${where}: dtype ${t.dtype}, expected BF16 or F16 over Float32Array data`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (n !== t.data.length) {
      throw new SafetensorsError(file, `${where}: shape ${JSON.stringify(t.shape)} holds ${n} elements but data has ${t.data.length}`);
    }
    const end = offset + (dtype === 'BF16' || dtype === 'F16' ? 2 * t.data.length : t.data.byteLength);
    parts.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + headerLen);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerLen), true);
  head.set(json, 8);
  head.fill(0x20, 8 + json.length);
  return { size: 8 + headerLen + offset, chunks: chunksOf(head, list) };
}

/** The header, then each tensor's bytes: a view of its data where the host is little-endian. */
function* chunksOf(head: Uint8Array, list: readonly (readonly [string, TensorToWrite])[]): Generator<Uint8Array> {
  yield head;
  for (const [, t] of list) {
    // encodeHalf writes little-endian itself.
    if (t.dtype) { yield encodeHalf(t.data as Float32Array, t.dtype); continue; }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (!bigEndianHost) { yield bytes; continue; }
    const swapped = bytes.slice();
    swapInPlace(swapped, 4);
    yield swapped;
  }
}

/** The bytes of a safetensors file holding `tensors` (F32 or I32 by array type) and `metadata`. */
export function serializeSafetensors(tensors: TensorsToWrite, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const { size, chunks } = encode(tensors, metadata, '<serializeSafetensors>');
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** Writes a safetensors file atomically: a failed write leaves any previous file untouched. */
export function writeSafetensors(
  file: string,
  tensors: TensorsToWrite,
  metadata: Readonly<Record<string, string>> = {},
): void {
  // Streamed tensor by tensor: the file never exists as one buffer (a 135M model's Adam moments are 1 GB).
  const { chunks } = encode(tensors, metadata, file);
  try {
    atomicWriteChunks(file, chunks);
  } catch (err) {
    throw new SafetensorsError(file, `cannot write safetensors file (${(err as Error).message})`, { cause: err });
  }
}
