// Conversations as training text, rendered with the tokenizer's chat template (or the built-in
// "role: content" format, tokenizer/chat/render.ts), the way TRL renders them:
// - a prompt is render(prompt, add_generation_prompt), cut to the part it shares with
//   render(prompt + completion), and a completion is the rest (TRL's maybe_apply_chat_template:
//   the cut is for templates whose generation prompt differs from what a finished turn shows,
//   such as Qwen3 with enable_thinking false and a reply that has reasoning). So conversational
//   prompt/completion records and the same conversations as `messages` give the same text;
// - a turn that carries the loss is, in the same way, the text its own message adds to the render
//   of the messages before it: the assistant's words and the end-of-turn token the template writes
//   after them (TRL's assistant-only loss; its `{% generation %}` blocks end there too), without
//   the whitespace after that token, which the model never generates.
import { renderChat, type ChatMessage, type TemplateKwargs, type Tokenizer } from '../../tokenizer/index.js';

export type { TemplateKwargs };

/** A render and the character ranges of it that carry the loss. */
export interface ChatRender { text: string; spans: [number, number][] }

/** Where a message's own text starts and ends in renders of its conversation. */
interface Turn { before: string; upto: string }

/** The longest common prefix of two strings. */
const sharedStart = (a: string, b: string): string => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
};

/** render(messages[..i]) and the part of it that precedes message i's own text. */
function turnOf(tok: Tokenizer, messages: readonly ChatMessage[], i: number, kwargs: TemplateKwargs, where: string): Turn {
  const gen = messages[i]!.role === 'assistant';
  const upto = renderChat(tok, messages.slice(0, i + 1), { extra: kwargs }, where);
  let before = '';
  // A template may not render an empty conversation (Qwen's reads messages[0]); a first turn then starts the text.
  if (i > 0 || gen) {
    try {
      before = renderChat(tok, messages.slice(0, i), { addGenerationPrompt: gen, extra: kwargs }, where);
    } catch (err) {
      if (i > 0) throw err;
    }
  }
  return { before: sharedStart(before, upto), upto };
}

/** The end of a turn's span: its render without the whitespace after the end-of-turn token. */
const spanOf = (t: Turn): [number, number] => [t.before.length, Math.max(t.before.length, t.upto.trimEnd().length)];

/**
 * The render(s) of a conversation with a loss span on every message `train` picks. One render
 * when the template renders each prefix as the start of the whole; otherwise (Qwen3 drops the
 * reasoning of earlier assistant turns once a later one follows) one render per trained turn,
 * ending with it, which is how the model sees that turn when it generates it.
 */
export function renderForTraining(
  tok: Tokenizer, messages: readonly ChatMessage[], train: (m: ChatMessage, i: number) => boolean, kwargs: TemplateKwargs = {}, where = 'chat',
): ChatRender[] {
  const full = renderChat(tok, messages, { extra: kwargs }, where);
  const turns = messages.flatMap((m, i) => (train(m, i) ? [turnOf(tok, messages, i, kwargs, where)] : []));
  if (turns.every((t) => full.startsWith(t.upto))) return [{ text: full, spans: turns.map(spanOf) }];
  return turns.map((t) => ({ text: t.upto, spans: [spanOf(t)] }));
}

/**
 * A conversational prompt and its completions (one, or chosen and rejected) as texts, as TRL
 * renders a record: the prompt is what render(prompt, generation prompt) shares with every
 * render(prompt + completion), each completion the rest of its render, less trailing whitespace.
 */
export function renderCompletions(
  tok: Tokenizer, prompt: readonly ChatMessage[], completions: readonly (readonly ChatMessage[])[], kwargs: TemplateKwargs = {}, where = 'chat',
): { prompt: string; completions: string[] } {
  const full = completions.map((c) => turnOf(tok, [...prompt, ...c], prompt.length, kwargs, where));
  const upto = full.map((t, k) => (completions[k]!.length === 1 ? t.upto : renderChat(tok, [...prompt, ...completions[k]!], { extra: kwargs }, where)));
  const shared = full.reduce((p, t, k) => sharedStart(sharedStart(p, t.before), upto[k]!), full[0]?.before ?? '');
  return { prompt: shared, completions: upto.map((u) => u.slice(shared.length).trimEnd()) };
}

/** A prompt for sampling: render(messages, add_generation_prompt). */
export function renderPrompt(tok: Tokenizer, messages: readonly ChatMessage[], kwargs: TemplateKwargs = {}, where = 'chat'): string {
  return renderChat(tok, messages, { addGenerationPrompt: true, extra: kwargs }, where);
}
