// A tokenizer named on the command line (`--tokenizer`): built fresh by kind, learned from the
// training text, or loaded from a directory. It lives here rather than beside the text sources
// because the tokenizer layer cannot import data; the text comes in as a function, so a byte
// tokenizer never reads it.
import { existsSync } from 'node:fs';
import { trainBpe } from './bpe/train.js';
import { ByteTokenizer } from './byte.js';
import { CharTokenizer } from './char.js';
import { loadTokenizer } from './load.js';
import type { Tokenizer } from './types.js';

/** What `makeTokenizer` accepts, in words for errors and --help. */
export const TOKENIZER_SPEC_WORDS = 'byte, char, bpe:<vocab size> or a directory with tokenizer.json';

/** 'byte' | 'char' | 'bpe:<vocab size>' | a tokenizer directory; `trainText` is read only by char and bpe. */
export function makeTokenizer(spec: string, trainText: () => string): Tokenizer {
  if (spec === 'byte') return new ByteTokenizer();
  if (spec === 'char') return CharTokenizer.fromCorpus(trainText());
  const m = /^bpe:(\d+)$/.exec(spec);
  if (m) return trainBpe(trainText(), { vocabSize: Number(m[1]) });
  if (existsSync(spec)) return loadTokenizer(spec);
  throw new Error(`--tokenizer ${spec}: expected ${TOKENIZER_SPEC_WORDS}`);
}
