// Where the language-model commands (sft, eval, train-tokenizer) get their text: a built-in
// corpus or a dataset file, with a held-out split that is the same on every machine (every 20th
// document of a corpus; 5% of a file's records by a seeded shuffle, or as --eval-fraction and
// --eval-data say). Declared here once, as the options `corpus` and `data`, so that each
// command's flags and errors read alike. Chats
// (`messages` records, conversational prompt/completion) stay conversations until a tokenizer is
// known, because they are rendered with its chat template (chat/chat-examples.ts). A .txt file is
// plain text whose paragraphs are the documents.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError, optionalChoice, optionalText } from '../config/index.js';
import type { HubOptions } from '../hub/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { holdOutEveryKth, listCorpora, loadCorpus } from './corpora.js';
import { DatasetError, loadDataset } from './datasets/load-dataset.js';
import { splitDataset } from './split-dataset.js';
import type { Message } from './datasets/format-schemas.js';
import { pairIds, packDocuments, renderTurns, streamWindows, truncatePair, type PairExample, type TokenExample, type Truncation } from './lm-examples.js';
import { chatPairExamples, type Conversation } from './chat/chat-examples.js';
import type { TemplateKwargs } from './chat/chat-render.js';
import type { Dataset } from './datasets/load-dataset.js';

export type TextSource =
  | { kind: 'documents'; train: string[]; eval: string[]; name: string }
  | { kind: 'pairs'; train: { prompt: string; completion: string }[]; eval: { prompt: string; completion: string }[]; name: string }
  | { kind: 'chats'; train: Conversation[]; eval: Conversation[]; name: string };

export const CORPUS_NAMES: readonly string[] = listCorpora().map((c) => c.name);

