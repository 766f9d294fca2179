// REINFORCE++ (Hu 2025, "REINFORCE++: a simple and efficient approach for aligning large language
// models"; OpenRLHF's advantage estimators "reinforce" and "reinforce_baseline"): PPO's
// token-level machinery without a critic. Each token's reward is the KL penalty −β·KLₜ, the last
// real token also gets the score; the advantage is the reward-to-go
//   Gₜ = Σ_{s ≥ t} γ^(s − t) rₛ
// whitened over every completion token of the batch (global batch normalisation, the paper's
// answer to GRPO's per-prompt normalisation). The -baseline variant first subtracts each prompt's
// mean score from its samples' scores, a baseline that needs no critic and no
// per-group std. The loss is the PPO clipped surrogate on these per-token advantages.
import { gae, klPenaltyRewards, whiten, type KlEstimator } from './ppo-rewards.js';
import { expectGroups } from '../common.js';

export interface ReinforcePpOptions {
  /** β of the per-token KL penalty in the reward. */
  beta: number;
  /** Discount of the reward-to-go; 1 as the paper. */
  gamma?: number;
  /** Subtract each prompt's mean score (REINFORCE++-baseline); needs groupSize. */
  baseline?: boolean;
  /** Samples per prompt, consecutive (the baseline's groups). */
  groupSize?: number;
  estimator?: KlEstimator;
}

export interface ReinforcePpAdvantages {
  /** Whitened reward-to-go per completion token, one row per sample. */
  advantages: number[][];
  /** The unwhitened reward-to-go. */
  returns: number[][];
  /** Per-token KL estimates, one row per sample. */
  kl: number[][];
  /** The scores after the baseline (equal to the scores without it). */
  shaped: number[];
}

/** REINFORCE++ advantages of completions with per-token log-probabilities under the policy and the reference. */
export function reinforcePpAdvantages(scores: readonly number[], logprobs: readonly (readonly number[])[], refLogprobs: readonly (readonly number[])[],
  o: ReinforcePpOptions): ReinforcePpAdvantages {
  const op = 'reinforcePpAdvantages';
  if (logprobs.length !== scores.length || refLogprobs.length !== scores.length) {
    throw new RangeError(`${op}: ${scores.length} scores, ${logprobs.length} rows of log-probabilities and ${refLogprobs.length} of reference log-probabilities; expected one row per score`);
  }
  let shaped = [...scores];
  if (o.baseline) {
    const G = o.groupSize ?? 0;
    expectGroups(op, scores, G, 2);
    shaped = scores.map((s, i) => {
      const g = Math.floor(i / G) * G;
      return s - scores.slice(g, g + G).reduce((a, b) => a + b, 0) / G;
    });
  }
  // Rows padded to one width: the PPO helpers take (B, T) with a mask.
  const T = Math.max(1, ...logprobs.map((r) => r.length));
  const pad = (r: readonly number[]) => [...r, ...new Array<number>(T - r.length).fill(0)];
  const mask = logprobs.map((r) => pad(r.map(() => 1)));
  const { rewards, kl } = klPenaltyRewards(shaped, logprobs.map(pad), refLogprobs.map(pad), mask, o.beta, { estimator: o.estimator ?? 'k1' });
  const { returns } = gae(rewards, rewards.map((r) => r.map(() => 0)), mask, o.gamma ?? 1, 1);
  const advantages = whiten(returns, mask);
  const cut = (rows: number[][]) => rows.map((r, b) => r.slice(0, logprobs[b]!.length));
  return { advantages: cut(advantages), returns: cut(returns), kl: cut(kl), shaped };
}
