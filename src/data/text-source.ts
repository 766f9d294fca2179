// Where the language-model commands (sft, eval, train-tokenizer) get their text: a built-in
// corpus or a dataset file, with a held-out split that is the same on every machine (every 20th
// document of a corpus; 5% of a file's records by a seeded shuffle). Declared here once, as the
// options `corpus` and `data`, so that each command's flags and errors read alike.
import { ConfigError, optionalChoice, optionalText } from '../config/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { holdOutEveryKth, listCorpora, loadCorpus } from './corpora.js';
import { loadDataset } from './datasets/load-dataset.js';
import { splitDataset } from './split-dataset.js';
import { IGNORE, completionExample, packDocuments, renderTurns, streamWindows, type TokenExample } from './lm-examples.js';

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

/** How a dataset file's held-out part is chosen: a share of it (by a seeded shuffle), or another file. */
export interface HoldOut {
  /** 0.05 by default; 0 holds nothing out. */
  evalFraction?: number;
  /** A file of the same format to evaluate on; then all of --data trains. */
  evalData?: string | undefined;
}

/** Reads --corpus or --data; holds out a deterministic evaluation split. */
export async function readSource(corpus: string | undefined, data: string | undefined, seed: number, hold: HoldOut = {}): Promise<TextSource> {
  if (corpus && data) throw new Error('give either --corpus or --data, not both');
  if (corpus) {
    const c = loadCorpus(corpus);
    // Every 20th chapter/speech is held out, so evaluation spans the whole corpus.
    const split = holdOutEveryKth(c.documents, 20);
    return { kind: 'documents', ...split, name: corpus };
  }
  if (!data) throw new Error('--corpus <name> or --data <file.jsonl> is required');
  const whole = await readFileSource(data);
  if (hold.evalData !== undefined) {
    const held = await readFileSource(hold.evalData);
    if (held.kind !== whole.kind) throw new Error(`--eval-data ${hold.evalData}: ${held.kind === 'pairs' ? 'prompt/completion' : 'text'} records, but --data ${data} holds ${whole.kind === 'pairs' ? 'prompt/completion' : 'text'} records`);
    return { ...whole, eval: held.train } as TextSource;
  }
  const s = splitDataset<unknown>(whole.train, { evalFraction: hold.evalFraction ?? 0.05, seed });
  return { ...whole, train: s.train, eval: s.eval } as TextSource;
}

/** Every record of a dataset file as documents or prompt/completion pairs, all under `train`. */
async function readFileSource(data: string): Promise<TextSource> {
  const ds = await loadDataset(data);
  if (ds.format === 'text') return { kind: 'documents', train: ds.records.map((r) => r.text), eval: [], name: data };
  if (ds.format === 'prompt-completion' || ds.format === 'messages') {
    const pairs = ds.format === 'prompt-completion'
      ? ds.records.map((r) => ({ prompt: renderTurns(r.prompt), completion: renderTurns(r.completion) }))
      : ds.records.map((r, i) => {
        const last = r.messages.at(-1);
        if (!last || last.role !== 'assistant') throw new Error(`${data}:${ds.lines[i]}: field "messages": expected the last message to be the assistant's (the completion to learn)`);
        return { prompt: renderTurns(r.messages.slice(0, -1)) + 'assistant: ', completion: last.content };
      });
    return { kind: 'pairs', train: pairs, eval: [], name: data };
  }
  throw new Error(`${data}: format "${ds.format}" is for preference or RL training; sft needs text, prompt/completion or messages`);
}

/** The training half as one text, for a tokenizer to learn from. */
export function sourceText(src: TextSource): string {
  return src.kind === 'documents' ? src.train.join('\n') : src.train.map((p) => p.prompt + p.completion).join('\n');
}

/** Text as windows of seqLen tokens; pairs as prompt + completion with the loss on the completion only. */
export function toExamples(src: TextSource, tok: Tokenizer, seqLen: number): { train: TokenExample[]; eval: TokenExample[] } {
  if (src.kind === 'documents') {
    return { train: streamWindows(packDocuments(src.train, tok), seqLen), eval: streamWindows(packDocuments(src.eval, tok), seqLen) };
  }
  const conv = (ps: { prompt: string; completion: string }[]) =>
    ps.map((p) => completionExample(p.prompt, p.completion, tok, seqLen)).filter((e) => e.labels.some((l) => l !== IGNORE));
  return { train: conv(src.train), eval: conv(src.eval) };
}
