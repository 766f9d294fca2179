// Where the language-model commands (sft, eval, train-tokenizer) get their text: a built-in
// corpus or a dataset file, with a held-out split that is the same on every machine (every 20th
// document of a corpus; 5% of a file's records by a seeded shuffle). Declared here once, as the
// options `corpus` and `data`, so that each command's flags and errors read alike.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError, optionalChoice, optionalText } from '../config/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { holdOutEveryKth, listCorpora, loadCorpus } from './corpora.js';
import { DatasetError, loadDataset } from './datasets/load-dataset.js';
import { splitDataset } from './split-dataset.js';
import { pairIds, packDocuments, renderTurns, streamWindows, truncatePair, type TokenExample, type Truncation } from './lm-examples.js';

export type TextSource =
  | { kind: 'documents'; train: string[]; eval: string[]; name: string }
  | { kind: 'pairs'; train: { prompt: string; completion: string }[]; eval: { prompt: string; completion: string }[]; name: string };

export const CORPUS_NAMES: readonly string[] = listCorpora().map((c) => c.name);

/** The options `corpus` and `data`, with each command's help; give one of the two. */
export function textSourceOptions(help: { corpus: string; data: string }) {
  return {
    corpus: optionalChoice(CORPUS_NAMES, help.corpus),
    data: optionalText(help.data, { excludes: 'corpus' }),
  };
}

/** A declaration's check that exactly one of `corpus` and `data` is given. */
export function checkTextSource(name: string, c: { corpus?: string | undefined; data?: string | undefined }): void {
  if (c.corpus === undefined && c.data === undefined) throw new ConfigError(`${name} config: corpus or data is required (where the text comes from)`, 'corpus');
  if (c.corpus !== undefined && c.data !== undefined) throw new ConfigError(`${name} config: give corpus or data, not both`, 'data');
}

/** Reads --corpus or --data; holds out a deterministic evaluation split. */
export async function readSource(corpus: string | undefined, data: string | undefined, seed: number): Promise<TextSource> {
  if (corpus && data) throw new Error('give either --corpus or --data, not both');
  if (corpus) {
    const c = loadCorpus(corpus);
    // Every 20th chapter/speech is held out, so evaluation spans the whole corpus.
    const split = holdOutEveryKth(c.documents, 20);
    return { kind: 'documents', ...split, name: corpus };
  }
  if (!data) throw new Error('--corpus <name> or --data <file.jsonl> is required');
  if (extname(data).toLowerCase() === '.txt') return readPlainText(data, seed);
  const ds = await loadDataset(data);
  if (ds.format === 'text') {
    const s = splitDataset(ds.records.map((r) => r.text), { evalFraction: 0.05, seed });
    return { kind: 'documents', train: s.train, eval: s.eval, name: data };
  }
  if (ds.format === 'prompt-completion' || ds.format === 'messages') {
    const pairs = ds.format === 'prompt-completion'
      ? ds.records.map((r) => ({ prompt: renderTurns(r.prompt), completion: renderTurns(r.completion) }))
      : ds.records.map((r, i) => {
        const last = r.messages.at(-1);
        if (!last || last.role !== 'assistant') throw new Error(`${data}:${ds.lines[i]}: field "messages": expected the last message to be the assistant's (the completion to learn)`);
        return { prompt: renderTurns(r.messages.slice(0, -1)) + 'assistant: ', completion: last.content };
      });
    const s = splitDataset(pairs, { evalFraction: 0.05, seed });
    return { kind: 'pairs', train: s.train, eval: s.eval, name: data };
  }
  throw new Error(`${data}: format "${ds.format}" is for preference or RL training; sft needs text, prompt/completion or messages`);
}

/**
 * A plain text file: its paragraphs (blocks between blank lines) are the documents, joined with
 * EOS as a corpus's chapters are, and 5% of them held out as for a dataset file.
 */
function readPlainText(file: string, seed: number): TextSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new DatasetError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const docs = text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/).map((d) => d.replace(/^\n+|\n+$/g, '')).filter((d) => d.trim() !== '');
  if (docs.length === 0) throw new DatasetError(file, 'no text (the file is empty or blank)');
  const s = splitDataset(docs, { evalFraction: 0.05, seed });
  return { kind: 'documents', train: s.train, eval: s.eval, name: file };
}

/** The training half as one text, for a tokenizer to learn from. */
export function sourceText(src: TextSource): string {
  return src.kind === 'documents' ? src.train.join('\n') : src.train.map((p) => p.prompt + p.completion).join('\n');
}

/** What truncation did to one side of a pair dataset. */
export interface TruncationCounts {
  /** Pairs read. */
  examples: number;
  /** Pairs longer than the window. */
  cut: number;
  /** Cut pairs that kept no completion token: dropped, since there is nothing left to learn. */
  noCompletion: number;
  /** Pairs left out of training: those without a completion, and with `drop` every cut one. */
  dropped: number;
}

export interface SourceExamples {
  train: TokenExample[];
  eval: TokenExample[];
  /** For pairs; null for text, which is cut into windows and never truncated. */
  truncation: { train: TruncationCounts; eval: TruncationCounts } | null;
}

function pairExamples(ps: readonly { prompt: string; completion: string }[], tok: Tokenizer, seqLen: number, mode: Truncation): { examples: TokenExample[]; counts: TruncationCounts } {
  const counts: TruncationCounts = { examples: ps.length, cut: 0, noCompletion: 0, dropped: 0 };
  const examples: TokenExample[] = [];
  for (const x of ps) {
    const { p, c } = pairIds(x.prompt, x.completion, tok);
    const r = truncatePair(p, c, seqLen, mode);
    if (r.cut) counts.cut++;
    if (r.example && r.noCompletion) counts.noCompletion++;
    if (r.example && !r.noCompletion) examples.push(r.example);
    else counts.dropped++;
  }
  return { examples, counts };
}

/**
 * Text as windows of seqLen tokens; pairs as prompt + completion with the loss on the completion
 * only, truncated to seqLen as `truncation` says, and counted.
 */
export function toExamples(src: TextSource, tok: Tokenizer, seqLen: number, truncation: Truncation = 'keep-start'): SourceExamples {
  if (src.kind === 'documents') {
    return { train: streamWindows(packDocuments(src.train, tok), seqLen), eval: streamWindows(packDocuments(src.eval, tok), seqLen), truncation: null };
  }
  const train = pairExamples(src.train, tok, seqLen, truncation), held = pairExamples(src.eval, tok, seqLen, truncation);
  return { train: train.examples, eval: held.examples, truncation: { train: train.counts, eval: held.counts } };
}

/** "3 of 40 examples were longer than --seq-len 64 (…); 1 lost its whole completion and was dropped": null when none was cut. */
export function describeTruncation(c: TruncationCounts, seqLen: number, mode: Truncation): string | null {
  if (c.cut === 0) return null;
  const what = mode === 'keep-start' ? 'their end cut' : mode === 'keep-end' ? 'the start of the prompt cut' : 'dropped';
  const lost = mode === 'drop' ? '' : c.noCompletion > 0 ? `; ${c.noCompletion} lost the whole completion and ${c.noCompletion === 1 ? 'was' : 'were'} dropped` : '; none lost the whole completion';
  return `${c.cut} of ${c.examples} examples were longer than --seq-len ${seqLen} (--truncation ${mode}: ${what})${lost}`;
}
