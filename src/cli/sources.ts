// Where commands get their text and tokenizer from: a built-in corpus or a dataset file, and a
// tokenizer named by kind ('byte', 'char', 'bpe:<vocab>') or loaded from a directory.
import { existsSync } from 'node:fs';
import { holdOutEveryKth, loadCorpus } from '../data/corpora.js';
import { loadDataset } from '../data/load-dataset.js';
import { splitDataset } from '../data/split-dataset.js';
import { IGNORE, completionExample, packDocuments, renderTurns, streamWindows, type TokenExample } from '../data/lm-examples.js';
import { ByteTokenizer, CharTokenizer, loadTokenizer, trainBpe, type Tokenizer } from '../tokenizer/index.js';
import { UsageError } from './args.js';

export type TextSource =
  | { kind: 'documents'; train: string[]; eval: string[]; name: string }
  | { kind: 'pairs'; train: { prompt: string; completion: string }[]; eval: { prompt: string; completion: string }[]; name: string };

/** Reads --corpus or --data; holds out a deterministic evaluation split. */
export async function readSource(corpus: string | undefined, data: string | undefined, seed: number): Promise<TextSource> {
  if (corpus && data) throw new UsageError('give either --corpus or --data, not both');
  if (corpus) {
    const c = loadCorpus(corpus);
    // Every 20th chapter/speech is held out, so evaluation spans the whole corpus.
    const split = holdOutEveryKth(c.documents, 20);
    return { kind: 'documents', ...split, name: corpus };
  }
  if (!data) throw new UsageError('--corpus <name> or --data <file.jsonl> is required');
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
        if (!last || last.role !== 'assistant') throw new UsageError(`${data}:${ds.lines[i]}: field "messages": expected the last message to be the assistant's (the completion to learn)`);
        return { prompt: renderTurns(r.messages.slice(0, -1)) + 'assistant: ', completion: last.content };
      });
    const s = splitDataset(pairs, { evalFraction: 0.05, seed });
    return { kind: 'pairs', train: s.train, eval: s.eval, name: data };
  }
  throw new UsageError(`${data}: format "${ds.format}" is for preference or RL training; sft needs text, prompt/completion or messages`);
}

export function sourceText(src: TextSource): string {
  return src.kind === 'documents' ? src.train.join('\n') : src.train.map((p) => p.prompt + p.completion).join('\n');
}

/** 'byte' | 'char' | 'bpe:<vocab size>' | a tokenizer directory. */
export function makeTokenizer(spec: string, trainText: () => string): Tokenizer {
  if (spec === 'byte') return new ByteTokenizer();
  if (spec === 'char') return CharTokenizer.fromCorpus(trainText());
  const m = /^bpe:(\d+)$/.exec(spec);
  if (m) return trainBpe(trainText(), { vocabSize: Number(m[1]) });
  if (existsSync(spec)) return loadTokenizer(spec);
  throw new UsageError(`--tokenizer ${spec}: expected byte, char, bpe:<vocab size> or a directory with tokenizer.json`);
}

export function toExamples(src: TextSource, tok: Tokenizer, seqLen: number): { train: TokenExample[]; eval: TokenExample[] } {
  if (src.kind === 'documents') {
    return { train: streamWindows(packDocuments(src.train, tok), seqLen), eval: streamWindows(packDocuments(src.eval, tok), seqLen) };
  }
  const conv = (ps: { prompt: string; completion: string }[]) =>
    ps.map((p) => completionExample(p.prompt, p.completion, tok, seqLen)).filter((e) => e.labels.some((l) => l !== IGNORE));
  return { train: conv(src.train), eval: conv(src.eval) };
}
