// POST /v1/chat/completions: the messages rendered by the model's own chat template (its
// tokenizer_config.json's chat_template or chat_template.jinja) with the generation prompt; a
// model without a template is refused rather than given a format it was not trained on.
import type { ServerResponse } from 'node:http';
import type { BatchEngine, EngineSample, SampleDelta, TopLogprob } from '../model/sampling/engine/engine.js';
import { encodeChat, renderChat, type ChatMessage, type Tokenizer } from '../tokenizer/index.js';
import { ApiError, badField } from './http.js';
import type { ModelRegistry } from './models.js';
import { chatLogprobs, sampling } from './params.js';
import { answer } from './run.js';

export async function chatCompletions(body: Record<string, unknown>, res: ServerResponse, engine: BatchEngine, models: ModelRegistry): Promise<void> {
  const model = models.resolve(body.model);
  const tok = models.tokenizer;
  const prompt = chatPrompt(body, tok);
  if (prompt.length > model.config.maxSeqLen) badField('messages', `${prompt.length} tokens once rendered`, `at most the model's context of ${model.config.maxSeqLen} tokens`);
  const lp = chatLogprobs(body);
  const maxKey = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const s = sampling(body, engine.maxBatch, models.stopTokens, lp ?? 0, model.config.maxSeqLen, maxKey);
  const served = typeof body.model === 'string' ? body.model : models.name;
  const entry = (t: number, logprob: number) => {
    const token = tok.decode([t]);
    return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  };
  const logprobs = (tokens: readonly number[], lps: readonly number[], tops: readonly TopLogprob[][]) => lp === null ? null : {
    content: tokens.map((t, i) => ({ ...entry(t, lps[i]!), top_logprobs: tops[i]!.map((e) => entry(e.token, e.logprob)) })),
  };
  await answer(engine, res, served, model, [prompt], s, {
    object: 'chat.completion', chunkObject: 'chat.completion.chunk', idPrefix: 'chatcmpl',
    choice: (index: number, smp: EngineSample) => ({
      index, message: { role: 'assistant', content: smp.text }, logprobs: logprobs(smp.tokens, smp.logprobs, smp.top), finish_reason: smp.finishReason,
    }),
    opening: (index: number) => ({ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }),
    chunk: (index: number, d: SampleDelta) => {
      if (!d.text && !d.finishReason && lp === null) return null;
      const l = d.token !== undefined ? logprobs([d.token], [d.logprob!], [d.top ?? []]) : null;
      return { index, delta: d.text ? { content: d.text } : {}, logprobs: l, finish_reason: d.finishReason ?? null };
    },
  });
}

function chatPrompt(body: Record<string, unknown>, tok: Tokenizer): number[] {
  if (!tok.chatTemplate) {
    throw new ApiError(400, 'this model has no chat template (no chat_template in its tokenizer_config.json, no chat_template.jinja): use /v1/completions with a prompt', 'messages', 'no_chat_template');
  }
  const raw = body.messages;
  if (!Array.isArray(raw) || raw.length === 0) badField('messages', raw, 'a non-empty list of {"role", "content"} objects');
  const messages: ChatMessage[] = raw.map((m: unknown, i) => {
    const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    if (typeof o.role !== 'string' || !o.role) badField(`messages[${i}].role`, o.role, 'a string such as "system", "user" or "assistant"');
    return { role: o.role, content: contentOf(o.content, `messages[${i}].content`) };
  });
  const kwargs = body.chat_template_kwargs;
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Array.isArray(kwargs))) badField('chat_template_kwargs', kwargs, 'an object');
  try {
    const text = renderChat(tok, messages, { addGenerationPrompt: true, ...(kwargs ? { extra: kwargs as Record<string, unknown> } : {}) }, 'messages');
    return encodeChat(tok, text);
  } catch (err) {
    throw new ApiError(400, (err as Error).message, 'messages', 'invalid_messages');
  }
}

/** A string, or a list of {"type": "text", "text"} parts (joined); other parts are refused. */
function contentOf(c: unknown, where: string): string {
  if (typeof c === 'string') return c;
  if (c === null || c === undefined) return '';
  if (!Array.isArray(c)) return badField(where, c, 'a string or a list of {"type": "text", "text": ...} parts');
  return c.map((part: unknown, j) => {
    const p = part as Record<string, unknown> | null;
    if (p?.type !== 'text' || typeof p.text !== 'string') badField(`${where}[${j}]`, part, 'a {"type": "text", "text": ...} part (this server reads text only)');
    return p!.text as string;
  }).join('');
}
