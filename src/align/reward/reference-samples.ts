// What `normalizeRewards` measures the reward scale on: completions the reference policy samples
// for the training prompts (Ziegler et al. 2019 §2 normalise on the policy PPO starts from).
// Moved here from `alignkit reward` so that the job, and anything else, can normalise alike.
import { generate, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { PreferencePair } from '../trainer/preference-data.js';

/** Room for a prompt in the policy's positions once `maxNewTokens` are reserved (< 1: none). */
export const promptRoom = (policy: Transformer, maxNewTokens: number): number => policy.config.maxSeqLen - maxNewTokens;

/**
 * `n` completions of the distinct prompts of `pairs` (cycled, in order) sampled at temperature 1
 * from `policy`, each prompt cut to its last tokens so that `maxNewTokens` fit.
 */
export function referenceSamples(
  policy: Transformer, tok: Tokenizer, pairs: readonly PreferencePair[], n: number, maxNewTokens: number, seed: number,
): { prompt: string; completion: string; chat: boolean }[] {
  // A chat prompt is a template render, encoded with the template's special tokens.
  const chat = new Map(pairs.map((p) => [p.prompt, p.chat === true]));
  const prompts = [...chat.keys()];
  if (prompts.length === 0) throw new RangeError('referenceSamples: no prompts to sample from');
  const chosen = Array.from({ length: n }, (_, i) => prompts[i % prompts.length]!);
  const room = promptRoom(policy, maxNewTokens);
  if (room < 1) throw new RangeError(`referenceSamples: maxNewTokens ${maxNewTokens} leaves no room for a prompt in the policy's ${policy.config.maxSeqLen} positions`);
  const ids = chosen.map((t) => {
    const e = tok.encode(t, { parseSpecial: chat.get(t)! });
    return e.length ? e.slice(-room) : [tok.bos ?? tok.eos ?? 0];
  });
  const samples = generate(policy, ids, { maxNewTokens, temperature: 1, seed, stopTokens: tok.eos !== null ? [tok.eos] : [], tokenizer: tok, batchSize: 32 });
  return samples.map((s) => {
    const prompt = chosen[s.promptIndex]!;
    return { prompt, completion: s.text ?? tok.decode(s.tokens, { skipSpecial: true }), chat: chat.get(prompt)! };
  });
}
