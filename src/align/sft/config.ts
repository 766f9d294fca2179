// Supervised training settings. Defaults suit a small model on one CPU: a few hundred steps of
// batch 16 reach visibly better-than-unigram text on Moby-Dick in minutes.
import { ConfigError, declareConfig, int, type ConfigOf, type Overrides } from '../../config/index.js';
import { lengthOptions, minLrOf, supervisedOptimizerOptions } from '../trainer/optimizer-options.js';

export const sftConfig = declareConfig('sft', {
  ...lengthOptions({ steps: 300 }),
  batchSize: int(16, 'sequences per micro-batch', { min: 1, aliases: ['per_device_train_batch_size'] }),
  /** The effective batch is batchSize · gradAccum. */
  gradAccum: int(1, 'micro-batches summed into one update', { min: 1, aliases: ['grad_accum', 'gradient_accumulation_steps'] }),
  // lr 1e-3 trains small transformers quickly (nanoGPT's shakespeare-char uses 1e-3); weight decay
  // 0.1 as GPT-3.
  ...supervisedOptimizerOptions({ lr: 1e-3, warmupSteps: 20, weightDecay: 0.1 }),
  /**
   * Training windows when pretraining, the truncation limit for SFT. Attention holds T² scores
   * per head: at 65,536 tokens that is already 16 GiB for one head of one sequence.
   */
  seqLen: int(64, 'training sequence length in tokens', { min: 1, max: 65_536, expected: 'a positive integer, at most 65536', aliases: ['seq_len', 'max_length'] }),
  evalEvery: int(100, 'held-out loss every N steps (0: at the end only)', { min: 0, aliases: ['eval_steps'] }),
  /** Bounds the cost of an evaluation. */
  evalExamples: int(64, 'most held-out examples per evaluation', { min: 0 }),
  saveEvery: int(0, 'checkpoint (and resume point) every N steps (0: at the end only)', { min: 0, aliases: ['save_steps'] }),
  seed: int(0, 'seed of the initialisation, the data order and dropout', { min: 0 }),
}, (c) => {
  if (minLrOf(c) > c.lr) throw new ConfigError(`sft config: minLr = ${c.minLr} is above lr = ${c.lr}`, 'minLr');
});

export type SftConfig = ConfigOf<typeof sftConfig>;
export const defaultSftConfig: SftConfig = sftConfig.defaults;

/** Merges and checks; an error names the field, the value and what was expected. */
export const resolveSftConfig = (over: Overrides<typeof sftConfig.options> = {}): SftConfig => sftConfig.resolve(over);
