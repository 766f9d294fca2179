// `alignkit train-tokenizer` as one library call: a byte-level BPE (or a char or byte tokenizer)
// learned from the training half of a corpus or dataset file and saved as tokenizer.json
// (+ tokenizer_config.json) in a directory that `alignkit sft --tokenizer <dir>` reads.
import { mkdirSync } from 'node:fs';
import { choice, declareConfig, int, text, type ConfigOf, type Overrides } from '../config/index.js';
import { makeTokenizer } from '../tokenizer/from-spec.js';
import { DEFAULT_SPECIALS } from '../tokenizer/index.js';
import { checkTextSource, readSource, sourceText, textSourceOptions } from './text-source.js';

export const tokenizerJobOptions = declareConfig('train-tokenizer', {
  ...textSourceOptions({ corpus: 'built-in corpus to learn from', data: 'dataset file to learn from (its training split)' }),
  kind: choice(['bpe', 'char', 'byte'], 'bpe', 'bpe (byte-level, as GPT-2), char (the characters of the text) or byte'),
  /** Only bpe learns merges up to a size; char and byte take their size from the text and from 256. At least the 256 bytes and the specials. */
  vocabSize: int(1024, 'BPE vocabulary size (256 bytes + merges + specials)', { min: 256 + DEFAULT_SPECIALS.length, aliases: ['vocab_size'] }),
  out: text('runs/tokenizer', 'directory to write tokenizer.json into', { aliases: ['output_dir'] }),
}, (c) => checkTextSource('train-tokenizer', c));

export type TokenizerJobOptions = ConfigOf<typeof tokenizerJobOptions>;

export interface TokenizerJobResult {
  out: string;
  kind: string;
  vocabSize: number;
  /** UTF-8 bytes per token on the first 20 kB of the training text: how much the tokenizer compresses. */
  bytesPerToken: number;
  seconds: number;
}

export async function runTokenizerJob(options: Overrides<typeof tokenizerJobOptions.options>): Promise<TokenizerJobResult> {
  const o = tokenizerJobOptions.resolve(options);
  const text = sourceText(await readSource(o.corpus, o.data, 0));
  const t0 = performance.now();
  const tok = makeTokenizer(o.kind === 'bpe' ? `bpe:${o.vocabSize}` : o.kind, () => text);
  mkdirSync(o.out, { recursive: true });
  tok.save(o.out);
  const sample = text.slice(0, 20000);
  const bytesPerToken = Buffer.byteLength(sample) / tok.encode(sample, { parseSpecial: false }).length;
  return { out: o.out, kind: o.kind, vocabSize: tok.vocabSize, bytesPerToken, seconds: (performance.now() - t0) / 1000 };
}