/** The options `corpus` and `data`, with each command's help; give one of the two. */
export function textSourceOptions(help: { corpus: string; data: string }) {
  return {
    corpus: optionalChoice(CORPUS_NAMES, help.corpus),
    data: optionalText(help.data, { excludes: 'corpus', hub: 'dataset' }),
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

/**
 * Reads --corpus or --data (a file or a Hub dataset, fetched with `hub`); holds out a
 * deterministic evaluation split, or reads `hold.evalData` as the held-out part.
 */
export async function readSource(corpus: string | undefined, data: string | undefined, seed: number, hub: HubOptions = {}, hold: HoldOut = {}): Promise<TextSource> {
  if (corpus && data) throw new Error('give either --corpus or --data, not both');
  if (corpus) {
    const c = loadCorpus(corpus);
    // Every 20th chapter/speech is held out, so evaluation spans the whole corpus.
    const split = holdOutEveryKth(c.documents, 20);
    return { kind: 'documents', ...split, name: corpus };
  }
  if (!data) throw new Error('--corpus <name> or --data <file.jsonl> is required');
  const whole = await readFileSource(data, hub);
  if (hold.evalData !== undefined) {
    const held = await readFileSource(hold.evalData, hub);
    if (held.kind !== whole.kind) throw new Error(`--eval-data ${hold.evalData}: ${KIND_NAMES[held.kind]} records, but --data ${data} holds ${KIND_NAMES[whole.kind]} records`);
    return { ...whole, eval: held.train } as TextSource;
  }
  const s = splitDataset<unknown>(whole.train, { evalFraction: hold.evalFraction ?? 0.05, seed });
  return { ...whole, train: s.train, eval: s.eval } as TextSource;
}

const KIND_NAMES: Record<TextSource['kind'], string> = { documents: 'text', pairs: 'prompt/completion', chats: 'conversation' };

/** Every record of a dataset file as documents, prompt/completion pairs or chats, all under `train`. */
async function readFileSource(data: string, hub: HubOptions): Promise<TextSource> {
  if (extname(data).toLowerCase() === '.txt') return { kind: 'documents', train: readPlainText(data), eval: [], name: data };
  const ds = await loadDataset(data, { hub });
  if (ds.format === 'text') return { kind: 'documents', train: ds.records.map((r) => r.text), eval: [], name: data };
  const chats = conversations(ds);
  if (chats) return { kind: 'chats', train: chats, eval: [], name: data };
  if (ds.format === 'prompt-completion') {
    return { kind: 'pairs', train: ds.records.map((r) => ({ prompt: r.prompt as string, completion: r.completion as string })), eval: [], name: data };
  }
  throw new Error(`${data}: format "${ds.format}" is for preference or RL training; sft needs text, prompt/completion or messages`);
}

/**
 * A plain text file: its paragraphs (blocks between blank lines) are the documents, joined with
 * EOS as a corpus's chapters are (held out like a dataset file's records).
 */
function readPlainText(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new DatasetError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const docs = text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/).map((d) => d.replace(/^\n+|\n+$/g, '')).filter((d) => d.trim() !== '');
  if (docs.length === 0) throw new DatasetError(file, 'no text (the file is empty or blank)');
  return docs;
}

/**
 * `messages` records, or prompt/completion records whose fields are message lists, as
 * conversations; null for plain prompt/completion strings. The loss goes on every assistant turn
 * of a `messages` record and on those of a completion, so that a conversation stored either way
 * trains alike.
 */
function conversations(ds: Dataset): Conversation[] | null {
  const where = (i: number) => `${ds.file}:${ds.lines[i]}`;
  if (ds.format === 'messages') {
    return ds.records.map((r, i) => {
      if (!r.messages.some((m) => m.role === 'assistant')) throw new Error(`${where(i)}: field "messages": no assistant message, so nothing to learn`);
      return { messages: r.messages, from: 0, where: where(i) };
    });
  }
  if (ds.format !== 'prompt-completion') return null;
  const chat = ds.records.map((r) => typeof r.prompt !== 'string');
  if (!chat.some(Boolean)) return null;
  const plain = chat.indexOf(false);
  if (plain >= 0) throw new Error(`${where(plain)}: a plain prompt/completion record in a file of conversational ones (${where(chat.indexOf(true))}); give one kind per file`);
  return ds.records.map((r, i) => ({ messages: [...r.prompt as Message[], ...r.completion as Message[]], from: r.prompt.length, where: where(i) }));
}

/** The training half as one text, for a tokenizer to learn from. */
export function sourceText(src: TextSource): string {
  if (src.kind === 'documents') return src.train.join('\n');
  if (src.kind === 'pairs') return src.train.map((p) => p.prompt + p.completion).join('\n');
  return src.train.map((c) => renderTurns(c.messages as Message[])).join('\n');
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

/** Counts what truncation did over the examples of one side. */
function counted(results: readonly PairExample[], examples: number): { examples: TokenExample[]; counts: TruncationCounts } {
  const counts: TruncationCounts = { examples, cut: 0, noCompletion: 0, dropped: 0 };
  const kept: TokenExample[] = [];
  for (const r of results) {
    if (r.cut) counts.cut++;
    if (r.example && r.noCompletion) counts.noCompletion++;
    if (r.example && !r.noCompletion) kept.push(r.example);
    else counts.dropped++;
  }
  return { examples: kept, counts };
}

function sideExamples(src: Exclude<TextSource, { kind: 'documents' }>, side: 'train' | 'eval', tok: Tokenizer, seqLen: number, mode: Truncation, kwargs: TemplateKwargs) {
  if (src.kind === 'chats') {
    const rs = src[side].flatMap((c) => chatPairExamples(tok, c, seqLen, mode, kwargs));
    return counted(rs, rs.length);
  }
  const ps = src[side];
  return counted(ps.map((x) => { const { p, c } = pairIds(x.prompt, x.completion, tok); return truncatePair(p, c, seqLen, mode); }), ps.length);
}

/**
 * Text as windows of seqLen tokens; pairs as prompt + completion with the loss on the completion
 * only; chats rendered with the tokenizer's chat template (kwargs: its keyword arguments), the loss
 * on their assistant turns. Pairs and chats are truncated to seqLen as `truncation` says, and
 * counted; examples left with no token to learn are dropped.
 */
export function toExamples(src: TextSource, tok: Tokenizer, seqLen: number, truncation: Truncation = 'keep-start', kwargs: TemplateKwargs = {}): SourceExamples {
  if (src.kind === 'documents') {
    return { train: streamWindows(packDocuments(src.train, tok), seqLen), eval: streamWindows(packDocuments(src.eval, tok), seqLen), truncation: null };
  }
  const train = sideExamples(src, 'train', tok, seqLen, truncation, kwargs), held = sideExamples(src, 'eval', tok, seqLen, truncation, kwargs);
  return { train: train.examples, eval: held.examples, truncation: { train: train.counts, eval: held.counts } };
}

/** "3 of 40 examples were longer than --seq-len 64 (…); 1 lost its whole completion and was dropped": null when none was cut. */
export function describeTruncation(c: TruncationCounts, seqLen: number, mode: Truncation): string | null {
  if (c.cut === 0) return null;
  const what = mode === 'keep-start' ? 'their end cut' : mode === 'keep-end' ? 'the start of the prompt cut' : 'dropped';
  const lost = mode === 'drop' ? '' : c.noCompletion > 0 ? `; ${c.noCompletion} lost the whole completion and ${c.noCompletion === 1 ? 'was' : 'were'} dropped` : '; none lost the whole completion';
  return `${c.cut} of ${c.examples} examples were longer than --seq-len ${seqLen} (--truncation ${mode}: ${what})${lost}`;
}
