// DPO training settings. β and the loss types follow the DPO paper and TRL's DPOConfig (its names
// are the aliases); the optimisation defaults suit a small model on one CPU.
import { ConfigError, bool, choiceList, declareConfig, int, num, optionalNumList, type ConfigOf, type Overrides } from '../../config/index.js';
import { DPO_LOSS_NAMES, NEEDS_SMOOTHING, type DpoLossType } from '../losses/index.js';
import { lengthOptions, optimizerOptions } from '../trainer/optimizer-options.js';

/** Every loss type, the four alignkit had before TRL's names first (as errors list them). */
export const DPO_LOSS_CHOICES: readonly DpoLossType[] = ['sigmoid', 'ipo', 'cdpo', 'robust', ...DPO_LOSS_NAMES.filter((t) => !['sigmoid', 'ipo', 'cdpo', 'robust'].includes(t))];

export const dpoConfig = declareConfig('dpo', {
  /** 0.1 in the DPO paper (Rafailov et al. 2023 §6) and TRL. */
  beta: num(0.1, 'β, strength of the tie to the reference', { gt: 0, expected: "a positive number (0.1 is the paper's)" }),
  /** See losses/preference/dpo-loss-types.ts for each one's paper; several are summed with lossWeights (MPO: sigmoid,bco_pair,sft). */
  lossType: choiceList(DPO_LOSS_CHOICES, 'sigmoid', 'loss: sigmoid (DPO), ipo, cdpo, robust, hinge, exo_pair, nca_pair, bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm; several comma-separated', { aliases: ['loss_type', 'variant'] }),
  /** TRL's loss_weights: one per loss type, 1 each when left out. */
  lossWeights: optionalNumList('weights of the loss types, one each (default: 1 each)', { aliases: ['loss_weights'] }),
  /** Needed by cdpo, robust and exo_pair (EXO recommends 1e-3); with sigmoid it gives cDPO. */
  labelSmoothing: num(0, 'ε, the assumed rate of flipped labels (cdpo, robust, exo_pair need it > 0)', { min: 0, lt: 0.5, aliases: ['label_smoothing'] }),
  /** DiscoPOP's τ: 0.05 in the paper (Chris Lu et al. 2024) and TRL. */
  discopopTau: num(0.05, 'τ of the discopop loss', { gt: 0, aliases: ['discopop_tau'] }),
  /** The reference is log π_ref = 0: no reference model and no reference stage (SimPO-like, without length normalisation). */
  referenceFree: bool(false, 'no reference model: its log-probabilities are taken as 0', { aliases: ['reference_free'] }),
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
  refBatchSize: int(32, 'sequences per forward when precomputing the reference log-probabilities', { min: 1, aliases: ['precompute_ref_batch_size'] }),
  seed: int(0, 'seed of the data order (and of the held-out split)', { min: 0 }),
}, (c) => {
  const types = typeof c.lossType === 'string' ? [c.lossType] : c.lossType;
  for (const t of types) {
    if (NEEDS_SMOOTHING.has(t) && c.labelSmoothing === 0) {
      throw new ConfigError(`dpo config: lossType ${t} needs labelSmoothing in (0, 0.5), the assumed rate of flipped labels; got 0${t === 'cdpo' || t === 'robust' ? ' (which is plain sigmoid)' : ''}`, 'labelSmoothing');
    }
  }
  if (types.length === 1 && types[0] === 'ipo' && c.labelSmoothing !== 0) throw new ConfigError(`dpo config: lossType ipo takes no labelSmoothing, got ${c.labelSmoothing}`, 'labelSmoothing');
  if (c.lossWeights !== undefined && c.lossWeights.length !== types.length) {
    throw new ConfigError(`dpo config: lossWeights has ${c.lossWeights.length} weights for ${types.length} loss types (${types.join(', ')}); give one each`, 'lossWeights');
  }
});

export type DpoConfig = ConfigOf<typeof dpoConfig>;
export const defaultDpoConfig: DpoConfig = dpoConfig.defaults;

/** Merges over the defaults and checks; an error names the field, the value and what was expected. */
export const resolveDpoConfig = (over: Overrides<typeof dpoConfig.options> = {}): DpoConfig => dpoConfig.resolve(over);

/** The loss options a config gives dpoLoss (token counts are added per batch). */
export function dpoLossOptions(c: Pick<DpoConfig, 'beta' | 'lossType' | 'lossWeights' | 'labelSmoothing' | 'discopopTau'>) {
  return { beta: c.beta, lossType: c.lossType, labelSmoothing: c.labelSmoothing, discopopTau: c.discopopTau, ...(c.lossWeights ? { lossWeights: c.lossWeights } : {}) };
}
