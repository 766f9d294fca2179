// Byte tokenizer: id b < 256 is the raw byte b, specials follow. No training, no unknowns, any
// byte sequence round-trips, which makes it the safe default for tiny models and tests.
//
// Saved as a byte-level BPE with no merges, so Hugging Face loads it and gets the same ids.
import {
  BYTE_TO_CHAR, CHAR_TO_BYTE, decodeByteRuns, decodeToBytes, utf8Encoder,
} from './bpe/byte-level.js';
import {
  BYTE_LEVEL_DECODER, BYTE_LEVEL_PRE_TOKENIZER, bpeModelJson, checkAddedTokens, parseBpeFile, specialOptions,
  writeNativeTokenizer, type NativeConfig,
} from './hf/json.js';
import { SpecialTokens, type SpecialTokenOptions } from './specials.js';
import { checkIds, type DecodeOptions, type EncodeOptions, type Tokenizer } from './types.js';

const SINGLE_BYTES: readonly Uint8Array[] = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));

export class ByteTokenizer implements Tokenizer {
  readonly kind = 'byte';
  readonly specials: SpecialTokens;

  constructor(opts: SpecialTokenOptions = {}) {
    this.specials = new SpecialTokens(256, opts, 'ByteTokenizer');
  }

  get vocabSize(): number {
    return 256 + this.specials.size;
  }
  get specialTokens(): readonly string[] {
    return this.specials.tokens;
  }
  get bos(): number | null {
    return this.specials.bos;
  }
  get eos(): number | null {
    return this.specials.eos;
  }
  get pad(): number | null {
    return this.specials.pad;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    for (const seg of this.specials.split(text, opts.parseSpecial ?? true)) {
      if (typeof seg === 'number') ids.push(seg);
      else for (const b of utf8Encoder.encode(seg)) ids.push(b);
    }
    return this.specials.wrap(ids, opts.addBos, opts.addEos, 'ByteTokenizer');
  }

  /** Raw bytes in, one id per byte: for data that is not text, or not valid UTF-8. */
  encodeBytes(bytes: Uint8Array, opts: Omit<EncodeOptions, 'parseSpecial'> = {}): number[] {
    return this.specials.wrap(Array.from(bytes), opts.addBos, opts.addEos, 'ByteTokenizer');
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    checkIds(ids, this.vocabSize, 'ByteTokenizer');
    return decodeByteRuns(ids, (id) => SINGLE_BYTES[id], (id) => this.specials.token(id), opts.skipSpecial ?? false);
  }

  decodeBytes(ids: readonly number[], opts: DecodeOptions = {}): Uint8Array {
    checkIds(ids, this.vocabSize, 'ByteTokenizer');
    return decodeToBytes(ids, (id) => SINGLE_BYTES[id], (id) => this.specials.token(id), opts.skipSpecial ?? false);
  }

  idToken(id: number): string {
    if (Number.isInteger(id) && id >= 0 && id < 256) return BYTE_TO_CHAR[id];
    const s = this.specials.token(id);
    if (s === undefined) throw new RangeError(`ByteTokenizer.idToken: id is ${id}; expected an integer in [0, ${this.vocabSize})`);
    return s;
  }

  tokenId(token: string): number | undefined {
    return CHAR_TO_BYTE.get(token) ?? this.specials.id(token);
  }

  save(dir: string): void {
    const model = bpeModelJson(BYTE_TO_CHAR, [], null);
    writeNativeTokenizer(dir, 'byte', model, { preTokenizer: BYTE_LEVEL_PRE_TOKENIZER, decoder: BYTE_LEVEL_DECODER }, this.specials);
  }

  static fromFiles(json: unknown, config: NativeConfig, source: string): ByteTokenizer {
    const file = parseBpeFile(json, source);
    const bytesOk = file.vocab.length === 256 && file.vocab.every((t, b) => t === BYTE_TO_CHAR[b]);
    if (!bytesOk || file.merges.length > 0) {
      throw new Error(`tokenizer: ${source} is marked kind "byte" but its model is not the 256 byte tokens without merges`);
    }
    const tok = new ByteTokenizer(specialOptions(config));
    checkAddedTokens(file.added, tok.specials, source);
    return tok;
  }
}
