// The one interface every tokenizer implements (byte, char, byte-level BPE, Hugging Face wrapper),
// so that data, model and trainers never care which one they were given.

export interface EncodeOptions {
  /** Prepend BOS. Off by default: specials are added on purpose, never silently. */
  addBos?: boolean;
  /** Append EOS, which is where a sample ends (see truncateAtEos). */
  addEos?: boolean;
  /**
   * Turn special-token strings found in the text (e.g. `<|eos|>`) into their ids. On by default,
   * because that is what Hugging Face does and rendered chat templates rely on it; turn it off
   * for untrusted text that must not be able to inject control tokens.
   */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop BOS/EOS/PAD and the other specials instead of rendering their strings. */
  skipSpecial?: boolean;
}

export interface Tokenizer {
  /** 'byte' | 'char' | 'bpe' | 'hf'. */
  readonly kind: string;
  /** One past the largest id, i.e. the number of rows an embedding table needs. */
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly pad: number | null;
  /** Strings that encode to one special (control) token when parseSpecial is on. */
  readonly specialTokens: readonly string[];
  /** The Jinja chat template the tokenizer's files carry; absent or null for none (tokenizer/chat/render.ts then uses the built-in format). */
  readonly chatTemplate?: string | null;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /** Exact bytes, for ids that need not end on a UTF-8 boundary (byte-level tokenizers only). */
  decodeBytes?(ids: readonly number[], opts?: DecodeOptions): Uint8Array;
  /** The vocabulary string of an id, as Hugging Face's id_to_token spells it (byte-level: 'Ġthe'). */
  idToken(id: number): string;
  tokenId(token: string): number | undefined;
  /** Writes a Hugging Face compatible tokenizer.json (and tokenizer_config.json) into dir. */
  save(dir: string): void;
}

/**
 * A sample ends at its first EOS: whatever a policy emits after it is not part of the answer and
 * must not be scored or trained on. The EOS itself is kept by default because the reward and the
 * log-probability of stopping are attached to it.
 */
export function truncateAtEos(
  ids: readonly number[],
  eos: number | null,
  opts: { keepEos?: boolean } = {},
): number[] {
  if (eos === null) return ids.slice();
  const at = ids.indexOf(eos);
  if (at < 0) return ids.slice();
  return ids.slice(0, (opts.keepEos ?? true) ? at + 1 : at);
}

export function checkIds(ids: readonly number[], vocabSize: number, owner: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`${owner}.decode: ids[${i}] is ${id}; expected an integer in [0, ${vocabSize})`);
    }
  }
}
