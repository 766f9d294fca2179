// One sample from one server: the /v1/completions request (the prompt as token ids, so the text →
// token mapping stays alignkit's; n = 1 with this sample's own seed, so a sample does not depend on
// which server drew it or what else it batched), and the answer turned back into alignkit's tokens.
// Token ids come back as vLLM writes them with return_tokens_as_token_ids ("token_id:42" in
// logprobs.tokens); a server that only returns text has its text re-tokenised. Either way the
// tokens must decode to the text the server sent, or the sample is refused: a server whose
// tokenizer differs from alignkit's would otherwise train on tokens it never sampled; and re-tokenised
// text must have as many tokens as the server says it sampled.
import type { FinishReason } from '../../../model/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';
import { GeneratorHttpError, postJson, type Endpoint } from './openai-client.js';

export interface CompletionRequest {
  model: string;
  prompt: readonly number[];
  seed: number;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  stop?: readonly string[];
}

export interface RemoteCompletion {
  /** Generated tokens; the stop token that ended it appended when the server left it out. */
  tokens: number[];
  text: string;
  finishReason: FinishReason;
  /** 'ids': the server returned token ids; 'text': its text was re-tokenised. */
  tokensFrom: 'ids' | 'text';
}

export function completionBody(r: CompletionRequest): Record<string, unknown> {
  return {
    model: r.model, prompt: r.prompt, n: 1, seed: r.seed, sample_seeds: [r.seed], temperature: r.temperature, top_p: r.topP, ...(r.topK > 0 ? { top_k: r.topK } : {}),
    max_tokens: r.maxTokens, logprobs: 1, return_tokens_as_token_ids: true, ...(r.stop?.length ? { stop: r.stop } : {}),
  };
}

interface Choice { text?: unknown; finish_reason?: unknown; logprobs?: { tokens?: unknown } | null }

function tokenIds(c: Choice): number[] | null {
  const t = c.logprobs?.tokens;
  if (!Array.isArray(t) || t.length === 0) return null;
  const ids = t.map((x) => (typeof x === 'string' ? /^token_id:(\d+)$/.exec(x) : null));
  return ids.every((m) => m !== null) ? ids.map((m) => Number(m![1])) : null;
}

/** Sends one request and reads its single choice; `where` names the sample in errors. */
export async function complete(e: Endpoint, r: CompletionRequest, tok: Tokenizer, stopTokens: readonly number[], where: string): Promise<RemoteCompletion> {
  const body = await postJson(e, 'completions', completionBody(r)) as { choices?: Choice[] };
  const c = body.choices?.[0];
  if (!c || typeof c.text !== 'string') throw new GeneratorHttpError(`${e.base}: ${where}: the answer has no choices[0].text`, true);
  let finishReason: FinishReason = c.finish_reason === 'length' ? 'length' : 'stop';
  const ids = tokenIds(c);
  const tokens = ids ?? tok.encode(c.text, { parseSpecial: false });
  const last = tokens[tokens.length - 1];
  const stopped = last !== undefined && stopTokens.includes(last);
  const decoded = tok.decode(stopped ? tokens.slice(0, -1) : tokens, { skipSpecial: true });
  if (decoded !== c.text) {
    throw new Error(`${e.base}: ${where}: the server's ${ids ? 'token ids decode' : 'text re-tokenises'} to ${JSON.stringify(decoded.slice(0, 80))}, ` +
      `not to its text ${JSON.stringify(c.text.slice(0, 80))}; is it serving the same tokenizer as the policy's?`);
  }
  // Re-tokenised text may not be the tokens the server sampled (a special it dropped from the
  // text, another split of the same string): when it says how many it sampled, they must agree.
  const sent = Array.isArray(c.logprobs?.tokens) ? (c.logprobs!.tokens as unknown[]).length : null;
  if (!ids && sent !== null && sent !== tokens.length && sent !== tokens.length + 1) {
    throw new Error(`${e.base}: ${where}: the server sampled ${sent} tokens but its text re-tokenises to ${tokens.length}; ` +
      'serve with token ids (vLLM: return_tokens_as_token_ids) or the same tokenizer');
  }
  if (tokens.length > r.maxTokens) throw new Error(`${e.base}: ${where}: ${tokens.length} tokens returned for max_tokens ${r.maxTokens}`);
  // A sample that ended on a stop token keeps it, as generate's do (its log-probability is the
  // choice to stop); one that filled its budget first ended, as generate counts it, by length.
  if (finishReason === 'stop' && !stopped && stopTokens.length > 0 && !r.stop?.length) {
    if (tokens.length < r.maxTokens) tokens.push(stopTokens[0]!);
    else finishReason = 'length';
  }
  return { tokens, text: c.text, finishReason, tokensFrom: ids ? 'ids' : 'text' };
}
