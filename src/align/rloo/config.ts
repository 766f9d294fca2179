// RLOO settings (Ahmadian et al. 2024, "Back to basics").
import { checkOnlineConfig, defaultOnlineConfig, mergeConfig, type OnlineConfig } from '../rollout/config.js';

export interface RlooConfig extends OnlineConfig {
  /** β of the KL folded into each sample's reward: r = score − β·Σₜ(log π − log ref) (the paper's KL-regularised reward). */
  beta: number;
  /**
   * Samples per forward/backward pass; their gradients accumulate into the batch's one update
   * (REINFORCE is on-policy: one step per rollout). 0: the whole batch at once. Results do not change.
   */
  minibatchSize: number;
}

export const defaultRlooConfig: RlooConfig = { ...defaultOnlineConfig, promptsPerStep: 4, samplesPerPrompt: 4, beta: 0.05, minibatchSize: 0 };

export function resolveRlooConfig(over: Partial<RlooConfig>): RlooConfig {
  const c = mergeConfig('rloo', defaultRlooConfig, over);
  checkOnlineConfig('rloo', c);
  const bad = (k: string, v: unknown, want: string): never => { throw new RangeError(`rloo config: ${k} = ${JSON.stringify(v)}, expected ${want}`); };
  if (c.samplesPerPrompt < 2) bad('samplesPerPrompt', c.samplesPerPrompt, 'at least 2 (the leave-one-out baseline needs another sample)');
  if (!(c.beta >= 0 && Number.isFinite(c.beta))) bad('beta', c.beta, 'a finite number ≥ 0');
  if (!(Number.isInteger(c.minibatchSize) && c.minibatchSize >= 0)) bad('minibatchSize', c.minibatchSize, 'an integer ≥ 0 (0: the whole batch)');
  return c;
}
