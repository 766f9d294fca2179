// REINFORCE++ settings (Hu 2025; OpenRLHF's reinforce and reinforce_baseline estimators, whose
// defaults these follow where the paper gives none).
import { ConfigError, bool, choice, declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { clippedUpdateOptions } from '../grpo/config.js';
import { onlineOptions } from '../rollout/config.js';

export const reinforcePpConfig = declareConfig('reinforce-pp', {
  ...onlineOptions({ promptsPerStep: 8, samplesPerPrompt: 4 }),
  /** Plain REINFORCE++ learns from one sample per prompt; the baseline needs a group. */
  samplesPerPrompt: int(4, 'completions per prompt', { min: 1, aliases: ['num_generations', 'n_samples_per_prompt'] }),
  ...clippedUpdateOptions({ clip: 0.2 }),
  /** OpenRLHF's init_kl_coef for REINFORCE++. */
  beta: num(0.01, 'β of the per-token KL penalty folded into the reward', { min: 0, aliases: ['init_kl_coef', 'kl_coef'] }),
  /** 1: the score counts the same for every token of the completion. */
  gamma: num(1, 'discount of the reward-to-go', { min: 0, max: 1 }),
  /** REINFORCE++-baseline: each prompt's mean score as the baseline (its samples consecutive). */
  baseline: bool(false, 'subtract each prompt\'s mean score (REINFORCE++-baseline)'),
  /** k1 keeps the penalty unbiased per token; k3 is never negative. */
  klEstimator: choice(['k1', 'k3'] as const, 'k1', 'per-token KL estimator in the reward', { aliases: ['kl_estimator'] }),
}, (c) => {
  if (c.baseline && c.samplesPerPrompt < 2) throw new ConfigError(`reinforce-pp config: baseline needs samplesPerPrompt ≥ 2 (a prompt's mean over its own samples), got ${c.samplesPerPrompt}`, 'samplesPerPrompt');
});

export type ReinforcePpConfig = ConfigOf<typeof reinforcePpConfig>;
export const defaultReinforcePpConfig: ReinforcePpConfig = reinforcePpConfig.defaults;
export const resolveReinforcePpConfig = (over: Overrides<typeof reinforcePpConfig.options> = {}): ReinforcePpConfig => reinforcePpConfig.resolve(over);
