// Differentiable log-probabilities of completions given prompts: what DPO, PPO, GRPO and RLOO
// all differentiate. Sequences are prompt + completion, right-padded; position t predicts token
// t + 1, so the completion's tokens are scored at positions [len(prompt) − 1, len − 2].
// log p = −cross-entropy of the temperature-scaled logits (the same numbers `generate` reports),
// computed by the chunked head (Transformer.tokenLosses).
import { neg, reshape, sum } from '../../ops/index.js';
import { Tensor } from '../../tensor/index.js';
import type { Transformer } from '../../model/index.js';
import { IGNORE } from '../../data/lm-examples.js';

export interface PromptCompletion { prompt: readonly number[]; completion: readonly number[] }

export interface TokenLogprobs {
  /** (B, T) log-probabilities; 0 where mask is 0. Carries the graph when the model's weights do. */
  logp: Tensor;
  /** (B, T) 1 on completion tokens, 0 on prompt and padding. */
  mask: Float32Array;
  B: number;
  T: number;
  /** Position of each row's first completion token in the (B, T) layout. */
  start: number[];
  /** Completion length of each row. */
  length: number[];
  /** Final hidden states (B, T, C), for value and reward heads. */
  hidden: Tensor;
}

/**
 * `scorePrompt`: the prompt's own tokens (from its second) are scored too, for a likelihood over
 * the whole sequence (ORPO's NLL as TRL takes it); `mask` still marks the completion only, and
 * `logp` then holds prompt values outside it.
 */
export function tokenLogprobs(model: Transformer, batch: readonly PromptCompletion[], temperature = 1, padId = 0, scorePrompt = false): TokenLogprobs {
  if (batch.length === 0) throw new RangeError('tokenLogprobs: empty batch');
  const B = batch.length;
  const T = Math.max(...batch.map((x) => x.prompt.length + x.completion.length)) - 1;
  if (T < 1) throw new RangeError('tokenLogprobs: every sequence needs at least two tokens');
  const ids = new Int32Array(B * T).fill(padId), labels = new Int32Array(B * T).fill(IGNORE);
  const mask = new Float32Array(B * T);
  const start: number[] = [], length: number[] = [];
  batch.forEach((x, b) => {
    if (x.prompt.length === 0) throw new RangeError(`tokenLogprobs: row ${b} has an empty prompt`);
    const seq = [...x.prompt, ...x.completion];
    for (let t = 0; t < seq.length - 1; t++) ids[b * T + t] = seq[t]!;
    const s = x.prompt.length - 1;
    if (scorePrompt) for (let t = 0; t < s; t++) labels[b * T + t] = x.prompt[t + 1]!;
    for (let j = 0; j < x.completion.length; j++) { labels[b * T + s + j] = x.completion[j]!; mask[b * T + s + j] = 1; }
    start.push(s);
    length.push(x.completion.length);
  });
  const hidden = model.hidden(new Tensor(ids, [B, T])); // (B, T, C)
  // (B, T), 0 where ignored; the head and the loss in row chunks, never (B, T, V) logits.
  const ce = model.tokenLosses(hidden, new Tensor(labels, [B, T]), { temperature });
  return { logp: neg(ce), mask, B, T, start, length, hidden };
}

/** Σ over completion tokens: (B) sequence log-probabilities (DPO's log π(y|x)). */
export function sequenceLogprob(t: TokenLogprobs): Tensor {
  return reshape(sum(t.logp, 1), [t.B]);
}

/** Each row's completion log-probabilities as plain numbers. */
export function completionLogprobs(t: TokenLogprobs): number[][] {
  return t.start.map((s, b) => Array.from(t.logp.data.subarray(b * t.T + s, b * t.T + s + t.length[b]!)));
}
