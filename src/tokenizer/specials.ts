// Special tokens (BOS, EOS, PAD and any others) shared by the native tokenizers. They sit right
// after the base vocabulary, in list order, because that is the id Hugging Face's AddedVocabulary
// gives a token that is not in the model vocabulary; any other layout reloads with shifted ids.

export const DEFAULT_BOS = '<|bos|>';
export const DEFAULT_EOS = '<|eos|>';
export const DEFAULT_PAD = '<|pad|>';
export const DEFAULT_SPECIALS: readonly string[] = [DEFAULT_BOS, DEFAULT_EOS, DEFAULT_PAD];

export interface SpecialTokenOptions {
  /** Special-token strings in id order. Default `<|bos|>`, `<|eos|>`, `<|pad|>`. */
  specials?: readonly string[];
  /** Which special is BOS; null for none. Default `<|bos|>` when it is in the list. */
  bos?: string | null;
  eos?: string | null;
  pad?: string | null;
}

/** A piece of text between specials, or the id of a special. */
export type Segment = string | number;

export class SpecialTokens {
  readonly tokens: readonly string[];
  readonly bos: number | null;
  readonly eos: number | null;
  readonly pad: number | null;
  private readonly ids = new Map<string, number>();
  private readonly pattern: RegExp | null;

  constructor(readonly offset: number, opts: SpecialTokenOptions, owner: string) {
    this.tokens = [...(opts.specials ?? DEFAULT_SPECIALS)];
    this.tokens.forEach((t, i) => {
      if (typeof t !== 'string' || t.length === 0) {
        throw new TypeError(`${owner}: specials[${i}] is ${JSON.stringify(t)}; expected a non-empty string`);
      }
      if (this.ids.has(t)) throw new Error(`${owner}: special token ${JSON.stringify(t)} is listed twice`);
      this.ids.set(t, offset + i);
    });
    this.bos = this.resolve('bos', opts.bos, DEFAULT_BOS, owner);
    this.eos = this.resolve('eos', opts.eos, DEFAULT_EOS, owner);
    this.pad = this.resolve('pad', opts.pad, DEFAULT_PAD, owner);
    // Longest first, so that at one position the longest special wins, as in HF's trie splitter.
    const alts = [...this.tokens].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern = alts.length ? new RegExp(alts.join('|'), 'g') : null;
  }

  private resolve(role: string, name: string | null | undefined, fallback: string, owner: string): number | null {
    if (name === null) return null;
    if (name === undefined) return this.ids.get(fallback) ?? null;
    const id = this.ids.get(name);
    if (id === undefined) {
      throw new Error(`${owner}: ${role} is ${JSON.stringify(name)}; expected one of the specials ${JSON.stringify(this.tokens)}`);
    }
    return id;
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  token(id: number): string | undefined {
    return this.has(id) ? this.tokens[id - this.offset] : undefined;
  }

  has(id: number): boolean {
    return id >= this.offset && id < this.offset + this.tokens.length;
  }

  tokenOrNull(id: number | null): string | null {
    return id === null ? null : this.tokens[id - this.offset];
  }

  /** Leftmost-longest split of text on special strings; plain text stays text. */
  split(text: string, parseSpecial = true): Segment[] {
    if (!parseSpecial || this.pattern === null) return text.length ? [text] : [];
    const out: Segment[] = [];
    let last = 0;
    for (const m of text.matchAll(this.pattern)) {
      if (m.index > last) out.push(text.slice(last, m.index));
      out.push(this.ids.get(m[0])!);
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  /** Wraps ids with BOS/EOS on request, and says clearly when the tokenizer has none. */
  wrap(ids: number[], addBos: boolean | undefined, addEos: boolean | undefined, owner: string): number[] {
    if (addBos) {
      if (this.bos === null) throw new Error(`${owner}.encode: addBos is true but this tokenizer has no BOS token`);
      ids.unshift(this.bos);
    }
    if (addEos) {
      if (this.eos === null) throw new Error(`${owner}.encode: addEos is true but this tokenizer has no EOS token`);
      ids.push(this.eos);
    }
    return ids;
  }

  /** Enough to rebuild this object from a saved tokenizer. */
  options(): Required<SpecialTokenOptions> {
    return { specials: this.tokens, bos: this.tokenOrNull(this.bos), eos: this.tokenOrNull(this.eos), pad: this.tokenOrNull(this.pad) };
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
