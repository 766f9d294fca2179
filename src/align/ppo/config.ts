// PPO settings (RLHF: Ziegler et al. 2019; Ouyang et al. 2022; TRL's defaults where they exist).
import type { KlEstimator } from '../losses/index.js';
import { checkOnlineConfig, defaultOnlineConfig, mergeConfig, type OnlineConfig } from '../rollout/config.js';

export interface PpoConfig extends OnlineConfig {
  /** Passes over each rollout batch (TRL: 4); more reuse the samples harder, the clip keeps it honest. */
  epochs: number;
  /** Samples per gradient step; 0: the whole batch. */
  minibatchSize: number;
  /** β of the per-token KL penalty, or its start when adaptive (TRL PPOv2: 0.05). */
  klCoef: number;
  /** k1 = log π − log ref (unbiased, per token may be < 0); k3 (unbiased, ≥ 0, lower variance). */
  klEstimator: KlEstimator;
  /** Ziegler et al. 2019's proportional controller steers the sequence KL towards klTarget. */
  adaptiveKl: boolean;
  /** Nats per sequence (TRL: 6). */
  klTarget: number;
  /** Samples over which β moves by about a factor (1 ± 0.2) (TRL: 10000). */
  klHorizon: number;
  /** Discount; 1 as TRL: the episode is one short completion. */
  gamma: number;
  /** GAE λ (TRL: 0.95). */
  lambda: number;
  /** ε of the clipped surrogate (Schulman et al. 2017: 0.2). */
  clip: number;
  /** ±range the value prediction may move from its rollout value unclipped (TRL: 0.2). */
  clipValue: number;
  /** Weight of the value loss beside the policy loss (TRL: 0.1). */
  vfCoef: number;
  /** Whiten advantages over the batch (TRL does): the step size then does not depend on the reward's scale. */
  whitenAdvantages: boolean;
}

export const defaultPpoConfig: PpoConfig = {
  ...defaultOnlineConfig, epochs: 4, minibatchSize: 8, klCoef: 0.05, klEstimator: 'k1', adaptiveKl: false, klTarget: 6,
  klHorizon: 10000, gamma: 1, lambda: 0.95, clip: 0.2, clipValue: 0.2, vfCoef: 0.1, whitenAdvantages: true,
};

export function resolvePpoConfig(over: Partial<PpoConfig>): PpoConfig {
  const c = mergeConfig('ppo', defaultPpoConfig, over);
  checkOnlineConfig('ppo', c);
  const bad = (k: string, v: unknown, want: string): never => { throw new RangeError(`ppo config: ${k} = ${JSON.stringify(v)}, expected ${want}`); };
  if (!(Number.isInteger(c.epochs) && c.epochs > 0)) bad('epochs', c.epochs, 'a positive integer');
  if (!(Number.isInteger(c.minibatchSize) && c.minibatchSize >= 0)) bad('minibatchSize', c.minibatchSize, 'an integer ≥ 0 (0: the whole batch)');
  if (c.klEstimator !== 'k1' && c.klEstimator !== 'k3') bad('klEstimator', c.klEstimator, "'k1' or 'k3'");
  for (const k of ['klCoef', 'clip', 'clipValue', 'vfCoef'] as const) if (!(c[k] >= 0 && Number.isFinite(c[k]))) bad(k, c[k], 'a finite number ≥ 0');
  for (const k of ['klTarget', 'klHorizon'] as const) if (!(c[k] > 0 && Number.isFinite(c[k]))) bad(k, c[k], 'a finite number > 0');
  if (c.adaptiveKl && !(c.klCoef > 0)) bad('klCoef', c.klCoef, '> 0 when adaptiveKl (a controller multiplies it)');
  for (const k of ['gamma', 'lambda'] as const) if (!(c[k] >= 0 && c[k] <= 1)) bad(k, c[k], 'a number in [0, 1]');
  return c;
}
