// KTO training settings: Ethayarajh et al. 2024 and TRL's KTOConfig (its names as aliases); the
// optimisation defaults are DPO's, for the same small models on one CPU.
import { ConfigError, choice, declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { lengthOptions, optimizerOptions } from '../trainer/optimizer-options.js';

export const ktoConfig = declareConfig('kto', {
  /** 0.1 as the paper and TRL. */
  beta: num(0.1, 'β, strength of the tie to the reference', { gt: 0 }),
  lossType: choice(['kto', 'apo_zero_unpaired'] as const, 'kto', 'loss: kto, or apo_zero_unpaired (no KL term)', { aliases: ['loss_type'] }),
  /** λ_D·n_D / (λ_U·n_U) in [1, 4/3] is the paper's advice for unbalanced data (eq. 8). */
  desirableWeight: num(1, 'λ_D, weight of the desirable completions\' losses', { min: 0, aliases: ['desirable_weight'] }),
  undesirableWeight: num(1, 'λ_U, weight of the undesirable completions\' losses', { min: 0, aliases: ['undesirable_weight'] }),
  ...lengthOptions({ steps: 200 }),
  /** The KL estimate pairs each prompt with another example's completion. */
  batchSize: int(8, 'examples per step', { min: 2, aliases: ['per_device_train_batch_size'], expected: 'an integer ≥ 2 (the KL estimate needs mismatched pairs)' }),
  ...optimizerOptions({ lr: 1e-4, warmupSteps: 10, weightDecay: 0 }),
  maxLen: int(0, "longest prompt + completion in tokens (0: the model's maximum)", { min: 0, aliases: ['max_length'] }),
  evalEvery: int(50, 'held-out loss every N steps (0: at the end only)', { min: 0, aliases: ['eval_steps'] }),
  evalExamples: int(256, 'most held-out examples evaluated', { min: 0 }),
  saveEvery: int(100, 'checkpoint (and resume point) every N steps (0: at the end only)', { min: 0, aliases: ['save_steps'] }),
  refBatchSize: int(32, 'sequences per forward when precomputing the reference log-probabilities', { min: 1, aliases: ['precompute_ref_batch_size'] }),
  seed: int(0, 'seed of the data order, of the KL pairing and of the held-out split', { min: 0 }),
}, (c) => {
  if (c.desirableWeight === 0 && c.undesirableWeight === 0) throw new ConfigError('kto config: desirableWeight and undesirableWeight are both 0; nothing would be learned', 'desirableWeight');
});

export type KtoConfig = ConfigOf<typeof ktoConfig>;
export const defaultKtoConfig: KtoConfig = ktoConfig.defaults;
export const resolveKtoConfig = (over: Overrides<typeof ktoConfig.options> = {}): KtoConfig => ktoConfig.resolve(over);

/** The loss options a config gives ktoLoss. */
export function ktoLossOptions(c: Pick<KtoConfig, 'beta' | 'lossType' | 'desirableWeight' | 'undesirableWeight'>) {
  return { beta: c.beta, lossType: c.lossType, desirableWeight: c.desirableWeight, undesirableWeight: c.undesirableWeight };
}
