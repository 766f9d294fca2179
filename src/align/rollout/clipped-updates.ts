// The update half of a critic-free clipped policy-gradient step (GRPO and its loss types,
// REINFORCE++): μ epochs over shuffled minibatches of one rollout, each a grpoLoss step with the
// sampling log-probabilities as π_old. The trainer decides which samples take part (DAPO's dynamic
// sampling drops whole groups), which are left out of the loss (masked truncated completions) and
// each sample's advantage, one per completion or one per token.
import { AdamW, clipGradNorm } from '../../nn/index.js';
import type { Transformer } from '../../model/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { grpoLoss, type GrpoLossOptions } from '../losses/index.js';
import { tokenLogprobs } from '../trainer/logprobs.js';
import { maskedEntropy, maxLogRatio, minibatches, placeRows, stepSeed } from './layout.js';
import { rolloutPairs, type Rollout } from './rollout.js';

export interface ClippedUpdateConfig {
  epochs: number;
  minibatchSize: number;
  temperature: number;
  gradClip: number;
  lr: number;
  seed: number;
}

export interface ClippedUpdateInput {
  policy: Transformer;
  opt: AdamW;
  r: Rollout;
  /** The samples that take part, as indices into the rollout. */
  rows: readonly number[];
  /** A sample's advantage: one number for the completion, or one per completion token. */
  advantage: (i: number) => number | readonly number[];
  /** Samples whose tokens are left out of the loss (they still count as rows in a mean over outputs). */
  masked: (i: number) => boolean;
  c: ClippedUpdateConfig;
  step: number;
  loss: GrpoLossOptions;
}

export interface ClippedUpdateStats {
  loss: number;
  kl: number;
  clipFrac: number;
  entropy: number;
  /** Optimizer steps taken (a minibatch whose every token is masked takes none). */
  updates: number;
  /** max |log π − log π_old| on the first minibatch before any update: 0 up to rounding. */
  ratioDeviation: number;
}

export function clippedUpdates(o: ClippedUpdateInput): ClippedUpdateStats {
  const { policy, opt, r, c } = o;
  const rng = new Rng(stepSeed(c.seed, o.step, 1));
  const m = { loss: 0, kl: 0, clipFrac: 0, entropy: 0, updates: 0, ratioDeviation: NaN };
  const active = o.rows.reduce((n, i) => n + (o.masked(i) ? 0 : r.completions[i]!.length), 0);
  const parts = Math.ceil(o.rows.length / (c.minibatchSize > 0 ? c.minibatchSize : Math.max(1, o.rows.length)));
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    for (const picked of minibatches(o.rows.length, c.minibatchSize, rng)) {
      const rows = picked.map((k) => o.rows[k]!);
      const t = tokenLogprobs(policy, rolloutPairs(r, rows), c.temperature);
      const oldLogp = placeRows(rows.map((i) => r.logprobs[i]!), t);
      if (Number.isNaN(m.ratioDeviation)) m.ratioDeviation = maxLogRatio(t.logp, oldLogp, t.mask);
      const mask = new Tensor(t.mask.map((x, k) => (o.masked(rows[Math.floor(k / t.T)]!) ? 0 : x)), [t.B, t.T]);
      if (!mask.data.some((x) => x !== 0)) continue;
      const adv = rows.map((i) => o.advantage(i));
      const advantages = typeof adv[0] === 'number' ? (adv as number[]) : placeRows(adv as number[][], t);
      const ref = o.loss.beta ? placeRows(rows.map((i) => r.refLogprobs[i]!), t) : null;
      const out = grpoLoss(t.logp, oldLogp, ref, advantages, mask, { ...o.loss, tokenNormalizer: active / parts });
      out.loss.backward();
      clipGradNorm(policy.parameters(), c.gradClip);
      opt.update(c.lr);
      opt.zeroGrad();
      m.loss += out.loss.item(); m.kl += out.kl; m.clipFrac += out.clipFrac; m.entropy += maskedEntropy(policy, t, c.temperature); m.updates++;
    }
  }
  const per = Math.max(1, m.updates);
  return { loss: m.loss / per, kl: m.kl / per, clipFrac: m.clipFrac / per, entropy: m.entropy / per, updates: m.updates, ratioDeviation: m.ratioDeviation };
}
