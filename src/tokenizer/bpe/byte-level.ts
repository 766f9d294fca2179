// GPT-2's byte-level scheme (openai/gpt-2 src/encoder.py, bytes_to_unicode): every byte gets a
// printable stand-in character so vocabularies and merges can be written as JSON strings without
// whitespace or control characters. Printable Latin-1 bytes stand for themselves; the other 68
// bytes map to U+0100 onwards in byte order (so the space byte becomes 'Ġ', newline 'Ċ').

function buildByteToChar(): string[] {
  const out = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : next++);
  }
  return out;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/**
 * GPT-2's pre-tokenisation pattern; merges never cross a match boundary. The same regex, with the
 * same JavaScript `u` semantics, is what @huggingface/tokenizers uses for a ByteLevel pre-tokenizer.
 */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT) ?? [];
}

export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** Inverse of bytesToByteLevel; undefined when a character is not a byte stand-in. */
export function byteLevelToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = CHAR_TO_BYTE.get(s[i]);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const utf8Encoder = new TextEncoder();
/** Lossy on purpose: decode() must always return a string; decodeBytes() is the exact path. */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Decodes runs of ordinary ids as UTF-8 and renders specials as their strings, run by run, like
 * HF's ByteLevel decoder: a special between two halves of a character does not glue them together.
 */
export function decodeByteRuns(
  ids: readonly number[], bytesOf: (id: number) => Uint8Array, special: (id: number) => string | undefined, skipSpecial: boolean,
): string {
  let out = '';
  let run: Uint8Array[] = [];
  for (const id of ids) {
    const s = special(id);
    if (s === undefined) {
      run.push(bytesOf(id));
      continue;
    }
    if (run.length) out += utf8Decoder.decode(concatBytes(run));
    run = [];
    if (!skipSpecial) out += s;
  }
  if (run.length) out += utf8Decoder.decode(concatBytes(run));
  return out;
}

/** The exact bytes of ids; specials contribute their UTF-8 unless skipped. */
export function decodeToBytes(
  ids: readonly number[], bytesOf: (id: number) => Uint8Array, special: (id: number) => string | undefined, skipSpecial: boolean,
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const id of ids) {
    const s = special(id);
    if (s === undefined) parts.push(bytesOf(id));
    else if (!skipSpecial) parts.push(utf8Encoder.encode(s));
  }
  return concatBytes(parts);
}
