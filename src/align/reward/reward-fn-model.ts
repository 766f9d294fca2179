// A learned reward model as a RewardFn: a Transformer with a scalar head `score` read at the last
// token of prompt + completion + EOS (Ouyang et al. 2022, section 3.5: one scalar for the whole
// response), tokenised exactly as reward-model.ts trained it, with the reward model's own
// tokenizer, so policy and reward model need not share one.
import { loadModelDir, type FrozenDtype, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { checkRewardInputs, type RewardFn } from '../trainer/reward-fn.js';
import { SCORE_HEAD, scoreTexts } from './reward-model.js';

export interface RewardModelRewardOptions {
  /** Sequences per forward pass. */
  batchSize?: number;
}

/** Scores `prompt + completion` texts with a reward model (no graph). */
export function rewardModelReward(model: Transformer, tokenizer: Tokenizer, opts: RewardModelRewardOptions = {}): RewardFn {
  if (!model.params.has(`${SCORE_HEAD}.weight`)) throw new Error(`rewardModelReward: the model has no "${SCORE_HEAD}" head; is it a reward model?`);
  return async (prompts, completions, meta) => {
    checkRewardInputs('rewardModelReward', prompts, completions, meta);
    return scoreTexts(model, tokenizer, prompts, completions, { ...opts, ...(meta.chatPrompts ? { chatPrompts: meta.chatPrompts } : {}) });
  };
}

/** A reward model directory (config.json, model.safetensors with `score.*`, tokenizer.json) and its RewardFn. */
export function loadRewardModel(dir: string, opts: RewardModelRewardOptions & { frozenDtype?: FrozenDtype } = {}): { model: Transformer; tokenizer: Tokenizer; reward: RewardFn } {
  // Scoring only: its matrices stay 16-bit when the checkpoint's are (issue 18).
  const { model, tokenizer } = loadModelDir(dir, { frozenDtype: opts.frozenDtype ?? 'keep' });
  if (!model.params.has(`${SCORE_HEAD}.weight`)) throw new Error(`${dir}: model.safetensors has no "${SCORE_HEAD}.weight"; a reward model needs its scalar head`);
  if (!tokenizer) throw new Error(`${dir}: no tokenizer.json; the reward model must encode the texts with its own tokenizer`);
  return { model, tokenizer, reward: rewardModelReward(model, tokenizer, opts) };
}
