// Where the language-model commands (sft, eval, train-tokenizer) get their text: a built-in
// corpus or a dataset file, with a held-out split that is the same on every machine (every 20th
// document of a corpus; 5% of a file's records by a seeded shuffle). Declared here once, as the
// options `corpus` and `data`, so that each command's flags and errors read alike. Chats
// (`messages` records, conversational prompt/completion) stay conversations until a tokenizer is
// known, because they are rendered with its chat template (chat/chat-examples.ts).
import { ConfigError, optionalChoice, optionalText } from '../config/index.js';
import type { HubOptions } from '../hub/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { holdOutEveryKth, listCorpora, loadCorpus } from './corpora.js';
import { loadDataset } from './datasets/load-dataset.js';
import { splitDataset } from './split-dataset.js';
import type { Message } from './datasets/format-schemas.js';
import { IGNORE, completionExample, packDocuments, renderTurns, streamWindows, type TokenExample } from './lm-examples.js';
import { chatExamples, type Conversation } from './chat/chat-examples.js';
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

/** Reads --corpus or --data (a file or a Hub dataset, fetched with `hub`); holds out a deterministic evaluation split. */
export async function readSource(corpus: string | undefined, data: string | undefined, seed: number, hub: HubOptions = {}): Promise<TextSource> {
  if (corpus && data) throw new Error('give either --corpus or --data, not both');
  if (corpus) {
    const c = loadCorpus(corpus);
    // Every 20th chapter/speech is held out, so evaluation spans the whole corpus.
    const split = holdOutEveryKth(c.documents, 20);
    return { kind: 'documents', ...split, name: corpus };
  }
  if (!data) throw new Error('--corpus <name> or --data <file.jsonl> is required');
  const ds = await loadDataset(data, { hub });
  if (ds.format === 'text') {
    const s = splitDataset(ds.records.map((r) => r.text), { evalFraction: 0.05, seed });
    return { kind: 'documents', train: s.train, eval: s.eval, name: data };
  }
  const chats = conversations(ds);
  if (chats) {
    const s = splitDataset(chats, { evalFraction: 0.05, seed });
    return { kind: 'chats', train: s.train, eval: s.eval, name: data };
  }
  if (ds.format === 'prompt-completion') {
    const pairs = ds.records.map((r) => ({ prompt: r.prompt as string, completion: r.completion as string }));
    const s = splitDataset(pairs, { evalFraction: 0.05, seed });
    return { kind: 'pairs', train: s.train, eval: s.eval, name: data };
  }
  throw new Error(`${data}: format "${ds.format}" is for preference or RL training; sft needs text, prompt/completion or messages`);
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

/**
 * Text as windows of seqLen tokens; pairs as prompt + completion with the loss on the completion
 * only; chats rendered with the tokenizer's chat template (kwargs: its keyword arguments), the loss
 * on their assistant turns. Examples left with no token to learn are dropped.
 */
export function toExamples(src: TextSource, tok: Tokenizer, seqLen: number, kwargs: TemplateKwargs = {}): { train: TokenExample[]; eval: TokenExample[] } {
  if (src.kind === 'documents') {
    return { train: streamWindows(packDocuments(src.train, tok), seqLen), eval: streamWindows(packDocuments(src.eval, tok), seqLen) };
  }
  const learnable = (e: TokenExample) => e.labels.some((l) => l !== IGNORE);
  if (src.kind === 'chats') {
    const conv = (cs: Conversation[]) => cs.flatMap((c) => chatExamples(tok, c, seqLen, kwargs)).filter(learnable);
    return { train: conv(src.train), eval: conv(src.eval) };
  }
  const conv = (ps: { prompt: string; completion: string }[]) => ps.map((p) => completionExample(p.prompt, p.completion, tok, seqLen)).filter(learnable);
  return { train: conv(src.train), eval: conv(src.eval) };
}
