// Reward-model training settings. The defaults suit a small language model on one CPU fine-tuned
// into a reward model on a few thousand pairs; they follow InstructGPT's recipe in spirit (one
// epoch or so, small learning rate, the LM's own weights as the start) at small-model scale.
import { declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { lengthOptions, optimizerOptions } from '../trainer/optimizer-options.js';

export const rewardModelConfig = declareConfig('reward-model', {
  /** InstructGPT trains its reward model a single epoch: it overfits after that. */
  ...lengthOptions({ steps: 200 }),
  /** 2·batchSize sequences: chosen and rejected go through one forward. */
  batchSize: int(8, 'preference pairs per step', { min: 1, aliases: ['per_device_train_batch_size'] }),
  // lr: higher than the 9e-6 of a 6B model, small models need larger steps; weight decay 0:
  // fine-tuning from a language model, decay would only pull its weights towards zero.
  ...optimizerOptions({ lr: 3e-4, warmupSteps: 10, weightDecay: 0 }),
  /** Llama 2 eq. 2; a pair's own `margin` is added. 0: plain Bradley–Terry. */
  margin: num(0, 'm in −log σ(r⁺ − r⁻ − m), the same for every pair', {}),
  /** Longer prompts lose their start. */
  maxLen: int(0, "longest prompt + completion in tokens (0: the model's maximum)", { min: 0, aliases: ['max_length'] }),
  evalEvery: int(50, 'held-out accuracy every N steps (0: at the end only)', { min: 0, aliases: ['eval_steps'] }),
  /** Bounds the cost of an evaluation. */
  evalPairs: int(256, 'most held-out pairs evaluated', { min: 0 }),
  /** Each stage ends in a checkpoint (0: one stage for the whole run). */
  saveEvery: int(100, 'checkpoint (and resume point) every N steps (0: at the end only)', { min: 0, aliases: ['save_steps'] }),
  seed: int(0, 'seed of the data order (and of the held-out split)', { min: 0 }),
});

export type RewardModelConfig = ConfigOf<typeof rewardModelConfig>;
export const defaultRewardModelConfig: RewardModelConfig = rewardModelConfig.defaults;

/** Merges over the defaults and checks; an error names the field, the value and what was expected. */
export const resolveRewardModelConfig = (over: Overrides<typeof rewardModelConfig.options> = {}): RewardModelConfig => rewardModelConfig.resolve(over);
