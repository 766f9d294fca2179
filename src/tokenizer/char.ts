// Character tokenizer (one id per Unicode code point seen in a corpus), as in karpathy's
// char-level nanoGPT: the smallest vocabulary that still reads as text. Ids: the corpus's code
// points in code-point order, then `<|unk|>`, then the other specials.
//
// Saved as a BPE with no merges, no pre-tokenizer and a Fuse decoder, which Hugging Face turns
// into exactly "one token per code point, unknown ones to <|unk|>".
import {
  checkAddedTokens, parseBpeFile, bpeModelJson, specialOptions, writeNativeTokenizer, type NativeConfig,
} from './hf/json.js';
import { DEFAULT_SPECIALS, SpecialTokens, type SpecialTokenOptions } from './specials.js';
import { checkIds, type DecodeOptions, type EncodeOptions, type Tokenizer } from './types.js';

export const DEFAULT_UNK = '<|unk|>';

export interface CharTokenizerOptions extends SpecialTokenOptions {
  /** What unseen characters become; it takes the first id after the characters. */
  unk?: string;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly chars: readonly string[];
  readonly unk: number;
  readonly specials: SpecialTokens;
  private readonly ids = new Map<string, number>();

  constructor(chars: readonly string[], opts: CharTokenizerOptions = {}) {
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) {
        throw new TypeError(`CharTokenizer: chars[${i}] is ${JSON.stringify(c)}; expected a single code point`);
      }
      if (this.ids.has(c)) throw new Error(`CharTokenizer: character ${JSON.stringify(c)} is listed twice`);
      this.ids.set(c, i);
    });
    this.chars = [...chars];
    const unk = opts.unk ?? DEFAULT_UNK;
    const rest = opts.specials ?? DEFAULT_SPECIALS;
    this.specials = new SpecialTokens(chars.length, { ...opts, specials: [unk, ...rest] }, 'CharTokenizer');
    for (const s of this.specials.tokens) {
      if (this.ids.has(s)) throw new Error(`CharTokenizer: special ${JSON.stringify(s)} is also a character of the vocabulary`);
    }
    this.unk = chars.length;
  }

  /**
   * Every distinct code point of the corpus, sorted. Lone surrogates are left out: they have no
   * UTF-8 form, so no tokenizer.json could hold them; they encode as unk.
   */
  static fromCorpus(corpus: string, opts: CharTokenizerOptions = {}): CharTokenizer {
    const seen = new Set<string>();
    for (const c of corpus) if (!isLoneSurrogate(c)) seen.add(c);
    const chars = [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars, opts);
  }

  get vocabSize(): number {
    return this.chars.length + this.specials.size;
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
      else for (const c of seg) ids.push(this.ids.get(c) ?? this.unk);
    }
    return this.specials.wrap(ids, opts.addBos, opts.addEos, 'CharTokenizer');
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    checkIds(ids, this.vocabSize, 'CharTokenizer');
    let out = '';
    for (const id of ids) {
      if (id < this.chars.length) out += this.chars[id];
      else if (!opts.skipSpecial) out += this.specials.token(id);
    }
    return out;
  }

  idToken(id: number): string {
    const s = Number.isInteger(id) && id >= 0 && id < this.chars.length ? this.chars[id] : this.specials.token(id);
    if (s === undefined) throw new RangeError(`CharTokenizer.idToken: id is ${id}; expected an integer in [0, ${this.vocabSize})`);
    return s;
  }

  tokenId(token: string): number | undefined {
    return this.ids.get(token) ?? this.specials.id(token);
  }

  save(dir: string): void {
    const unk = this.specials.tokens[0];
    const model = bpeModelJson([...this.chars, unk], [], unk);
    writeNativeTokenizer(dir, 'char', model, { preTokenizer: null, decoder: { type: 'Fuse' } }, this.specials, unk);
  }

  static fromFiles(json: unknown, config: NativeConfig, source: string): CharTokenizer {
    const file = parseBpeFile(json, source);
    const [unk, ...rest] = config.alignkit.specials;
    if (unk === undefined || file.vocab[file.vocab.length - 1] !== unk || file.unkToken !== unk || file.merges.length > 0) {
      throw new Error(`tokenizer: ${source} is marked kind "char" but its model is not characters + ${JSON.stringify(unk)} without merges`);
    }
    const tok = new CharTokenizer(file.vocab.slice(0, -1), { ...specialOptions(config), specials: rest, unk });
    checkAddedTokens(file.added, tok.specials, source);
    return tok;
  }
}

function isLoneSurrogate(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return cp >= 0xd800 && cp <= 0xdfff;
}
