// A tokenizer as llama.cpp reads it from GGUF (the tokenizer.ggml.* keys of gguf-py's constants):
// the vocabulary by id, token types, BPE merges, special ids, whether a BOS is added, the
// pre-tokenizer by llama.cpp's name for it, and the chat template. Read from the tokenizer.json
// every alignkit tokenizer saves, so HF, byte-level BPE, byte and char tokenizers take one path.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GgufValue } from '../../io/gguf.js';
import { BUILTIN_CHAT_TEMPLATE, BYTE_TO_CHAR, type Tokenizer } from '../../tokenizer/index.js';
import { ExportError } from './gguf-model.js';

type Json = Record<string, unknown>;

// The pre-tokenizer regexes of the families llama.cpp names (its llama-vocab.cpp pre types);
// transformers' tokenizer.json spells them as Split patterns before a ByteLevel without regex.
const SPLIT_PRE: Record<string, string> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'llama-bpe',
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'qwen2',
};

/** llama.cpp's name for a tokenizer.json pre_tokenizer, or an error naming what it is. */
export function preTokenizerName(pre: unknown): string {
  const p = (pre ?? null) as Json | null;
  if (p === null) return 'default'; // char tokenizers: no merges, so splitting changes nothing
  const list = p.type === 'Sequence' ? (p.pretokenizers as Json[]) : [p];
  const last = list.at(-1);
  if (last?.type === 'ByteLevel') {
    if (list.length === 1 && last.use_regex !== false) return 'gpt-2';
    const first = list[0]!;
    if (list.length === 2 && first.type === 'Digits' && first.individual_digits === true && last.use_regex !== false) return 'smollm';
    const regex = ((first.pattern ?? {}) as Json).Regex;
    if (list.length === 2 && first.type === 'Split' && typeof regex === 'string' && SPLIT_PRE[regex] && last.use_regex === false) return SPLIT_PRE[regex]!;
  }
  throw new ExportError(`tokenizer.json pre_tokenizer ${JSON.stringify(pre).slice(0, 300)} has no llama.cpp pre-tokenizer name alignkit knows (gpt-2, smollm, qwen2, llama-bpe)`);
}

// Characters as byte-level BPE spells them (GPT-2's byte → printable character map).
const byteLevel = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => BYTE_TO_CHAR[b]).join('');

interface TokenizerFiles { json: Json; config: Json }

function savedFiles(tok: Tokenizer): TokenizerFiles {
  const dir = mkdtempSync(join(tmpdir(), 'alignkit-gguf-tok-'));
  try {
    tok.save(dir);
    const read = (f: string): Json => { try { return JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json; } catch { return {}; } };
    return { json: read('tokenizer.json'), config: read('tokenizer_config.json') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether encoding adds a BOS: tokenizer_config's add_bos_token, else the post-processor's template. */
function addsBos(f: TokenizerFiles): boolean {
  if (typeof f.config.add_bos_token === 'boolean') return f.config.add_bos_token;
  const post = f.json.post_processor as Json | null | undefined;
  const list = post?.type === 'Sequence' ? (post.processors as Json[]) : post ? [post] : [];
  const tp = list.find((x) => x.type === 'TemplateProcessing');
  const first = (tp?.single as Json[] | undefined)?.[0];
  return first !== undefined && 'SpecialToken' in first;
}

/** The tokenizer.ggml.* metadata for `tok`, its vocabulary padded to the model's `vocabSize`. */
export function ggufTokenizer(tok: Tokenizer, vocabSize: number): Map<string, GgufValue> {
  const f = savedFiles(tok), model = (f.json.model ?? {}) as Json;
  // GPT-2's old tokenizer.json has no model type; its vocab and merges say BPE.
  const type = model.type ?? (model.vocab && model.merges ? 'BPE' : undefined);
  if (type !== 'BPE') throw new ExportError(`tokenizer.json model type ${JSON.stringify(model.type)}: only BPE tokenizers are exported to GGUF`);
  const decoder = (f.json.decoder ?? {}) as Json;
  const byteLevelVocab = JSON.stringify(f.json.pre_tokenizer ?? null).includes('"ByteLevel"') || decoder.type === 'ByteLevel';
  if (!byteLevelVocab && model.byte_fallback === true) return sentencePieceStyle(tok, f, model, vocabSize);
  if (!byteLevelVocab && decoder.type !== 'Fuse') {
    throw new ExportError(`tokenizer.json decoder ${JSON.stringify(decoder.type)} without byte_fallback: only byte-level BPE tokenizers (GPT-2, Llama 3, Qwen, SmolLM2, alignkit's own) and SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral) are exported to GGUF`);
  }
  const pre = preTokenizerName(f.json.pre_tokenizer);
  const tokens = Array<string | undefined>(vocabSize), types = new Int32Array(vocabSize).fill(5); // 5: unused
  for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) {
    if (id >= vocabSize) throw new ExportError(`tokenizer id ${id} (${JSON.stringify(t)}) is past the model's vocabulary of ${vocabSize}`);
    tokens[id] = byteLevelVocab ? t : byteLevel(t);
    types[id] = 1; // normal
  }
  for (const a of (f.json.added_tokens ?? []) as Json[]) {
    const id = a.id as number;
    if (id >= vocabSize) throw new ExportError(`tokenizer added token ${id} is past the model's vocabulary of ${vocabSize}`);
    tokens[id] = a.content as string;
    types[id] = a.special === true ? 3 : 4; // control, user-defined
  }
  const merges = ((model.merges ?? []) as (string | string[])[]).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const meta = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: pre }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: Array.from(tokens, (t, i) => t ?? `[PAD${i}]`) }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: merges }],
  ]);
  specialsAndTemplate(meta, tok, f, model);
  return meta;
}

