// RLOO settings (Ahmadian et al. 2024, "Back to basics").
import { declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { onlineOptions } from '../rollout/config.js';

export const rlooConfig = declareConfig('rloo', {
  ...onlineOptions({ promptsPerStep: 4, samplesPerPrompt: 4 }),
  /** The leave-one-out baseline needs another sample. */
  samplesPerPrompt: int(4, 'completions per prompt (k)', { min: 2, aliases: ['num_generations', 'rloo_k'], expected: 'at least 2 (the leave-one-out baseline needs another sample)' }),
  /** r = score − β·Σₜ(log π − log ref): the paper's KL-regularised reward. */
  beta: num(0.05, 'β of the KL to the reference folded into each reward', { min: 0, aliases: ['kl_coef'] }),
  /**
   * Their gradients accumulate into the batch's one update (REINFORCE is on-policy: one step per
   * rollout), so results do not change.
   */
  minibatchSize: int(0, 'samples per forward/backward pass, accumulated into one update (0: all)', { min: 0, expected: 'an integer ≥ 0 (0: the whole batch)' }),
});

export type RlooConfig = ConfigOf<typeof rlooConfig>;
export const defaultRlooConfig: RlooConfig = rlooConfig.defaults;
export const resolveRlooConfig = (over: Overrides<typeof rlooConfig.options> = {}): RlooConfig => rlooConfig.resolve(over);
