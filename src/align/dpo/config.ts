// DPO training settings. β and the variants follow the DPO paper and TRL's DPOTrainer; the
// optimisation defaults suit a small model on one CPU.
import type { DpoVariant } from '../losses/index.js';

export const DPO_VARIANTS: readonly DpoVariant[] = ['sigmoid', 'ipo', 'cdpo', 'robust'];

export interface DpoConfig {
  /** Strength of the tie to the reference: 0.1 in the DPO paper (Rafailov et al. 2023 §6) and TRL. */
  beta: number;
  /** sigmoid (DPO), ipo (Azar et al. 2023), cdpo (Mitchell 2023), robust (Chowdhury et al. 2024); see losses/dpo.ts. */
  variant: DpoVariant;
  /** ε, the assumed rate of flipped labels: needed by cdpo and robust, 0 for plain DPO. */
  labelSmoothing: number;
  /** Optimizer updates. */
  steps: number;
  /** Preference pairs per update (2·batchSize sequences through the policy). */
  batchSize: number;
  /** Peak learning rate. The paper's 1e-6 is for 7B models; small models need far larger steps. */
  lr: number;
  /** Cosine floor as a fraction of lr. */
  minLrRatio: number;
  /** Linear warm-up (the paper warms up over 150 steps at its scale). */
  warmupSteps: number;
  /** 0: the reference already ties the policy to where it started; decay would pull elsewhere. */
  weightDecay: number;
  beta1: number;
  /** 0.95 as in GPT-3's recipe: small batches, noisy gradients. */
  beta2: number;
  /** Global gradient-norm clip. */
  gradClip: number;
  /** Longest prompt + completion in tokens; longer prompts lose their start. 0: the model's maxSeqLen. */
  maxLen: number;
  /** Held-out DPO loss, accuracy and margin every N steps (0: at the end only). */
  evalEvery: number;
  /** Cap on held-out pairs, to bound the cost of evaluation and of their reference log-probabilities. */
  evalPairs: number;
  /** Steps per run-store stage, each ending in a checkpoint (0: one stage for the whole run). */
  saveEvery: number;
  /** Sequences per forward when precomputing the reference log-probabilities (no graph, so larger batches are cheap). */
  refBatchSize: number;
  /** Seeds the data order. */
  seed: number;
}

export const defaultDpoConfig: DpoConfig = {
  beta: 0.1, variant: 'sigmoid', labelSmoothing: 0, steps: 200, batchSize: 8, lr: 1e-4, minLrRatio: 0.1, warmupSteps: 10,
  weightDecay: 0, beta1: 0.9, beta2: 0.95, gradClip: 1, maxLen: 0, evalEvery: 50, evalPairs: 256, saveEvery: 100, refBatchSize: 32, seed: 0,
};

/** Merges over the defaults and checks; an error names the field, the value and what was expected. */
export function resolveDpoConfig(over: Partial<DpoConfig>): DpoConfig {
  const c = { ...defaultDpoConfig, ...over };
  for (const k of ['steps', 'batchSize', 'refBatchSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new RangeError(`dpo config: ${k} = ${c[k]}, expected a positive integer`);
  }
  for (const k of ['warmupSteps', 'maxLen', 'evalEvery', 'evalPairs', 'saveEvery', 'seed'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new RangeError(`dpo config: ${k} = ${c[k]}, expected a non-negative integer`);
  }
  for (const k of ['lr', 'weightDecay', 'gradClip'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new RangeError(`dpo config: ${k} = ${c[k]}, expected a finite number ≥ 0`);
  }
  if (!(c.minLrRatio >= 0 && c.minLrRatio <= 1)) throw new RangeError(`dpo config: minLrRatio = ${c.minLrRatio}, expected a number in [0, 1]`);
  for (const k of ['beta1', 'beta2'] as const) if (!(c[k] >= 0 && c[k] < 1)) throw new RangeError(`dpo config: ${k} = ${c[k]}, expected a number in [0, 1)`);
  if (!(Number.isFinite(c.beta) && c.beta > 0)) throw new RangeError(`dpo config: beta = ${c.beta}, expected a positive number (0.1 is the paper's)`);
  if (!DPO_VARIANTS.includes(c.variant)) throw new RangeError(`dpo config: variant = ${JSON.stringify(c.variant)}, expected one of ${DPO_VARIANTS.join(', ')}`);
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 0.5)) throw new RangeError(`dpo config: labelSmoothing = ${c.labelSmoothing}, expected a number in [0, 0.5)`);
  if ((c.variant === 'cdpo' || c.variant === 'robust') && c.labelSmoothing === 0) {
    throw new RangeError(`dpo config: variant ${c.variant} needs labelSmoothing in (0, 0.5), the assumed rate of flipped labels; got 0 (which is plain sigmoid)`);
  }
  if (c.variant === 'ipo' && c.labelSmoothing !== 0) throw new RangeError(`dpo config: variant ipo takes no labelSmoothing, got ${c.labelSmoothing}`);
  return c;
}
