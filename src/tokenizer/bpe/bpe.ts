// GPT-2 style byte-level BPE (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with
// Subword Units"; Radford et al. 2019, GPT-2). Ids 0..255 are the raw bytes, each merge then adds
// the token spelled by its two parts (unless an earlier merge already spelled it), specials last.
//
// Encoding applies, inside each pre-token, the lowest-rank merge at the leftmost position first,
// one occurrence at a time: the order of Hugging Face's BPE (Rust Word::merge_all and the JS port),
// so both produce the same ids from the same tokenizer.json.
import {
  BYTE_TO_CHAR, byteLevelToBytes, decodeByteRuns, decodeToBytes, preTokenize, utf8Encoder,
} from './byte-level.js';
import { Heap } from './heap.js';
import {
  BYTE_LEVEL_DECODER, BYTE_LEVEL_PRE_TOKENIZER, bpeModelJson, checkAddedTokens, parseBpeFile, specialOptions,
  writeNativeTokenizer, type NativeConfig,
} from '../hf/json.js';
import { SpecialTokens, type SpecialTokenOptions } from '../specials.js';
import { checkIds, type DecodeOptions, type EncodeOptions, type Tokenizer } from '../types.js';

/** Pairs are packed as a * PAIR_BASE + b: exact in a double while ids stay below 2^22. */
export const PAIR_BASE = 1 << 22;
export type Merge = readonly [number, number];

// Pre-tokens this long are rare and not worth keeping (the HF JS port uses the same bound).
const CACHE_MAX_PIECE = 256;
const CACHE_MAX_ENTRIES = 100_000;

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe';
  readonly merges: readonly Merge[];
  readonly specials: SpecialTokens;
  private readonly tokens: string[] = [...BYTE_TO_CHAR];
  private readonly bytes: Uint8Array[] = BYTE_TO_CHAR.map((_, b) => Uint8Array.of(b));
  private readonly ids = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));
  private readonly ranks = new Map<number, number>();
  private readonly mergeIds: Int32Array;
  private readonly cache = new Map<string, readonly number[]>();

  /** Rebuilds the vocabulary by replaying merges, exactly as training assigned ids. */
  constructor(merges: readonly Merge[], opts: SpecialTokenOptions = {}) {
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.mergeIds = new Int32Array(merges.length);
    merges.forEach(([a, b], rank) => {
      const n = this.tokens.length;
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= n || b >= n) {
        throw new RangeError(`BpeTokenizer: merges[${rank}] is [${a}, ${b}]; expected ids of existing tokens in [0, ${n})`);
      }
      const key = a * PAIR_BASE + b;
      if (this.ranks.has(key)) throw new Error(`BpeTokenizer: merges[${rank}] repeats the pair [${a}, ${b}]`);
      const spelled = this.tokens[a] + this.tokens[b];
      let id = this.ids.get(spelled);
      if (id === undefined) {
        id = n;
        this.tokens.push(spelled);
        this.bytes.push(byteLevelToBytes(spelled)!);
        this.ids.set(spelled, id);
      }
      this.ranks.set(key, rank);
      this.mergeIds[rank] = id;
    });
    if (this.tokens.length >= PAIR_BASE) throw new RangeError(`BpeTokenizer: ${this.tokens.length} tokens; at most ${PAIR_BASE - 1} fit the pair packing`);
    this.specials = new SpecialTokens(this.tokens.length, opts, 'BpeTokenizer');
  }

  get vocabSize(): number {
    return this.tokens.length + this.specials.size;
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
      else for (const piece of preTokenize(seg)) for (const id of this.encodePiece(piece)) ids.push(id);
    }
    return this.specials.wrap(ids, opts.addBos, opts.addEos, 'BpeTokenizer');
  }

  private encodePiece(piece: string): readonly number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    const ids = this.applyMerges(Array.from(utf8Encoder.encode(piece)));
    if (piece.length < CACHE_MAX_PIECE) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(piece, ids);
    }
    return ids;
  }

  /** Lowest rank first, then leftmost; a heap keeps long pre-tokens O(n log n). */
  private applyMerges(word: number[]): number[] {
    const n = word.length;
    if (n < 2) return word;
    const tok = Int32Array.from(word);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Entries are rank * PAIR_BASE + position, so numeric order is (rank, position).
    const heap = new Heap<number>((x, y) => x < y);
    const offer = (i: number) => {
      const r = this.ranks.get(tok[i] * PAIR_BASE + tok[next[i]]);
      if (r !== undefined) heap.push(r * PAIR_BASE + i);
    };
    for (let i = 0; i + 1 < n; i++) offer(i);
    while (heap.size > 0) {
      const e = heap.pop()!;
      const rank = Math.floor(e / PAIR_BASE);
      const i = e - rank * PAIR_BASE;
      const j = next[i];
      if (tok[i] < 0 || j < 0 || this.ranks.get(tok[i] * PAIR_BASE + tok[j]) !== rank) continue;
      tok[i] = this.mergeIds[rank];
      tok[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) offer(prev[i]);
      if (next[i] >= 0) offer(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(tok[i]);
    return out;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    checkIds(ids, this.vocabSize, 'BpeTokenizer');
    return decodeByteRuns(ids, (id) => this.bytes[id], (id) => this.specials.token(id), opts.skipSpecial ?? false);
  }

  decodeBytes(ids: readonly number[], opts: DecodeOptions = {}): Uint8Array {
    checkIds(ids, this.vocabSize, 'BpeTokenizer');
    return decodeToBytes(ids, (id) => this.bytes[id], (id) => this.specials.token(id), opts.skipSpecial ?? false);
  }

  idToken(id: number): string {
    const s = Number.isInteger(id) && id >= 0 && id < this.tokens.length ? this.tokens[id] : this.specials.token(id);
    if (s === undefined) throw new RangeError(`BpeTokenizer.idToken: id is ${id}; expected an integer in [0, ${this.vocabSize})`);
    return s;
  }

  tokenId(token: string): number | undefined {
    return this.ids.get(token) ?? this.specials.id(token);
  }

  save(dir: string): void {
    const merges = this.merges.map(([a, b]) => `${this.tokens[a]} ${this.tokens[b]}`);
    const model = bpeModelJson(this.tokens, merges, null);
    writeNativeTokenizer(dir, 'bpe', model, { preTokenizer: BYTE_LEVEL_PRE_TOKENIZER, decoder: BYTE_LEVEL_DECODER }, this.specials);
  }

  static fromFiles(json: unknown, config: NativeConfig, source: string): BpeTokenizer {
    const file = parseBpeFile(json, source);
    const known = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));
    const merges = file.merges.map(([l, r], i): Merge => {
      const a = known.get(l);
      const b = known.get(r);
      if (a === undefined || b === undefined) {
        throw new Error(`tokenizer: ${source} merges[${i}] "${l} ${r}" uses a token that no earlier merge made`);
      }
      if (!known.has(l + r)) known.set(l + r, known.size);
      return [a, b];
    });
    const tok = new BpeTokenizer(merges, specialOptions(config));
    const same = file.vocab.length === tok.tokens.length && file.vocab.every((t, id) => t === tok.tokens[id]);
    if (!same) throw new Error(`tokenizer: ${source} is marked kind "bpe" but its vocab is not the one its merges build`);
    checkAddedTokens(file.added, tok.specials, source);
    return tok;
  }
}
