// REINFORCE Leave-One-Out (Ahmadian et al. 2024, "Back to basics", section 3.2): no critic, the
// whole completion is one action. Each step:
//   1. rollout     k completions per prompt from the policy, scored by the reward function;
//   2. rewards     the KL to the frozen reference folded into each sample's reward, as the paper
//                  does: r = score − β·Σₜ(log π − log ref) over the sampled tokens;
//   3. advantages  each reward minus the mean of the other k − 1 of its prompt (losses/rloo.ts);
//   4. optimise    one REINFORCE step on −A·log π(y|x), gradients accumulated over minibatches.
// Steps run in checkpointed blocks through the run store (rollout/blocks.ts).
import { mul } from '../../ops/index.js';
import { AdamW, clipGradNorm } from '../../nn/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { klEstimate, rlooAdvantages, rlooLoss } from '../losses/index.js';
import { tokenLogprobs } from '../trainer/logprobs.js';
import { rolloutPairs, generatorOf, samplingFor, stepRollout, type OnlineTrainerOptions } from '../rollout/rollout.js';
import { maskedEntropy, maxLogRatio, meanOf, minibatches, placeRows, stepSeed } from '../rollout/layout.js';
import { frozenReference, rolloutRecords, stepName } from '../rollout/store.js';
import { runBlocks, type StepOutput } from '../rollout/blocks.js';
import { resolveRlooConfig, type RlooConfig } from './config.js';

export type RlooOptions = OnlineTrainerOptions<RlooConfig, RlooLog>;

export interface RlooLog {
  step: number;
  /** Mean score (reward function less the missing-EOS penalty). */
  score: number;
  /** Mean sequence KL Σₜ(log π − log ref) of the samples (k1: may dip below 0 on one batch). */
  kl: number;
  /** Mean of score − β·KL: what RLOO maximises. */
  reward: number;
  beta: number;
  /** Mean |advantage|: how much the leave-one-out baselines left to learn from. */
  advantageAbs: number;
  loss: number;
  gradNorm: number;
  entropy: number;
  responseLength: number;
  noEos: number;
  /** max |log π − log π_sample| on the first minibatch before the update: 0 up to rounding. */
  ratioDeviation: number;
  seconds: number;
}

export interface RlooResult { logs: RlooLog[]; step: number }

export async function trainRloo(o: RlooOptions): Promise<RlooResult> {
  const c = resolveRlooConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  const k = c.samplesPerPrompt;
  const reference = frozenReference(store, policy, o.reference, tok);
  const opt = new AdamW(policy.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const sampling = samplingFor(c, tok);

  const runStep = async (n: number): Promise<StepOutput<RlooLog>> => {
    const t0 = performance.now();
    // 1. Rollout: k samples of each prompt, consecutive.
    const { seed, r, scored } = await stepRollout({ policy, reference, tokenizer: tok, prompts: o.prompts, reward: o.reward, sampling, ...generatorOf(o) }, c, n, k);
    // 2. KL-regularised sequence rewards.
    const seqKl = r.logprobs.map((lp, i) => lp.reduce((s, x, t) => s + klEstimate(x, r.refLogprobs[i]![t]!, 'k1'), 0));
    const rewards = scored.scores.map((s, i) => s - c.beta * seqKl[i]!);
    // 3. Leave-one-out advantages.
    const adv = rlooAdvantages(rewards, k);
    // 4. One REINFORCE update over the batch.
    const B = r.completions.length;
    let loss = 0, entropy = 0, parts = 0, ratioDeviation = NaN;
    for (const rows of minibatches(B, c.minibatchSize, new Rng(stepSeed(c.seed, n, 1)))) {
      const t = tokenLogprobs(policy, rolloutPairs(r, rows), c.temperature);
      if (Number.isNaN(ratioDeviation)) ratioDeviation = maxLogRatio(t.logp, placeRows(rows.map((i) => r.logprobs[i]!), t), t.mask);
      const l = mul(rlooLoss(t.logp, rows.map((i) => adv[i]!), new Tensor(t.mask, [t.B, t.T])), rows.length / B); // this part's share of the batch mean
      l.backward();
      loss += l.item();
      entropy += maskedEntropy(policy, t, c.temperature);
      parts++;
    }
    const gradNorm = clipGradNorm(policy.parameters(), c.gradClip);
    opt.update(c.lr);
    opt.zeroGrad();

    const lengths = r.completions.map((x) => x.length);
    const log: RlooLog = {
      step: n, score: meanOf(scored.scores), kl: meanOf(seqKl), reward: meanOf(rewards), beta: c.beta, advantageAbs: meanOf(adv.map(Math.abs)),
      loss, gradNorm, entropy: entropy / parts, responseLength: meanOf(lengths), noEos: scored.noEos / B, ratioDeviation,
      seconds: (performance.now() - t0) / 1000,
    };
    return {
      log,
      records: rolloutRecords(r, scored, {
        step: n, policy: stepName(n - 1), temperature: c.temperature, topK: c.topK, seed,
        extra: (i) => ({ group: Math.floor(i / k), kl: seqKl[i]!, advantage: adv[i]! }),
      }),
    };
  };

  return runBlocks<RlooLog>({
    store, tokenizer: tok, parts: { policy, optimizers: { policy: opt } }, steps: c.steps, saveEvery: c.saveEvery, label: 'rloo',
    quiet: o.quiet, onLog: o.onLog, step: runStep,
    show: (l) => ({ score: l.score, kl: l.kl }),
  });
}
