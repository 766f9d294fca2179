// DPO training settings. β and the variants follow the DPO paper and TRL's DPOTrainer; the
// optimisation defaults suit a small model on one CPU.
import { ConfigError, choice, declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import type { DpoVariant } from '../losses/index.js';
import { lengthOptions, optimizerOptions } from '../trainer/optimizer-options.js';

export const DPO_VARIANTS: readonly DpoVariant[] = ['sigmoid', 'ipo', 'cdpo', 'robust'];

export const dpoConfig = declareConfig('dpo', {
  /** 0.1 in the DPO paper (Rafailov et al. 2023 §6) and TRL. */
  beta: num(0.1, 'β, strength of the tie to the reference', { gt: 0, expected: "a positive number (0.1 is the paper's)" }),
  /** sigmoid (DPO), ipo (Azar et al. 2023), cdpo (Mitchell 2023), robust (Chowdhury et al. 2024); see losses/preference/dpo.ts. */
  variant: choice(DPO_VARIANTS, 'sigmoid', 'loss: sigmoid (DPO), ipo, cdpo (label smoothing) or robust', { aliases: ['loss_type'] }),
  /** Needed by cdpo and robust, 0 for plain DPO. */
  labelSmoothing: num(0, 'ε, the assumed rate of flipped labels (cdpo and robust need it > 0)', { min: 0, lt: 0.5, aliases: ['label_smoothing'] }),
  ...lengthOptions({ steps: 200 }),
  /** 2·batchSize sequences through the policy per update. */
  batchSize: int(8, 'preference pairs per step', { min: 1, aliases: ['per_device_train_batch_size'] }),
  // lr: the paper's 1e-6 is for 7B models, small models need far larger steps; the paper warms up
  // over 150 steps at its scale; weight decay 0: the reference already ties the policy to where
  // it started, and decay would pull it elsewhere.
  ...optimizerOptions({ lr: 1e-4, warmupSteps: 10, weightDecay: 0 }),
  /** Longer prompts lose their start. */
  maxLen: int(0, "longest prompt + completion in tokens (0: the model's maximum)", { min: 0, aliases: ['max_length'] }),
  evalEvery: int(50, 'held-out loss, accuracy and margin every N steps (0: at the end only)', { min: 0, aliases: ['eval_steps'] }),
  /** Bounds the cost of evaluation and of the held-out reference log-probabilities. */
  evalPairs: int(256, 'most held-out pairs evaluated', { min: 0 }),
  /** Each stage ends in a checkpoint (0: one stage for the whole run). */
  saveEvery: int(100, 'checkpoint (and resume point) every N steps (0: at the end only)', { min: 0, aliases: ['save_steps'] }),
  /** No graph when precomputing the reference log-probabilities, so larger batches are cheap. */
  refBatchSize: int(32, 'sequences per forward when precomputing the reference log-probabilities', { min: 1 }),
  seed: int(0, 'seed of the data order (and of the held-out split)', { min: 0 }),
}, (c) => {
  if ((c.variant === 'cdpo' || c.variant === 'robust') && c.labelSmoothing === 0) {
    throw new ConfigError(`dpo config: variant ${c.variant} needs labelSmoothing in (0, 0.5), the assumed rate of flipped labels; got 0 (which is plain sigmoid)`, 'labelSmoothing');
  }
  if (c.variant === 'ipo' && c.labelSmoothing !== 0) throw new ConfigError(`dpo config: variant ipo takes no labelSmoothing, got ${c.labelSmoothing}`, 'labelSmoothing');
});

export type DpoConfig = ConfigOf<typeof dpoConfig>;
export const defaultDpoConfig: DpoConfig = dpoConfig.defaults;

/** Merges over the defaults and checks; an error names the field, the value and what was expected. */
export const resolveDpoConfig = (over: Overrides<typeof dpoConfig.options> = {}): DpoConfig => dpoConfig.resolve(over);
