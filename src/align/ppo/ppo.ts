// RLHF with PPO (Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022), as TRL runs it.
// Each step:
//   1. rollout   the policy samples completions; the reference and the critic score their tokens;
//                the reward function scores the texts (rollout.ts);
//   2. rewards   every token pays −β·KLₜ to the reference, the score arrives on the last token;
//                GAE turns rewards and values into advantages and value targets; advantages are
//                whitened over the batch (losses/ppo-rewards.ts);
//   3. optimise  `epochs` passes over shuffled minibatches of the clipped surrogate plus the
//                clipped value loss (losses/ppo.ts), π_old being the sampling log-probabilities;
//   4. β         the adaptive controller moves β towards the target KL (losses/kl-controller.ts).
// The critic is a value head `v_head` on the policy's trunk (one forward serves both losses) or
// a separate model, e.g. a copy of the reward model whose `score` head then predicts values.
// Steps run in checkpointed blocks through the run store (rollout/blocks.ts, rollout/store.ts).
import { add, mul } from '../../ops/index.js';
import { AdamW, clipGradNorm } from '../../nn/index.js';
import { addScalarHead, scalarPerToken, type Transformer } from '../../model/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import {
  AdaptiveKlController, FixedKlController, explainedVariance, gae, klPenaltyRewards, ppoPolicyLoss, ppoValueLoss, whiten, type KlController,
} from '../losses/index.js';
import { tokenLogprobs } from '../trainer/logprobs.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { rolloutPairs, generatorOf, samplingFor, stepRollout, type PromptItem, type Rollout, type ValueSource } from '../rollout/rollout.js';
import {
  completionValues, maskRows, maskedEntropy, maxLogRatio, meanOf, minibatches, padRows, placeRows, stepSeed, unpadRows,
} from '../rollout/layout.js';
import { frozenReference, rolloutRecords, stepName, type TrainerParts } from '../rollout/store.js';
import { runBlocks, type StepOutput } from '../rollout/blocks.js';
import type { Generator } from '../trainer/generator/generator.js';
import { resolvePpoConfig, type PpoConfig } from './config.js';

/** The value head PPO adds to the policy when no separate critic is given (TRL's name). */
export const VALUE_HEAD = 'v_head';

export interface PpoOptions {
  policy: Transformer;
  /** The frozen reference; default a copy of the policy as it starts. Stored with the run. */
  reference?: Transformer;
  /** A separate critic, not shared with the reward function (pass a clone of the reward model). Default: `v_head` on the policy. */
  critic?: ValueSource | null;
  tokenizer: Tokenizer;
  prompts: readonly PromptItem[];
  reward: RewardFn;
  store: RunStore;
  config?: Partial<PpoConfig>;
  /** Called after every step; a throw here stops the run like a crash (the block in progress is lost, metrics included). */
  onLog?: (log: PpoLog) => void;
  quiet?: boolean;
  /** Where rollouts are sampled (default this process), and every how many updates the policy is pushed there. */
  generator?: Generator;
  generatorSyncEvery?: number;
}

export interface PpoLog {
  step: number;
  /** Mean score (reward function less the missing-EOS penalty). */
  score: number;
  /** Mean of score − β·Σₜ KLₜ: what PPO maximises. */
  reward: number;
  /** Mean sequence KL to the reference (the estimator's), what the controller tracks. */
  kl: number;
  beta: number;
  /** Mean per-token entropy of the policy on its samples (nats), over the updates. */
  entropy: number;
  clipFrac: number;
  /** ½(log π − log π_old)² per token, over the updates. */
  approxKl: number;
  policyLoss: number;
  valueLoss: number;
  valueClipFrac: number;
  /** Of the rollout values against the GAE returns. */
  explainedVariance: number;
  responseLength: number;
  /** Fraction of samples that never emitted EOS. */
  noEos: number;
  /** max |log π − log π_old| on the first minibatch before any update: 0 up to rounding, else sampling and training disagree. */
  ratioDeviation: number;
  seconds: number;
}

export interface PpoResult { logs: PpoLog[]; step: number }

