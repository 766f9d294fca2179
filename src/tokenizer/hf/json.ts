// The Hugging Face tokenizer.json format as the native tokenizers write and read it.
//
// Why the "written by alignkit" mark lives in tokenizer_config.json and not in tokenizer.json: the
// Rust `tokenizers` crate (which Python `transformers` uses) reads tokenizer.json with a serde
// visitor whose catch-all arm skips unknown keys without consuming their values, so serde_json
// fails on the next key ("expected `,` or `}`"). tokenizer_config.json is a kwargs bag that both
// transformers and @huggingface/tokenizers pass through untouched.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { atomicWriteFile } from '../../io/atomic-write.js';
import type { SpecialTokenOptions, SpecialTokens } from '../specials.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const CONFIG_FILE = 'tokenizer_config.json';
/** Bumped when the native layout changes, so old files are refused instead of misread. */
export const NATIVE_FORMAT = 1;
export type NativeKind = 'byte' | 'char' | 'bpe';

export const BYTE_LEVEL_PRE_TOKENIZER = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
export const BYTE_LEVEL_DECODER = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };

/** The model block of a BPE tokenizer.json; ignore_merges false keeps encoding a pure function of merges. */
export function bpeModelJson(vocab: readonly string[], merges: readonly string[], unkToken: string | null) {
  // A null-prototype object, so a token spelled "__proto__" becomes a key and not a prototype.
  const v: Record<string, number> = Object.create(null);
  vocab.forEach((t, id) => (v[t] = id));
  return {
    type: 'BPE', dropout: null, unk_token: unkToken, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: v, merges,
  };
}

export function addedTokensJson(specials: SpecialTokens) {
  return specials.tokens.map((content, i) => ({
    id: specials.offset + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
}

/** Writes both files atomically; a reader never sees a half-written tokenizer. */
export function writeNativeTokenizer(
  dir: string, kind: NativeKind, model: object, parts: { preTokenizer: object | null; decoder: object }, specials: SpecialTokens,
  unkToken: string | null = null,
): void {
  const tokenizer = {
    version: '1.0', truncation: null, padding: null, added_tokens: addedTokensJson(specials),
    normalizer: null, pre_tokenizer: parts.preTokenizer, post_processor: null, decoder: parts.decoder, model,
  };
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    // Our decode is exact; HF's default clean-up would rewrite " ." into ".".
    clean_up_tokenization_spaces: false,
    alignkit: { kind, format: NATIVE_FORMAT, specials: specials.tokens },
  };
  const names = { bos_token: specials.bos, eos_token: specials.eos, pad_token: specials.pad };
  for (const [key, id] of Object.entries(names)) if (id !== null) config[key] = specials.tokenOrNull(id);
  if (unkToken !== null) config.unk_token = unkToken;
  atomicWriteFile(join(dir, TOKENIZER_FILE), JSON.stringify(tokenizer, null, 2) + '\n');
  atomicWriteFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

export function readJsonFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new Error(`tokenizer: ${what} not found at ${path}`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`tokenizer: ${path} is not valid JSON (${(err as Error).message})`);
  }
}

const addedToken = z.object({ id: z.number().int().nonnegative(), content: z.string(), special: z.boolean().optional() });
const bpeFile = z.object({
  added_tokens: z.array(addedToken).default([]),
  model: z.object({
    type: z.literal('BPE').optional(),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    // Old format "a b" or new format ["a", "b"]; byte-level tokens never contain a space.
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
    unk_token: z.string().nullable().optional(),
  }),
});
const nativeConfig = z.object({
  bos_token: z.string().nullable().optional(),
  eos_token: z.string().nullable().optional(),
  pad_token: z.string().nullable().optional(),
  alignkit: z.object({ kind: z.enum(['byte', 'char', 'bpe']), format: z.number(), specials: z.array(z.string()) }),
});
export type NativeConfig = z.infer<typeof nativeConfig>;

export interface ParsedBpeFile {
  /** Model vocabulary by id (added tokens excluded unless the model lists them). */
  vocab: string[];
  merges: [string, string][];
  added: { id: number; content: string }[];
  unkToken: string | null;
}

/** Reads the parts of a BPE tokenizer.json the native tokenizers need, naming the file on error. */
export function parseBpeFile(json: unknown, source: string): ParsedBpeFile {
  const r = bpeFile.safeParse(json);
  if (!r.success) throw new Error(`tokenizer: ${source} is not a BPE tokenizer.json: ${formatIssues(r.error)}`);
  const vocab: string[] = [];
  for (const [token, id] of Object.entries(r.data.model.vocab)) {
    if (vocab[id] !== undefined) throw new Error(`tokenizer: ${source} gives id ${id} to both ${JSON.stringify(vocab[id])} and ${JSON.stringify(token)}`);
    vocab[id] = token;
  }
  for (let id = 0; id < vocab.length; id++) {
    if (vocab[id] === undefined) throw new Error(`tokenizer: ${source} model vocab has no token with id ${id}; expected ids 0..${vocab.length - 1}`);
  }
  const merges = r.data.model.merges.map((m, i): [string, string] => {
    if (Array.isArray(m)) return m;
    const parts = m.split(' ');
    if (parts.length !== 2) throw new Error(`tokenizer: ${source} merges[${i}] is ${JSON.stringify(m)}; expected "left right"`);
    return [parts[0], parts[1]];
  });
  return { vocab, merges, added: r.data.added_tokens, unkToken: r.data.model.unk_token ?? null };
}

export function parseNativeConfig(json: unknown, source: string): NativeConfig {
  const r = nativeConfig.safeParse(json);
  if (!r.success) throw new Error(`tokenizer: ${source} is not an alignkit tokenizer config: ${formatIssues(r.error)}`);
  if (r.data.alignkit.format !== NATIVE_FORMAT) {
    throw new Error(`tokenizer: ${source} has alignkit format ${r.data.alignkit.format}; this version reads format ${NATIVE_FORMAT}`);
  }
  return r.data;
}

/** A native config names its specials by string; absent means "none", never a default. */
export function specialOptions(cfg: NativeConfig): SpecialTokenOptions {
  return { specials: cfg.alignkit.specials, bos: cfg.bos_token ?? null, eos: cfg.eos_token ?? null, pad: cfg.pad_token ?? null };
}

/** The added tokens of a native file must be exactly our specials, contiguous after the base vocab. */
export function checkAddedTokens(added: ParsedBpeFile['added'], specials: SpecialTokens, source: string): void {
  const want = specials.tokens.map((content, i) => `${specials.offset + i}:${content}`).join(', ');
  const got = [...added].sort((a, b) => a.id - b.id).map((t) => `${t.id}:${t.content}`).join(', ');
  if (want !== got) throw new Error(`tokenizer: ${source} added_tokens are [${got}]; expected [${want}]`);
}

function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
