// Chat templates are Jinja programs shipped in tokenizer_config.json (Hugging Face transformers'
// apply_chat_template). @huggingface/jinja is the official JS interpreter of that Jinja subset.
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn, so that sampling continues as the assistant. */
  addGenerationPrompt?: boolean;
  bosToken?: string | null;
  eosToken?: string | null;
  /** Further template variables (e.g. tools, date_string), passed through as transformers does. */
  extra?: Record<string, unknown>;
}

// Parsing a template is far more expensive than rendering it, and a trainer renders thousands.
const compiled = new Map<string, Template>();

export function applyChatTemplate(template: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (err) {
      throw new Error(`applyChatTemplate: template does not parse (${(err as Error).message}): ${preview(template)}`);
    }
    compiled.set(template, t);
  }
  messages.forEach((m, i) => {
    if (typeof m?.role !== 'string' || typeof m?.content !== 'string') {
      throw new TypeError(`applyChatTemplate: messages[${i}] is ${preview(JSON.stringify(m))}; expected {role: string, content: string}`);
    }
  });
  return t.render({
    ...opts.extra,
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: opts.addGenerationPrompt ?? false,
    bos_token: opts.bosToken ?? '',
    eos_token: opts.eosToken ?? '',
  });
}

function preview(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
