// Group Relative Policy Optimisation (Shao et al. 2024, DeepSeekMath, Algorithm 1): no critic.
// Each step:
//   1. rollout     G completions per prompt from the policy, scored by the reward function;
//   2. advantages  each completion's reward less its group's mean, divided by the group's std, the
//                  batch's or nothing (scaleRewards; losses/policy-gradient/grpo.ts); a group whose
//                  rewards are all equal teaches nothing and is counted (zeroVarianceGroups), and
//                  with dynamicSampling left out of the update (DAPO);
//   3. optimise    μ passes over minibatches of the loss type's clipped surrogate (grpo-loss.ts)
//                  with the k3 KL to the frozen reference inside the loss (β), π_old being the
//                  sampling log-probabilities (rollout/clipped-updates.ts); completions cut at
//                  maxNewTokens are left out of the loss with maskTruncatedCompletions.
// Steps run in checkpointed blocks through the run store (rollout/blocks.ts).
import { AdamW } from '../../nn/index.js';
import { grpoAdvantages, informativeGroups } from '../losses/index.js';
import { generatorOf, samplingFor, stepRollout, type OnlineTrainerOptions } from '../rollout/rollout.js';
import { meanOf } from '../rollout/layout.js';
import { frozenReference, rolloutRecords, stepName } from '../rollout/store.js';
import { runBlocks, type StepOutput } from '../rollout/blocks.js';
import { clippedUpdates } from '../rollout/clipped-updates.js';
import { grpoLossOptions, resolveGrpoConfig, type GrpoConfig } from './config.js';

export type GrpoOptions = OnlineTrainerOptions<GrpoConfig, GrpoLog>;

export interface GrpoLog {
  step: number;
  /** Mean score (reward function less the missing-EOS penalty). */
  score: number;
  /** Mean over groups of the within-group standard deviation: the signal GRPO learns from. */
  groupStd: number;
  /** Groups whose G scores were all equal (advantages 0), and their share of the step's groups. */
  zeroVarianceGroups: number;
  zeroVarianceFraction: number;
  /** Samples that took part in the update (dynamic sampling leaves the all-equal groups out). */
  trained: number;
  /** Completions left out of the loss for never emitting EOS (maskTruncatedCompletions). */
  masked: number;
  /** Mean per-token k3 KL(π‖ref) over the updates (≥ 0). */
  kl: number;
  loss: number;
  clipFrac: number;
  entropy: number;
  responseLength: number;
  noEos: number;
  /** max |log π − log π_old| on the first minibatch before any update: 0 up to rounding. */
  ratioDeviation: number;
  seconds: number;
}

export interface GrpoResult { logs: GrpoLog[]; step: number }

export async function trainGrpo(o: GrpoOptions): Promise<GrpoResult> {
  const c = resolveGrpoConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  const G = c.samplesPerPrompt;
  // With β = 0 the loss has no KL term: no reference is kept or run (TRL does the same).
  const reference = c.beta > 0 ? frozenReference(store, policy, o.reference, tok) : null;
  const opt = new AdamW(policy.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const sampling = samplingFor(c, tok);

  const runStep = async (n: number): Promise<StepOutput<GrpoLog>> => {
    const t0 = performance.now();
    // 1. Rollout: G samples of each prompt, consecutive.
    const { seed, prompts, r, scored } = await stepRollout({ policy, reference, tokenizer: tok, prompts: o.prompts, reward: o.reward, sampling, ...generatorOf(o) }, c, n, G);
    // 2. Group-normalised advantages, one per completion; the groups that take part.
    const adv = grpoAdvantages(scored.scores, G, { scaleRewards: c.scaleRewards });
    const B = r.completions.length;
    const groups = c.dynamicSampling ? informativeGroups(scored.scores, G) : Array.from({ length: B / G }, (_, g) => g);
    const rows = groups.flatMap((g) => Array.from({ length: G }, (_, j) => g * G + j));
    const cut = (i: number) => c.maskTruncatedCompletions && r.finishReasons[i] === 'length';
    // 3. μ epochs of clipped updates, k3 KL to the reference in the loss.
    const m = clippedUpdates({
      policy, opt, r, rows, advantage: (i) => adv.advantages[i]!, masked: cut, c, step: n, loss: grpoLossOptions(c),
    });
    const lengths = r.completions.map((x) => x.length);
    const log: GrpoLog = {
      step: n, score: meanOf(scored.scores), groupStd: meanOf(adv.groupStds), zeroVarianceGroups: adv.zeroVarianceGroups,
      zeroVarianceFraction: adv.zeroVarianceGroups / prompts.length, trained: rows.length, masked: rows.filter(cut).length,
      kl: m.kl, loss: m.loss, clipFrac: m.clipFrac, entropy: m.entropy, responseLength: meanOf(lengths), noEos: scored.noEos / B,
      ratioDeviation: m.ratioDeviation, seconds: (performance.now() - t0) / 1000,
    };
    return {
      log,
      records: rolloutRecords(r, scored, {
        step: n, policy: stepName(n - 1), temperature: c.temperature, topK: c.topK, seed,
        extra: (i) => ({ group: Math.floor(i / G), advantage: adv.advantages[i]! }),
      }),
    };
  };

  return runBlocks<GrpoLog>({
    store, tokenizer: tok, parts: { policy, optimizers: { policy: opt } }, steps: c.steps, saveEvery: c.saveEvery, label: 'grpo',
    quiet: o.quiet, onLog: o.onLog, step: runStep,
    show: (l) => ({ score: l.score, kl: l.kl, zeroVar: l.zeroVarianceGroups }),
  });
}
