// The option every command that renders chats shares: keyword arguments for the chat template, as
// transformers' apply_chat_template takes them and TRL's and vLLM's chat_template_kwargs pass them
// (Qwen3's {"enable_thinking": false}, Llama 3.2's {"date_string": "26 Jul 2024"}).
import { z } from 'zod';
import { json } from '../../config/index.js';

/** Template keyword arguments (enable_thinking, date_string, ...), passed to every render. */
export type TemplateKwargs = Record<string, unknown>;

function parseKwargs(text: string, where: string): TemplateKwargs {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message}); expected a JSON object such as '{"enable_thinking": false}'`);
  }
  return v as TemplateKwargs;
}

export const chatTemplateKwargs = json<TemplateKwargs>(
  {}, 'variables for the chat template, a JSON object (e.g. {"enable_thinking": false})',
  z.record(z.string(), z.unknown()), 'a JSON object of template variables', parseKwargs, { aliases: ['chat_template_kwargs'] },
);
