// The record shapes of the Python ecosystem (TRL's dataset formats, as stored by HF datasets),
// so a file prepared for TRL trains here unchanged. Each field that TRL lets be either plain text
// ("standard") or a chat ("conversational") is a `Turns`.
// Ref: https://huggingface.co/docs/trl/dataset_formats
import { z } from 'zod';

export const ROLES = ['system', 'user', 'assistant'] as const;
export type Role = (typeof ROLES)[number];

export interface Message { role: Role; content: string }
/** Plain text (TRL "standard") or a list of chat messages (TRL "conversational"). */
export type Turns = string | Message[];

/** Language modelling: `{"text": "..."}`. */
export interface TextRecord { text: string }
/** Prompt only, for methods that sample their own completions (PPO, GRPO, RLOO, ReST Grow). */
export interface PromptRecord { prompt: Turns }
/** Supervised fine-tuning on the completion only. */
export interface PromptCompletionRecord { prompt: Turns; completion: Turns }
/** Conversational language modelling: `{"messages": [{role, content}, ...]}`. */
export interface MessagesRecord { messages: Message[] }
/** Pairwise preference; without `prompt` it is TRL's implicit-prompt form (see `extractPrompt`). */
export interface PreferenceRecord { prompt?: Turns; chosen: Turns; rejected: Turns }
/** Unpaired preference (KTO): one completion, labelled desirable (true) or undesirable (false). */
export interface UnpairedPreferenceRecord { prompt: Turns; completion: Turns; label: boolean }

export interface FormatRecords {
  text: TextRecord;
  prompt: PromptRecord;
  'prompt-completion': PromptCompletionRecord;
  messages: MessagesRecord;
  preference: PreferenceRecord;
  'unpaired-preference': UnpairedPreferenceRecord;
}
export type DatasetFormat = keyof FormatRecords;
export const DATASET_FORMATS: readonly DatasetFormat[] = ['text', 'prompt', 'prompt-completion', 'messages', 'preference', 'unpaired-preference'];

export const messageSchema = z.object({ role: z.enum(ROLES), content: z.string() });
export const messageListSchema = z.array(messageSchema).min(1);
// Branch order matters: formats.ts reads unionErrors[TURNS_MESSAGES_BRANCH] to explain a bad
// message list instead of zod's bare "Invalid input".
export const turnsSchema = z.union([z.string(), messageListSchema]);
export const TURNS_MESSAGES_BRANCH = 1;

const kind = (t: unknown): string => (typeof t === 'string' ? 'a string' : 'a list of messages');

// TRL never mixes a plain prompt with a chat completion (or chosen with rejected): the chat
// template would render them inconsistently, so it is rejected here rather than at training time.
function sameKind(ctx: z.RefinementCtx, a: string, av: unknown, b: string, bv: unknown): void {
  if (av === undefined || bv === undefined) return;
  if (typeof av === 'string' !== (typeof bv === 'string')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [b], message: `expected ${kind(av)} like "${a}", got ${kind(bv)}` });
  }
}

export const recordSchemas: { [F in DatasetFormat]: z.ZodType<FormatRecords[F]> } = {
  text: z.object({ text: z.string() }),
  prompt: z.object({ prompt: turnsSchema }),
  'prompt-completion': z
    .object({ prompt: turnsSchema, completion: turnsSchema })
    .superRefine((r, ctx) => sameKind(ctx, 'prompt', r.prompt, 'completion', r.completion)),
  messages: z.object({ messages: messageListSchema }),
  preference: z
    .object({ prompt: turnsSchema.optional(), chosen: turnsSchema, rejected: turnsSchema })
    .superRefine((r, ctx) => {
      sameKind(ctx, 'chosen', r.chosen, 'rejected', r.rejected);
      sameKind(ctx, 'prompt', r.prompt, 'chosen', r.chosen);
    }),
  'unpaired-preference': z
    .object({ prompt: turnsSchema, completion: turnsSchema, label: z.boolean() })
    .superRefine((r, ctx) => sameKind(ctx, 'prompt', r.prompt, 'completion', r.completion)),
};
