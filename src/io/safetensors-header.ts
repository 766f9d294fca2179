// The safetensors header: an 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping
// tensor names to {dtype, shape, data_offsets} (offsets relative to the byte buffer after the
// header), plus an optional "__metadata__" map of strings. Validation follows the reference
// implementation (huggingface/safetensors, tensor.rs `read_metadata` and `Metadata::validate`):
// the tensors, ordered by offset, must tile the byte buffer exactly — no gap, no overlap, nothing
// after the last one — and each span must equal shape × dtype size. Every check runs before a
// single tensor byte is read, so a malformed file fails here with a message, not deep in decoding.

export class SafetensorsError extends Error {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'SafetensorsError';
  }
}

/** Bytes per element of every dtype the format defines with a whole-byte size. */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

/** The reference implementation refuses headers above 100 MB; a larger length means garbage. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range within the data buffer (which starts at 8 + header length). */
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** Ordered by offset, i.e. as the bytes lie in the file. */
  entries: TensorEntry[];
  metadata: Record<string, string>;
}

/** Reads the header length from the first 8 bytes and checks it fits in a file of `fileSize`. */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new SafetensorsError(file, `file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  }
  const len = Number(n);
  if (8 + len > fileSize) {
    throw new SafetensorsError(
      file,
      `header length ${len} runs past the end of the file (${fileSize} bytes, so at most ${fileSize - 8}); the file is truncated or not safetensors`,
    );
  }
  return len;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function parseEntry(name: string, v: unknown, dataBytes: number, file: string): TensorEntry {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isObject(v)) throw new SafetensorsError(file, `${where}: expected an object {dtype, shape, data_offsets}, got ${show(v)}`);
  const { dtype, shape, data_offsets: offsets } = v;
  if (typeof dtype !== 'string') throw new SafetensorsError(file, `${where}: dtype must be a string, got ${show(dtype)}`);
  const size = DTYPE_SIZES[dtype];
  if (size === undefined) {
    throw new SafetensorsError(file, `${where}: unknown dtype ${show(dtype)} (expected one of ${Object.keys(DTYPE_SIZES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new SafetensorsError(file, `${where}: shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(file, `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataBytes) {
    throw new SafetensorsError(
      file,
      `${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataBytes}-byte data buffer (file truncated?)`,
    );
  }
  let count = 1;
  for (const d of shape as number[]) count *= d;
  const bytes = count * size;
  if (!Number.isSafeInteger(bytes)) throw new SafetensorsError(file, `${where}: shape ${show(shape)} is too large to address`);
  if (bytes !== end - begin) {
    throw new SafetensorsError(
      file,
      `${where}: shape ${show(shape)} of ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function parseMetadata(v: unknown, file: string): Record<string, string> {
  // The reference reader accepts null here (an absent Option).
  if (v === null || v === undefined) return {};
  if (!isObject(v)) throw new SafetensorsError(file, `__metadata__ must be an object of strings, got ${show(v)}`);
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      throw new SafetensorsError(file, `__metadata__[${JSON.stringify(k)}] must be a string, got ${show(val)}`);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data, not a prototype.
  return Object.fromEntries(Object.entries(v)) as Record<string, string>;
}

/**
 * Parses and validates the N header bytes. `dataBytes` is the size of the buffer after the header
 * (file size − 8 − N); the tensors must cover it exactly.
 */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number, file: string): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(file, `header must be a JSON object starting with "{", but starts with ${show(text.slice(0, 16))}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw new SafetensorsError(file, `header must be a JSON object, got ${show(json)}`);

  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(v, file);
    else entries.push(parseEntry(name, v, dataBytes, file));
  }

  // Earlier writers ordered the JSON by name, not by offset, so tile-check in offset order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev: TensorEntry | undefined;
  for (const e of entries) {
    if (e.begin < covered) {
      throw new SafetensorsError(
        file,
        `tensor ${JSON.stringify(e.name)} data_offsets [${e.begin}, ${e.end}] overlap tensor ${JSON.stringify(prev!.name)} [${prev!.begin}, ${prev!.end}]`,
      );
    }
    if (e.begin > covered) {
      throw new SafetensorsError(
        file,
        `bytes [${covered}, ${e.begin}) of the data buffer belong to no tensor (gap before tensor ${JSON.stringify(e.name)})`,
      );
    }
    covered = e.end;
    prev = e;
  }
  if (covered !== dataBytes) {
    throw new SafetensorsError(
      file,
      `tensors cover ${covered} bytes but the data buffer holds ${dataBytes}; the last ${dataBytes - covered} bytes belong to no tensor`,
    );
  }
  return { entries, metadata };
}
