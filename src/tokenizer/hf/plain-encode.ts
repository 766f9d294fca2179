// `parseSpecial: false` for Hugging Face tokenizers: special-token strings in untrusted text are
// tokenized as the text they are, so a prompt cannot smuggle in `<|im_end|>` or `<|eot_id|>`.
//
// The reference is Python `tokenizers` with `encode_special_tokens = True` (transformers'
// `split_special_tokens=True`), tokenizers/src/tokenizer/added_vocabulary.rs, find_matches: the
// added-token matcher still scans leftmost-longest over every added token, but a match of a
// special one is skipped (`continue`), so its text stays inside the surrounding piece and is
// pre-tokenized with it (" <|im_end|>" starts with "Ġ<", as plain text would). Non-special added
// tokens keep matching. The rest follows @huggingface/tokenizers' Tokenizer.encode_text section by
// section (it matches Python on the golden corpus, test/golden/tokenizers.golden.test.ts).
import type { Tokenizer as HfCore } from '@huggingface/tokenizers';

interface Added { id: number; content: string; special: boolean; lstrip: boolean; rstrip: boolean }

/**
 * Leftmost-longest split on the added tokens, the matches marked: the added-token trie's rule. A
 * special token's match is stepped over without a cut, as Python does under encode_special_tokens.
 */
function splitOn(text: string, words: ReadonlyMap<string, Added>, longest: number): { text: string; added: Added | null }[] {
  const out: { text: string; added: Added | null }[] = [];
  let start = 0;
  for (let i = 0; i < text.length;) {
    let match: Added | null = null;
    for (let len = Math.min(longest, text.length - i); len > 0 && !match; len--) match = words.get(text.slice(i, i + len)) ?? null;
    if (!match || match.special) {
      i += match ? match.content.length : 1;
      continue;
    }
    if (i > start) out.push({ text: text.slice(start, i), added: null });
    out.push({ text: match.content, added: match });
    i += match.content.length;
    start = i;
  }
  if (start < text.length) out.push({ text: text.slice(start), added: null });
  return out;
}

/** lstrip/rstrip added tokens eat the whitespace beside them. */
function stripAround(pieces: { text: string; added: Added | null }[]): void {
  pieces.forEach((p, i) => {
    if (!p.added) return;
    if (p.added.lstrip && i > 0 && !pieces[i - 1]!.added) pieces[i - 1]!.text = pieces[i - 1]!.text.trimEnd();
    if (p.added.rstrip && i < pieces.length - 1 && !pieces[i + 1]!.added) pieces[i + 1]!.text = pieces[i + 1]!.text.trimStart();
  });
}

export class PlainEncoder {
  private readonly raw = new Map<string, Added>();
  private readonly normalized = new Map<string, Added>();
  private readonly rawLongest: number;
  private readonly normalizedLongest: number;
  /** Every special-token string, to skip the slow path for text that holds none. */
  readonly specials: readonly string[];

  constructor(private readonly core: HfCore) {
    const specials: string[] = [];
    for (const t of core.get_added_tokens_decoder().values()) {
      const a: Added = { id: t.id, content: t.content, special: t.special, lstrip: t.lstrip, rstrip: t.rstrip };
      if (t.special) specials.push(t.content);
      if (t.normalized && core.normalizer !== null) this.normalized.set(core.normalizer(t.content), a);
      else this.raw.set(t.content, a);
    }
    this.specials = specials;
    this.rawLongest = Math.max(0, ...[...this.raw.keys()].map((k) => k.length));
    this.normalizedLongest = Math.max(0, ...[...this.normalized.keys()].map((k) => k.length));
  }

  encode(text: string): number[] {
    if (!this.specials.some((s) => text.includes(s))) return this.core.encode(text, { add_special_tokens: false }).ids;
    const sections = splitOn(text, this.raw, this.rawLongest);
    stripAround(sections);
    // Added tokens come back as ids (a normalized one is keyed by its normalized form), model pieces as strings.
    const pieces = sections.flatMap((section, sectionIndex): (string | number)[] => {
      if (section.text.length === 0) return [];
      if (section.added) return [section.added.id];
      const normal = this.core.normalizer !== null ? this.core.normalizer(section.text) : section.text;
      if (normal.length === 0) return [];
      const subs = splitOn(normal, this.normalized, this.normalizedLongest);
      stripAround(subs);
      return subs.flatMap((sub): (string | number)[] => {
        if (sub.text.length === 0) return [];
        if (sub.added) return [sub.added.id];
        const words = this.core.pre_tokenizer !== null ? this.core.pre_tokenizer(sub.text, { section_index: sectionIndex }) : [sub.text];
        return this.core.model!(words);
      });
    });
    return pieces.map((p) => {
      if (typeof p === 'number') return p;
      const id = this.core.token_to_id(p) ?? this.core.model!.unk_token_id;
      if (id === undefined) throw new Error(`HfTokenizer.encode: token ${JSON.stringify(p)} has no id and the model has no unk_token`);
      return id;
    });
  }
}