/** The special ids, BOS/EOS flags and chat template both tokenizer kinds carry. */
function specialsAndTemplate(meta: Map<string, GgufValue>, tok: Tokenizer, f: TokenizerFiles, model: Json): void {
  const id = (k: string, v: number | null): void => { if (v !== null) meta.set(`tokenizer.ggml.${k}`, { type: 'u32', value: v }); };
  id('bos_token_id', tok.bos);
  id('eos_token_id', tok.eos);
  id('padding_token_id', tok.pad);
  if (typeof model.unk_token === 'string') id('unknown_token_id', tok.tokenId(model.unk_token) ?? null);
  meta.set('tokenizer.ggml.add_bos_token', { type: 'bool', value: addsBos(f) });
  meta.set('tokenizer.ggml.add_eos_token', { type: 'bool', value: false });
  // alignkit renders chats without a template in its built-in format; llama.cpp gets that format too.
  meta.set('tokenizer.chat_template', { type: 'string', value: tok.chatTemplate ?? BUILTIN_CHAT_TEMPLATE });
}

/**
 * A SentencePiece-style BPE (▁ for spaces, <0xXX> byte-fallback pieces: Llama 2, TinyLlama,
 * Mistral) as llama.cpp's "llama" tokenizer: pieces as they are, typed (normal, unknown, control,
 * byte), and scored so that its merge loop — the adjacent pair with the highest-scoring
 * concatenation first — follows tokenizer.json's merges: a piece scores minus the rank of the first
 * merge that makes it; pieces no merge makes score below every merge.
 */
function sentencePieceStyle(tok: Tokenizer, f: TokenizerFiles, model: Json, vocabSize: number): Map<string, GgufValue> {
  const vocab = model.vocab as Record<string, number>;
  const tokens = Array<string | undefined>(vocabSize), types = new Int32Array(vocabSize).fill(5); // 5: unused
  const scores = new Float32Array(vocabSize).fill(-1e9);
  for (const [t, id] of Object.entries(vocab)) {
    if (id >= vocabSize) throw new ExportError(`tokenizer id ${id} (${JSON.stringify(t)}) is past the model's vocabulary of ${vocabSize}`);
    tokens[id] = t;
    types[id] = /^<0x[0-9A-F]{2}>$/.test(t) ? 6 : 1; // byte, normal
    if ([...t].length === 1) scores[id] = 0;
  }
  ((model.merges ?? []) as (string | string[])[]).forEach((m, rank) => {
    const [a, b] = Array.isArray(m) ? m : m.split(' ');
    const id = vocab[`${a}${b}`];
    if (id !== undefined && scores[id] === -1e9) scores[id] = -rank;
  });
  for (const a of (f.json.added_tokens ?? []) as Json[]) {
    const id = a.id as number;
    if (id >= vocabSize) throw new ExportError(`tokenizer added token ${id} is past the model's vocabulary of ${vocabSize}`);
    tokens[id] = a.content as string;
    types[id] = a.content === model.unk_token ? 2 : a.special === true ? 3 : 4; // unknown, control, user-defined
  }
  const norm = JSON.stringify(f.json.normalizer ?? null), pre = (f.json.pre_tokenizer ?? null) as Json | null;
  // A leading ▁ before the first word: the normalizer's Prepend, or a Metaspace pre-tokenizer that prepends.
  const spacePrefix = norm.includes('"Prepend"') || (pre?.type === 'Metaspace' && pre.prepend_scheme !== 'never' && pre.add_prefix_space !== false);
  const meta = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: Array.from(tokens, (t, i) => t ?? `[PAD${i}]`) }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: spacePrefix }],
  ]);
  specialsAndTemplate(meta, tok, f, model);
  return meta;
}
