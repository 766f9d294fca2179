// Chat renders as what a language model trains on: the ids of the whole render (as transformers
// tokenizes it: special tokens parsed, nothing added) and the loss on the tokens of each span.
// A token belongs to a span from the first token that differs from the tokens of the text before
// the span (a BPE merge across the boundary puts the merged token in the loss, as TRL's
// prompt-length mask does) up to the last token the text through the span's end shares.
import { encodeChat, type ChatMessage, type Tokenizer } from '../../tokenizer/index.js';
import { IGNORE, type PairExample, type TokenExample, type Truncation } from '../lm-examples.js';
import { renderForTraining, type ChatRender, type TemplateKwargs } from './chat-render.js';

/** A conversation to train on: every assistant turn from message `from` on carries the loss. */
export interface Conversation {
  messages: ChatMessage[];
  /** 0 for a `messages` record; the prompt's length for a conversational prompt/completion. */
  from: number;
  /** file:line, for errors. */
  where?: string;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The render's ids and, per id, whether it carries the loss. */
export function tokenizeRender(tok: Tokenizer, r: ChatRender): { ids: number[]; loss: boolean[] } {
  const ids = encodeChat(tok, r.text);
  const loss = new Array<boolean>(ids.length).fill(false);
  for (const [a, b] of r.spans) {
    const start = commonPrefix(encodeChat(tok, r.text.slice(0, a)), ids);
    const end = b === r.text.length ? ids.length : commonPrefix(encodeChat(tok, r.text.slice(0, b)), ids);
    for (let k = start; k < end; k++) loss[k] = true;
  }
  return { ids, loss };
}

/** Ids cut to maxLen + 1 (the start kept), as inputs and shifted targets; IGNORE where no loss. */
export function lossExample(ids: readonly number[], loss: readonly boolean[], maxLen: number): TokenExample {
  const kept = ids.slice(0, maxLen + 1);
  // Position t predicts ids[t+1]: targets are shifted by one against the inputs.
  return { ids: kept.slice(0, -1), labels: kept.slice(1).map((id, t) => (loss[t + 1] ? id : IGNORE)) };
}

/** The examples of one conversation (one, or one per assistant turn for templates that rewrite history: see renderForTraining). */
export function chatExamples(tok: Tokenizer, c: Conversation, maxLen: number, kwargs: TemplateKwargs = {}): TokenExample[] {
  const renders = renderForTraining(tok, c.messages, (m, i) => i >= c.from && m.role === 'assistant', kwargs, c.where);
  return renders.map((r) => {
    const { ids, loss } = tokenizeRender(tok, r);
    return lossExample(ids, loss, maxLen);
  });
}

/**
 * A render's ids in a window of maxLen inputs, cut as `mode` says (keep the start, keep the end,
 * or drop a render that does not fit), with the loss where the render puts it.
 */
export function truncateRender(ids: readonly number[], loss: readonly boolean[], maxLen: number, mode: Truncation): PairExample {
  const cut = ids.length > maxLen + 1;
  if (cut && mode === 'drop') return { example: null, cut, noCompletion: true };
  const start = cut && mode === 'keep-end' ? ids.length - (maxLen + 1) : 0;
  const kept = ids.slice(start, start + maxLen + 1);
  // Position t predicts ids[t+1]: targets are shifted by one against the inputs.
  const labels = kept.slice(1).map((id, t) => (loss[start + t + 1] ? id : IGNORE));
  return { example: { ids: kept.slice(0, -1), labels }, cut, noCompletion: !labels.some((l) => l !== IGNORE) };
}

/** chatExamples with each render's truncation reported: what SFT counts and prints. */
export function chatPairExamples(tok: Tokenizer, c: Conversation, maxLen: number, mode: Truncation, kwargs: TemplateKwargs = {}): PairExample[] {
  const renders = renderForTraining(tok, c.messages, (m, i) => i >= c.from && m.role === 'assistant', kwargs, c.where);
  return renders.map((r) => {
    const { ids, loss } = tokenizeRender(tok, r);
    return truncateRender(ids, loss, maxLen, mode);
  });
}
