// ReST settings (Gulcehre et al. 2023): the Grow/Improve loop, and each Improve step's offline
// fine-tuning (improve.ts). Defaults suit a small policy on one CPU.
import { z } from 'zod';
import { ConfigError, bool, choice, declareConfig, int, json, num, partialGroup, type ConfigOf, type Overrides } from '../../config/index.js';
import { supervisedOptimizerOptions, minLrOf } from '../trainer/optimizer-options.js';
import { checkSchedule, parseSchedule, type ThresholdSchedule } from './thresholds.js';

export type RestLoss = 'bc' | 'gold' | 'bvmpo' | 'oac';
export const REST_LOSSES: readonly RestLoss[] = ['bc', 'gold', 'bvmpo', 'oac'];

export const improveConfig = declareConfig('rest improve', {
  /** BC is the paper's best. */
  loss: choice(REST_LOSSES, 'bc', 'offline loss of the Improve steps'),
  /** More overfits a set the next Grow step replaces anyway. */
  epochs: num(2, 'passes over the kept data per Improve step', { min: 0, aliases: ['num_train_epochs'] }),
  /** So a generous threshold does not make one Improve step the whole run. */
  maxSteps: int(400, 'most optimizer steps per Improve step', { min: 1 }),
  /** As SFT on a small model. */
  batchSize: int(32, 'kept samples per Improve update', { min: 1, aliases: ['per_device_train_batch_size'] }),
  // lr: each Improve step fine-tunes an already trained policy, a third of a from-scratch SFT rate;
  // a fresh optimizer per Improve step, so a few warm-up steps let Adam's moments settle; weight
  // decay 0: decay would pull the policy towards zero, not towards anything the data says.
  ...supervisedOptimizerOptions({ lr: 1e-3, warmupSteps: 10, weightDecay: 0 }),
  evalEvery: int(50, 'validation reward every N Improve steps (and at the last)', { min: 1, aliases: ['eval_steps'] }),
  patience: int(0, 'stop an Improve step after N validations without a new best (0: never)', { min: 0 }),
  /** GOLD's importance-weight floor u (Pang & He 2021). */
  goldMinWeight: num(0.1, "GOLD's importance-weight floor", { min: 0 }),
  /** OAC's truncation c̄ of π/π_b (Retrace, V-trace: 1). */
  oacRatioClip: num(1, "offline actor-critic's truncation of π/π_b", { min: 0 }),
  /** TD3+BC's λ; 1 keeps every kept token's weight λ + ρ·A ≥ 0 for rewards in [0, 1]. */
  oacBcCoef: num(1, "offline actor-critic's behaviour-cloning weight", { min: 0 }),
  /** bvmpo and oac learn a value. */
  valueCoef: num(0.5, "weight of the critic's squared error", { min: 0 }),
  /** Song et al. 2020: 0.01 and 0.005–0.01 for discrete actions. */
  bvmpoEpsEta: num(0.01, "V-MPO's ε_η", { min: 0 }),
  bvmpoEpsAlpha: num(0.01, "V-MPO's ε_α", { min: 0 }),
  /** V-MPO reweights the top half of each batch by advantage. */
  bvmpoTopFraction: num(0.5, "share of each batch V-MPO reweights", { gt: 0, max: 1 }),
  /** The value head and V-MPO's η, α start from nothing, so they learn faster than the language model. */
  criticLr: num(1e-2, 'learning rate of the critic and V-MPO temperatures', { min: 0 }),
}, (c) => {
  if (minLrOf(c) > c.lr) throw new ConfigError(`rest improve config: minLr = ${c.minLr} is above lr = ${c.lr}`, 'minLr');
});

export type ImproveConfig = ConfigOf<typeof improveConfig>;
export const defaultImproveConfig: ImproveConfig = improveConfig.defaults;
export const resolveImproveConfig = (over: Overrides<typeof improveConfig.options> = {}): ImproveConfig => improveConfig.resolve(over);

