// Preference pairs as the reward model and DPO read them: text records {prompt, chosen,
// rejected} from a dataset file, and their token ids. An implicit-prompt record gets its prompt
// from the shared prefix of chosen and rejected (TRL's extract_prompt). Message lists are rendered
// with the tokenizer's chat template as TRL renders them (data/chat/chat-render.ts: the prompt
// with the generation prompt, each completion as what it adds), so a pair is encoded with the
// template's special tokens, as the same conversation is for SFT. Without a tokenizer (SER, which
// scores texts, and library calls that give none) message lists become "role: content" lines of
// plain text, as before chat templates were used.
import { renderCompletions, type TemplateKwargs } from '../../data/chat/chat-render.js';
import { extractPrompt, isConversational, type Message, type PreferenceRecord } from '../../data/datasets/formats.js';
import { loadDataset, type Dataset } from '../../data/datasets/load-dataset.js';
import { renderTurns } from '../../data/lm-examples.js';
import type { HubOptions } from '../../hub/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** Llama 2's per-pair margin m(r) for the reward model's loss, added to config.margin (library use: dataset files carry no margin field). */
  margin?: number;
  /** The texts are chat-template renders: encoded with their special tokens, where plain text is not. */
  chat?: boolean;
}

/** A pair in token ids; each completion ends with EOS when the tokenizer has one. */
export interface TokenPair { prompt: number[]; chosen: number[]; rejected: number[]; margin: number }

/** How conversational records are rendered: the tokenizer whose chat template (or built-in format) applies, and the template's variables. */
export interface ChatRendering { tokenizer: Tokenizer; kwargs?: TemplateKwargs }

/** Text pairs from one preference record; `where` (file:line) names it in errors; `chat` renders message lists. */
export function pairFromRecord(record: PreferenceRecord, where: string, chat?: ChatRendering): PreferencePair {
  const r = extractPrompt(record);
  let pair: PreferencePair;
  if (isConversational(r) && chat) {
    const c = renderCompletions(chat.tokenizer, r.prompt as Message[], [r.chosen as Message[], r.rejected as Message[]], chat.kwargs, where);
    pair = { prompt: c.prompt, chosen: c.completions[0]!, rejected: c.completions[1]!, chat: true };
  } else {
    pair = { prompt: renderTurns(r.prompt), chosen: renderTurns(r.chosen), rejected: renderTurns(r.rejected) };
  }
  if (pair.chosen === '' || pair.rejected === '') {
    throw new Error(`${where}: ${pair.chosen === '' ? 'chosen' : 'rejected'} is empty after taking the shared prompt off; each completion needs text of its own`);
  }
  return pair;
}

/** Every record of a loaded dataset as pairs; a dataset of another format is refused by name. */
export function pairsFromDataset(ds: Dataset, chat?: ChatRendering): PreferencePair[] {
  if (ds.format !== 'preference') {
    throw new Error(`${ds.file}: records are in the "${ds.format}" format; expected preference records {prompt, chosen, rejected} (prompt optional)`);
  }
  return ds.records.map((r, i) => pairFromRecord(r, `${ds.file}:${ds.lines[i]}`, chat));
}

/** Preference pairs from a .jsonl, .json or .parquet file or a Hub dataset (errors name the file and line); `chat` renders conversational records. */
export async function loadPreferencePairs(file: string, chat?: ChatRendering, hub: HubOptions = {}): Promise<PreferencePair[]> {
  return pairsFromDataset(await loadDataset(file, { hub }), chat);
}

export interface TokenizeStats { pairs: TokenPair[]; truncated: number }

/** Plain text is untrusted: its special-token strings stay text. A chat render's are the template's own. */
const encode = (tok: Tokenizer, s: string, chat = false): number[] => tok.encode(s, { parseSpecial: chat });

/**
 * A completion's ids, ending with EOS when the tokenizer has one: the reward is read there, and
 * DPO learns to stop. A chat completion whose template already closed it with EOS gets no second.
 */
export function encodeCompletion(tok: Tokenizer, text: string, chat = false): number[] {
  const ids = encode(tok, text, chat);
  if (tok.eos !== null && !(chat && ids.at(-1) === tok.eos)) ids.push(tok.eos);
  return ids;
}

/** A prompt's ids; an empty prompt becomes BOS, since the first completion token needs a context. */
export function encodePrompt(tok: Tokenizer, text: string, where: string, chat = false): number[] {
  const ids = encode(tok, text, chat);
  if (ids.length > 0) return ids;
  if (tok.bos === null) throw new RangeError(`${where}: empty prompt and the tokenizer has no BOS to stand for it; the first completion token needs a context`);
  return [tok.bos];
}

/**
 * Fits prompt + a completion of `completionLen` tokens into maxLen by dropping the start of the
 * prompt: the completion, where the preference lives, and the EOS the reward is read at stay
 * whole. A completion that leaves no room for one prompt token is an error naming `where`.
 */
export function fitPrompt(prompt: number[], completionLen: number, maxLen: number, where: string): number[] {
  if (completionLen + 1 > maxLen) {
    throw new RangeError(`${where}: a completion of ${completionLen} tokens does not fit maxLen ${maxLen} with at least one prompt token; raise maxLen or shorten the data`);
  }
  return prompt.length + completionLen > maxLen ? prompt.slice(prompt.length + completionLen - maxLen) : prompt;
}

/** Token ids of each pair; `truncated` counts pairs whose prompt lost its start to fit maxLen (see fitPrompt). */
export function tokenizePairs(pairs: readonly PreferencePair[], tok: Tokenizer, maxLen: number): TokenizeStats {
  let truncated = 0;
  const out = pairs.map((p, i) => {
    const where = `preference pair ${i}`;
    for (const k of ['prompt', 'chosen', 'rejected'] as const) {
      if (typeof p[k] !== 'string') throw new TypeError(`${where}: field "${k}" must be a string, got ${typeof p[k]}`);
    }
    const margin = p.margin ?? 0;
    if (!Number.isFinite(margin)) throw new RangeError(`${where}: margin must be a finite number, got ${margin}`);
    const chat = p.chat === true;
    const chosen = encodeCompletion(tok, p.chosen, chat), rejected = encodeCompletion(tok, p.rejected, chat);
    const full = encodePrompt(tok, p.prompt, where, chat);
    const prompt = fitPrompt(full, Math.max(chosen.length, rejected.length), maxLen, where);
    if (prompt.length < full.length) truncated++;
    return { prompt, chosen, rejected, margin };
  });
  return { pairs: out, truncated };
}

/** One completion labelled desirable or not (TRL's unpaired preference format, KTO's data). */
export interface UnpairedExample { prompt: string; completion: string; label: boolean }

/**
 * Unpaired examples from a dataset: {prompt, completion, label} records as they are, or preference
 * pairs split into a desirable chosen and an undesirable rejected completion (TRL's
 * unpair_preference_dataset), so that a pair file trains KTO unchanged.
 */
export function unpairedFromDataset(ds: Dataset): UnpairedExample[] {
  if (ds.format === 'unpaired-preference') {
    return ds.records.map((r) => ({ prompt: renderTurns(r.prompt), completion: renderTurns(r.completion), label: r.label }));
  }
  if (ds.format === 'preference') {
    return pairsFromDataset(ds).flatMap((p) => [{ prompt: p.prompt, completion: p.chosen, label: true }, { prompt: p.prompt, completion: p.rejected, label: false }]);
  }
  throw new Error(`${ds.file}: records are in the "${ds.format}" format; expected unpaired preference records {prompt, completion, label} or pairs {prompt, chosen, rejected}`);
}
