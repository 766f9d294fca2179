// A tokenizer.json built from a repository's vocab.json + merges.txt (Qwen2.5-0.5B-Instruct is
// published that way). The two files hold the vocabulary and the merges but not the pipeline
// around them; transformers picks that by tokenizer_config.json's tokenizer_class. The pipelines
// below are what transformers 5 builds for each class (tokenization_gpt2.py, tokenization_qwen2.py;
// dumped from `AutoTokenizer.from_pretrained(dir).backend_tokenizer` and checked id for id by
// test/golden/tokenizers.golden.test.ts), and the added tokens come from added_tokens_decoder.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from './json.js';

export const VOCAB_FILE = 'vocab.json';
export const MERGES_FILE = 'merges.txt';

type Json = Record<string, unknown>;

// Qwen2's pre-tokenizer: GPT-4's pattern with single digits (tokenization_qwen2.py PRETOKENIZE_REGEX).
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const BYTE_LEVEL_DECODER = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };

const PIPELINES: Record<string, (config: Json) => { normalizer: object | null; pre_tokenizer: object }> = {
  GPT2Tokenizer: (c) => ({
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: c.add_prefix_space === true, trim_offsets: true, use_regex: true },
  }),
  Qwen2Tokenizer: () => ({
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
  }),
};

/** The classes whose vocab.json + merges.txt can be read, in words for errors. */
export const SLOW_CLASSES = Object.keys(PIPELINES);

export function hasSlowFiles(dir: string): boolean {
  return existsSync(join(dir, VOCAB_FILE)) && existsSync(join(dir, MERGES_FILE));
}

/** merges.txt: an optional "#version" line, then "left right" per line. */
export function parseMerges(text: string, path: string): string[] {
  const merges: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    if (line.split(' ').length !== 2) throw new Error(`tokenizer: ${path}:${i + 1} is ${JSON.stringify(line)}; expected "left right"`);
    merges.push(line);
  });
  return merges;
}

/** added_tokens_decoder {"id": {content, special, ...}} as tokenizer.json's added_tokens. */
function addedTokens(config: Json, path: string): object[] {
  const decoder = config.added_tokens_decoder;
  if (decoder === undefined) return [];
  if (typeof decoder !== 'object' || decoder === null || Array.isArray(decoder)) throw new Error(`tokenizer: ${path} field "added_tokens_decoder" is not an object of id → token`);
  return Object.entries(decoder as Record<string, Json>).map(([id, t]) => {
    if (!/^\d+$/.test(id) || typeof t?.content !== 'string') throw new Error(`tokenizer: ${path} added_tokens_decoder["${id}"]: expected an integer id and {content: string, ...}`);
    const flag = (k: string, d: boolean) => (typeof t[k] === 'boolean' ? t[k] : d);
    const special = flag('special', false);
    return {
      id: Number(id), content: t.content, single_word: flag('single_word', false), lstrip: flag('lstrip', false),
      rstrip: flag('rstrip', false), normalized: flag('normalized', !special), special,
    };
  }).sort((a, b) => a.id - b.id);
}

/** tokenizer.json's content for dir's vocab.json + merges.txt, as transformers builds it for config.tokenizer_class. */
export function tokenizerJsonFromSlowFiles(dir: string, config: Json, configPath: string): Json {
  const cls = String(config.tokenizer_class ?? 'GPT2Tokenizer').replace(/Fast$/, '');
  const pipeline = PIPELINES[cls];
  if (!pipeline) {
    throw new Error(`tokenizer: ${dir} has ${VOCAB_FILE} + ${MERGES_FILE} and tokenizer_class "${cls}" (${configPath}); ` +
      `only ${SLOW_CLASSES.join(', ')} are read from those files: give the tokenizer.json that transformers saves`);
  }
  const vocabPath = join(dir, VOCAB_FILE), mergesPath = join(dir, MERGES_FILE);
  const vocab = readJsonFile(vocabPath, VOCAB_FILE);
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) throw new Error(`tokenizer: ${vocabPath} is not an object of token → id`);
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: addedTokens(config, configPath),
    ...pipeline(config), post_processor: null, decoder: BYTE_LEVEL_DECODER,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false,
      byte_fallback: false, ignore_merges: false, vocab, merges: parseMerges(readFileSync(mergesPath, 'utf8'), mergesPath),
    },
  };
}
