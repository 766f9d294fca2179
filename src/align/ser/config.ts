// SER settings (Huang et al. 2024): which self-labelled pairs a loop trusts (select.ts), how many
// loops run, and the reward-model, DPO and PPO training inside them. The thresholds are the
// paper's (σ above 0.55 for one response and below 0.45 for the other; a margin of 0.3 once too
// few pairs pass that).
import {
  ConfigError, choice, declareConfig, group, int, num, type ConfigInput, type ConfigOf,
} from '../../config/index.js';
import { dpoConfig } from '../dpo/config.js';
import { ppoConfig } from '../ppo/config.js';
import { rewardModelConfig } from '../reward/config.js';

export type SerCriterion = 'sigmoid-each' | 'sigmoid-diff';

const status1Config = declareConfig('ser status1', {
  hi: num(0.55, 'status 1: the preferred response needs σ(r) above this', { min: 0, max: 1 }),
  lo: num(0.45, 'status 1: the other response needs σ(r) below this', { min: 0, max: 1 }),
  diffThreshold: num(0.7, 'status 1 with sigmoid-diff: σ(|r₁ − r₂|) at least this', { min: 0, max: 1 }),
}, (c) => {
  if (c.lo > c.hi) throw new ConfigError(`ser status1 config: lo = ${c.lo} is above hi = ${c.hi}`, 'lo');
});

const status2Config = declareConfig('ser status2', {
  margin: num(0.3, 'status 2: |Δ| at least this (σ space for sigmoid-each, calibrated scores for sigmoid-diff)', { min: 0 }),
});

const selectOptions = {
  criterion: choice(['sigmoid-each', 'sigmoid-diff'] as const, 'sigmoid-each',
    'sigmoid-each (σ of each calibrated score against hi/lo) or sigmoid-diff (σ(r₁ − r₂) against diffThreshold)'),
  status1: group(status1Config),
  status2: group(status2Config),
  /** The learning status moves 1 → 2 → stop when a status finds fewer. */
  minPairs: int(4, 'fewer confident pairs than this moves status 1 → status 2 → stop', { min: 1 }),
  maxPerLoop: int(0, 'most pairs kept per loop, most confident first (0: all)', { min: 0 }),
};

export const serSelectConfig = declareConfig('ser select', selectOptions);
export type SerSelectConfig = ConfigOf<typeof serSelectConfig>;
export const defaultSerSelectConfig: SerSelectConfig = serSelectConfig.defaults;

/** PPO against the evolved RM moves a policy that DPO would otherwise train: a gentler start than PPO's own defaults. */
export const serPpoConfig = ppoConfig.withDefaults('ser ppo', { steps: 50, lr: 1e-5, klCoef: 0.1 });

export const serConfig = declareConfig('ser', {
  ...selectOptions,
  maxLoops: int(3, 'most self-labelling loops', { min: 0 }),
  /** 'seed': from the base model each time; 'continue': from the previous reward model. */
  retrain: choice(['seed', 'continue'] as const, 'seed', 'each retrain starts from the base model (seed) or continues the previous RM (continue)'),
  /** PPO needs a run store. */
  policyStep: choice(['dpo', 'ppo', 'none'] as const, 'dpo', 'dpo (on the pairs the evolved RM labels), ppo (against the evolved RM, normalised on reference samples) or none'),
  /** For the seed RM and every retrain. */
  rm: group(rewardModelConfig),
  /**
   * > 0: each RM training runs ceil(rmEpochs · pairs / batch) steps (at least 10) instead of
   * rm.steps, so the seed RM does not memorise its few labels for as many steps as a retrain on
   * thousands of pairs takes.
   */
  rmEpochs: num(0, 'passes over the pairs per reward-model training (0: rm steps)', { min: 0 }),
  dpo: group(dpoConfig),
  /** Its prompts are the distinct prompts of the training pairs. */
  ppo: group(serPpoConfig),
  /** One per prompt up to this many. */
  normalisationSamples: int(256, 'reference samples the RM is normalised on before PPO (mean 0, std 1)', { min: 2 }),
  scoreBatchSize: int(32, 'sequences per scoring forward', { min: 1 }),
});

export type SerConfig = ConfigOf<typeof serConfig>;
/** What a caller passes: any subset, nested ones too. */
export type SerConfigInput = ConfigInput<typeof serConfig>;
export const defaultSerConfig: SerConfig = serConfig.defaults;
export const resolveSerConfig = (over: SerConfigInput = {}): SerConfig => serConfig.resolve(over);
