// Group Relative Policy Optimisation (Shao et al. 2024, DeepSeekMath, Algorithm 1): no critic.
// Each step:
//   1. rollout     G completions per prompt from the policy, scored by the reward function;
//   2. advantages  each completion's reward normalised within its group (losses/grpo.ts); a group
//                  whose rewards are all equal teaches nothing and is counted (zeroVarianceGroups);
//   3. optimise    μ passes over minibatches of the clipped surrogate with the k3 KL to the frozen
//                  reference inside the loss (β), π_old being the sampling log-probabilities.
// Steps run in checkpointed blocks through the run store (rollout/blocks.ts).
import { AdamW, clipGradNorm } from '../../nn/index.js';
import type { Transformer } from '../../model/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { grpoAdvantages, grpoLoss } from '../losses/index.js';
import { tokenLogprobs } from '../trainer/logprobs.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { rolloutPairs, samplingFor, stepRollout, type PromptItem } from '../rollout/rollout.js';
import { maskedEntropy, maxLogRatio, meanOf, minibatches, placeRows, stepSeed } from '../rollout/layout.js';
import { frozenReference, rolloutRecords, stepName } from '../rollout/store.js';
import { runBlocks, type StepOutput } from '../rollout/blocks.js';
import { resolveGrpoConfig, type GrpoConfig } from './config.js';

export interface GrpoOptions {
  policy: Transformer;
  /** The frozen reference; default a copy of the policy as it starts. Stored with the run. */
  reference?: Transformer;
  tokenizer: Tokenizer;
  prompts: readonly PromptItem[];
  reward: RewardFn;
  store: RunStore;
  config?: Partial<GrpoConfig>;
  /** Called after every step; a throw here stops the run like a crash. */
  onLog?: (log: GrpoLog) => void;
  quiet?: boolean;
}

export interface GrpoLog {
  step: number;
  /** Mean score (reward function less the missing-EOS penalty). */
  score: number;
  /** Mean over groups of the within-group standard deviation: the signal GRPO learns from. */
  groupStd: number;
  /** Groups whose G scores were all equal (advantages 0), and their share of the step's groups. */
  zeroVarianceGroups: number;
  zeroVarianceFraction: number;
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
  const reference = frozenReference(store, policy, o.reference, tok);
  const opt = new AdamW(policy.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const sampling = samplingFor(c, tok);

  const runStep = async (n: number): Promise<StepOutput<GrpoLog>> => {
    const t0 = performance.now();
    // 1. Rollout: G samples of each prompt, consecutive.
    const { seed, prompts, r, scored } = await stepRollout({ policy, reference, tokenizer: tok, prompts: o.prompts, reward: o.reward, sampling }, c, n, G);
    // 2. Group-normalised advantages, one per completion.
    const adv = grpoAdvantages(scored.scores, G, { scaleByStd: c.scaleByStd });
    // 3. μ epochs of clipped updates, k3 KL to the reference in the loss.
    const B = r.completions.length, rng = new Rng(stepSeed(c.seed, n, 1));
    const m = { loss: 0, kl: 0, clipFrac: 0, entropy: 0, updates: 0 };
    let ratioDeviation = NaN;
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      for (const rows of minibatches(B, c.minibatchSize, rng)) {
        const pick = (x: readonly number[][]) => rows.map((i) => x[i]!);
        const t = tokenLogprobs(policy, rolloutPairs(r, rows), c.temperature);
        const oldLogp = placeRows(pick(r.logprobs), t);
        if (Number.isNaN(ratioDeviation)) ratioDeviation = maxLogRatio(t.logp, oldLogp, t.mask);
        const out = grpoLoss(t.logp, oldLogp, c.beta > 0 ? placeRows(pick(r.refLogprobs), t) : null, rows.map((i) => adv.advantages[i]!),
          new Tensor(t.mask, [t.B, t.T]), { beta: c.beta, clip: c.clip, aggregation: c.aggregation });
        out.loss.backward();
        clipGradNorm(policy.parameters(), c.gradClip);
        opt.update(c.lr);
        opt.zeroGrad();
        m.loss += out.loss.item(); m.kl += out.kl; m.clipFrac += out.clipFrac; m.entropy += maskedEntropy(policy, t, c.temperature); m.updates++;
      }
    }

    const lengths = r.completions.map((x) => x.length);
    const log: GrpoLog = {
      step: n, score: meanOf(scored.scores), groupStd: meanOf(adv.groupStds), zeroVarianceGroups: adv.zeroVarianceGroups,
      zeroVarianceFraction: adv.zeroVarianceGroups / prompts.length, kl: m.kl / m.updates, loss: m.loss / m.updates,
      clipFrac: m.clipFrac / m.updates, entropy: m.entropy / m.updates, responseLength: meanOf(lengths), noEos: scored.noEos / B,
      ratioDeviation, seconds: (performance.now() - t0) / 1000,
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