export async function trainPpo(o: PpoOptions): Promise<PpoResult> {
  const c = resolvePpoConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  const reference = frozenReference(store, policy, o.reference, tok);
  if (!o.critic && !policy.params.has(`${VALUE_HEAD}.weight`)) addScalarHead(policy, VALUE_HEAD, new Rng(c.seed));
  const value: ValueSource = o.critic ?? { model: policy, head: VALUE_HEAD };
  const critic = o.critic ? o.critic.model : null;
  const adam = (m: Transformer) => new AdamW(m.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const optimizers: Record<string, AdamW> = critic ? { policy: adam(policy), critic: adam(critic) } : { policy: adam(policy) };
  const parts: TrainerParts = { policy, critic, optimizers };
  const kl: KlController = c.adaptiveKl ? new AdaptiveKlController({ init: c.klCoef, target: c.klTarget, horizon: c.klHorizon }) : new FixedKlController(c.klCoef);

  const sampling = samplingFor(c, tok);

  const runStep = async (n: number): Promise<StepOutput<PpoLog>> => {
    const t0 = performance.now();
    // 1. Rollout.
    const { seed, r, scored } = await stepRollout({ policy, reference, tokenizer: tok, prompts: o.prompts, reward: o.reward, sampling, value, ...generatorOf(o) }, c, n, c.samplesPerPrompt);
    // 2. Per-token rewards, advantages, value targets (bookkeeping layout).
    const lengths = r.completions.map((t) => t.length), mask = maskRows(lengths);
    const beta = kl.value;
    const shaped = klPenaltyRewards(scored.scores, padRows(r.logprobs), padRows(r.refLogprobs), mask, beta, { estimator: c.klEstimator });
    const oldValues = padRows(r.values!);
    const g = gae(shaped.rewards, oldValues, mask, c.gamma, c.lambda);
    const advantages = unpadRows(c.whitenAdvantages ? whiten(g.advantages, mask) : g.advantages, lengths);
    const returns = unpadRows(g.returns, lengths);
    // 3. Epochs of clipped updates over minibatches.
    const { m, ratioDeviation } = ppoUpdates({ c, policy, critic, head: value.head, optimizers, r, advantages, returns, rng: new Rng(stepSeed(c.seed, n, 1)) });
    // 4. The KL coefficient, fed the batch's sequence KL and its sample count.
    kl.update(shaped.meanKl, lengths.length);

    const seqKl = shaped.kl.map((row) => row.reduce((s, x) => s + x, 0));
    const log: PpoLog = {
      step: n, score: meanOf(scored.scores), reward: meanOf(scored.scores.map((s, i) => s - beta * seqKl[i]!)), kl: shaped.meanKl, beta,
      entropy: m.entropy / m.updates, clipFrac: m.clipFrac / m.updates, approxKl: m.approxKl / m.updates,
      policyLoss: m.policyLoss / m.updates, valueLoss: m.valueLoss / m.updates, valueClipFrac: m.valueClipFrac / m.updates,
      explainedVariance: explainedVariance(oldValues, g.returns, mask), responseLength: meanOf(lengths), noEos: scored.noEos / lengths.length,
      ratioDeviation, seconds: (performance.now() - t0) / 1000,
    };
    return {
      log,
      records: rolloutRecords(r, scored, {
        step: n, policy: stepName(n - 1), temperature: c.temperature, topK: c.topK, seed,
        extra: (i) => ({ kl: seqKl[i]!, tokenKl: shaped.kl[i]!.slice(0, lengths[i]) }),
      }),
    };
  };

  return runBlocks<PpoLog>({
    store, tokenizer: tok, parts, steps: c.steps, saveEvery: c.saveEvery, label: 'ppo', quiet: o.quiet, onLog: o.onLog,
    state: () => ({ beta: kl.value }),
    restore: (state) => { if (kl instanceof AdaptiveKlController) kl.value = Number(state['beta']); },
    step: runStep,
    show: (l) => ({ score: l.score, kl: l.kl, beta: l.beta }),
  });
}

interface UpdateInputs {
  c: PpoConfig;
  policy: Transformer;
  critic: Transformer | null;
  /** The critic's value head (VALUE_HEAD on the policy when critic is null). */
  head: string;
  optimizers: Readonly<Record<string, AdamW>>;
  r: Rollout;
  advantages: number[][];
  returns: number[][];
  rng: Rng;
}

/** `epochs` passes of clipped policy and value updates over shuffled minibatches; sums of the metrics over the updates. */
function ppoUpdates(u: UpdateInputs) {
  const { c, policy, critic, optimizers, r } = u;
  const m = { policyLoss: 0, valueLoss: 0, clipFrac: 0, valueClipFrac: 0, approxKl: 0, entropy: 0, updates: 0 };
  let ratioDeviation = NaN;
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    for (const rows of minibatches(r.completions.length, c.minibatchSize, u.rng)) {
      const pairs = rolloutPairs(r, rows);
      const pick = (x: readonly number[][]) => rows.map((i) => x[i]!);
      const t = tokenLogprobs(policy, pairs, c.temperature);
      const M = new Tensor(t.mask, [t.B, t.T]);
      const oldLogp = placeRows(pick(r.logprobs), t);
      if (Number.isNaN(ratioDeviation)) ratioDeviation = maxLogRatio(t.logp, oldLogp, t.mask);
      const pl = ppoPolicyLoss(t.logp, oldLogp, placeRows(pick(u.advantages), t), M, c.clip);
      const values = critic ? completionValues(critic, u.head, pairs).values : scalarPerToken(policy, t.hidden, VALUE_HEAD); // (B, T)
      const vl = ppoValueLoss(values, placeRows(pick(r.values!), t), placeRows(pick(u.returns), t), M, c.clipValue);
      add(pl.loss, mul(vl.loss, c.vfCoef)).backward();
      for (const [key, opt] of Object.entries(optimizers)) {
        clipGradNorm((key === 'critic' ? critic! : policy).parameters(), c.gradClip);
        opt.update(c.lr);
        opt.zeroGrad();
      }
      m.policyLoss += pl.loss.item(); m.valueLoss += vl.loss.item(); m.clipFrac += pl.clipFrac; m.valueClipFrac += vl.clipFrac;
      m.approxKl += pl.approxKl; m.entropy += maskedEntropy(policy, t, c.temperature); m.updates++;
    }
  }
  return { m, ratioDeviation };
}
