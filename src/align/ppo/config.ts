// PPO settings (RLHF: Ziegler et al. 2019; Ouyang et al. 2022; TRL's defaults where they exist).
import { ConfigError, bool, choice, declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import type { KlEstimator } from '../losses/index.js';
import { onlineOptions } from '../rollout/config.js';

const KL_ESTIMATORS: readonly KlEstimator[] = ['k1', 'k3'];

export const ppoConfig = declareConfig('ppo', {
  ...onlineOptions({ promptsPerStep: 16, samplesPerPrompt: 1 }),
  /** TRL: 4; more reuse the samples harder, the clip keeps it honest. */
  epochs: int(4, 'passes over each rollout batch', { min: 1, aliases: ['num_ppo_epochs'] }),
  minibatchSize: int(8, 'samples per gradient step (0: the whole batch)', { min: 0, expected: 'an integer ≥ 0 (0: the whole batch)' }),
  /** Its start when adaptive (TRL PPOv2: 0.05). */
  klCoef: num(0.05, 'β of the per-token KL penalty (its start when adaptive)', { min: 0, aliases: ['kl_coef'] }),
  /** k1 = log π − log ref (unbiased, per token may be < 0); k3 (unbiased, ≥ 0, lower variance). */
  klEstimator: choice(KL_ESTIMATORS, 'k1', 'estimator of the per-token KL', { aliases: ['kl_estimator'] }),
  /** Ziegler et al. 2019's proportional controller. */
  adaptiveKl: bool(false, 'steer the sequence KL towards --kl-target'),
  /** TRL: 6. */
  klTarget: num(6, 'target KL per sequence (nats) of the adaptive controller', { gt: 0 }),
  /** β moves by about a factor (1 ± 0.2) over this many samples (TRL: 10000). */
  klHorizon: num(10000, 'horizon (samples) of the adaptive controller', { gt: 0 }),
  /** 1 as TRL: the episode is one short completion. */
  gamma: num(1, 'discount', { min: 0, max: 1 }),
  /** TRL: 0.95. */
  lambda: num(0.95, 'GAE λ', { min: 0, max: 1, aliases: ['lam'] }),
  /** Schulman et al. 2017: 0.2. */
  clip: num(0.2, 'ε of the clipped surrogate', { min: 0, aliases: ['cliprange'] }),
  /** ±range the value prediction may move from its rollout value unclipped (TRL: 0.2). */
  clipValue: num(0.2, 'clip range of the value loss', { min: 0, aliases: ['cliprange_value'] }),
  /** TRL: 0.1. */
  vfCoef: num(0.1, 'weight of the value loss', { min: 0, aliases: ['vf_coef'] }),
  /** TRL does: the step size then does not depend on the reward's scale. */
  whitenAdvantages: bool(true, 'whiten advantages over the batch'),
}, (c) => {
  if (c.adaptiveKl && !(c.klCoef > 0)) throw new ConfigError(`ppo config: klCoef = ${c.klCoef}, expected > 0 when adaptiveKl (a controller multiplies it)`, 'klCoef');
});

export type PpoConfig = ConfigOf<typeof ppoConfig>;
export const defaultPpoConfig: PpoConfig = ppoConfig.defaults;
export const resolvePpoConfig = (over: Overrides<typeof ppoConfig.options> = {}): PpoConfig => ppoConfig.resolve(over);