const scheduleSchema: z.ZodType<ThresholdSchedule> = z.union([
  z.object({ kind: z.literal('fixed'), thresholds: z.array(z.number()) }),
  z.object({ kind: z.literal('percentile'), percentiles: z.array(z.number()) }),
  z.object({ kind: z.literal('interpolate'), gammas: z.array(z.number()) }),
]);

export const restConfig = declareConfig('rest', {
  /** The paper gains most from the first two; more raise the reward model's score faster than human ratings. */
  growSteps: int(2, 'G: Grow steps', { min: 1 }),
  /** One per schedule value. */
  improveSteps: int(3, 'I: Improve steps per Grow step', { min: 1 }),
  samplesPerPrompt: int(8, 'N: samples per prompt in each Grow step', { min: 1, aliases: ['samples', 'num_generations'] }),
  /** Keeps samples diverse without much garbage. */
  temperature: num(0.8, 'Grow sampling temperature', { gt: 0, expected: 'a number > 0 (Grow samples)' }),
  /** 0: the offline losses then see the distribution that was sampled. */
  topK: int(0, 'Grow top-k (0: none)', { min: 0, aliases: ['top_k'] }),
  maxNewTokens: int(64, 'longest sample in tokens', { min: 1, aliases: ['max_completion_length'] }),
  /** The paper's fixed list starts 0, 0.7, 0.8, 0.9, 0.95 (thresholds.ts). */
  schedule: json<ThresholdSchedule>({ kind: 'fixed', thresholds: [0.7, 0.8, 0.9] },
    'thresholds per Improve step: fixed:τ,… (keep R > τ), percentile:p,… (per prompt), interpolate:γ,… (τ = γ·max + (1−γ)·mean per prompt)',
    scheduleSchema, 'fixed:<τ,…>, percentile:<p,…> or interpolate:<γ,…>', (s, where) => {
      try { return parseSchedule(s); } catch (err) { throw new ConfigError(`${where}: ${(err as Error).message}`); }
    }),
  /** Clip for metrics and verifiers, minmax or sigmoid for a reward model (rewards.ts). */
  normalize: choice(['clip', 'minmax', 'sigmoid'] as const, 'clip', 'how raw rewards become [0, 1]'),
  /** The paper keeps D in every grown set. */
  includeOriginal: bool(true, 'keep the original labelled data in every grown set, scored and filtered like the samples'),
  /** Taken from the end of task.train. */
  validationProblems: int(100, "Grow prompts held out to pick each Improve step's checkpoint", { min: 0, aliases: ['validation'] }),
  /** BC by default, the paper's best. */
  improve: partialGroup(improveConfig),
  evalBestOfN: int(0, 'best-of-N on the test problems for every policy (0: off)', { min: 0, aliases: ['best_of_n'] }),
  /** Bounds memory, not results. */
  batchSize: int(128, 'sequences decoded together when growing', { min: 1 }),
  /** Per Grow step, Improve data order and Best-of-N draws, so a resumed run redraws what the lost one drew. */
  seed: int(0, 'seed of Grow sampling, Improve data order and Best-of-N draws', { min: 0 }),
}, (c) => {
  // thresholds.ts words its errors for the schedule alone; here they name both fields, which a
  // command turns into --schedule and --improve-steps.
  try {
    checkSchedule(c.schedule, c.improveSteps);
  } catch (err) {
    const why = (err as Error).message.replace(/^rest schedule: /, '').replace(/for \S+ Improve steps/, `for improveSteps = ${c.improveSteps}`);
    throw new ConfigError(`rest config: schedule ${why}`, 'schedule');
  }
});

export type RestConfig = ConfigOf<typeof restConfig>;
export const defaultRestConfig: RestConfig = restConfig.defaults;
export const resolveRestConfig = (over: Overrides<typeof restConfig.options> = {}): RestConfig => restConfig.resolve(over);
