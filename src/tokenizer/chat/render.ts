// How a conversation becomes text for a given tokenizer: with the chat template its files carry
// (tokenizer_config.json's chat_template or chat_template.jinja), rendered as transformers'
// apply_chat_template renders it, or, for a tokenizer without one (byte, char, bpe, GPT-2), with
// the built-in format below. Either way the text is then encoded with special tokens parsed, as
// transformers does, because the template writes its control tokens as text; so message contents
// must not hold special-token strings of their own (checkContents), or untrusted text would
// become control tokens.
import { HfTokenizer } from '../hf/hf.js';
import { applyChatTemplate, type ChatMessage } from '../hf/chat-template.js';
import type { Tokenizer } from '../types.js';

/**
 * The built-in format: one "role: content" line per message, EOS closing each assistant turn
 * (so that a model learns where its answer stops), and "assistant: " as the generation prompt.
 * A conversation renders as its prefixes do, turn by turn, which keeps SFT's per-turn loss exact.
 */
export const BUILTIN_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message.role + ': ' + message.content }}{% if message.role == 'assistant' %}{{ eos_token }}{% endif %}" +
  "{{ '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

export interface RenderChatOptions {
  /** End with the opening of an assistant turn (the generation prompt). */
  addGenerationPrompt?: boolean;
  /** Template keyword arguments, as transformers' chat_template_kwargs: {enable_thinking: false}, {date_string: "26 Jul 2024"}. */
  extra?: Record<string, unknown>;
}

/** The template a tokenizer renders chats with, and whether it is the built-in one. */
export function chatTemplateOf(tok: Tokenizer): { template: string; builtin: boolean } {
  return tok.chatTemplate ? { template: tok.chatTemplate, builtin: false } : { template: BUILTIN_CHAT_TEMPLATE, builtin: true };
}

/** bos_token, eos_token, ... as the template sees them. */
function templateVariables(tok: Tokenizer): Record<string, unknown> {
  if (tok instanceof HfTokenizer) return tok.templateVariables();
  const name = (id: number | null) => (id === null ? undefined : tok.idToken(id));
  return { bos_token: name(tok.bos), eos_token: name(tok.eos), pad_token: name(tok.pad) };
}

/** Throws, naming the message and the token, when a content holds a special-token string of tok. */
export function checkContents(tok: Tokenizer, messages: readonly ChatMessage[], where = 'chat'): void {
  messages.forEach((m, i) => {
    const found = tok.specialTokens.find((s) => m.content.includes(s));
    if (found !== undefined) {
      throw new Error(`${where}: message ${i} (${m.role}) contains ${JSON.stringify(found)}, a special token of the tokenizer; ` +
        'a rendered chat is encoded with special tokens parsed (as transformers does), so it would become a control token: remove it from the text');
    }
  });
}

/** The conversation as text, by tok's chat template or the built-in format; contents are checked first. */
export function renderChat(tok: Tokenizer, messages: readonly ChatMessage[], opts: RenderChatOptions = {}, where?: string): string {
  checkContents(tok, messages, where);
  const vars = templateVariables(tok);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return applyChatTemplate(chatTemplateOf(tok).template, messages, {
    addGenerationPrompt: opts.addGenerationPrompt ?? false, bosToken: str(vars.bos_token), eosToken: str(vars.eos_token), extra: { ...vars, ...opts.extra },
  });
}

/** A rendered chat's ids: special tokens parsed (the template's own), nothing added around them. */
export function encodeChat(tok: Tokenizer, text: string): number[] {
  return tok.encode(text, { parseSpecial: true });
}
