// Reward-model training settings. The defaults suit a small language model on one CPU fine-tuned
// into a reward model on a few thousand pairs; they follow InstructGPT's recipe in spirit (one
// epoch or so, small learning rate, the LM's own weights as the start) at small-model scale.

export interface RewardModelConfig {
  /** Optimizer updates. InstructGPT trains its reward model a single epoch: it overfits after that. */
  steps: number;
  /** Preference pairs per update (2·batchSize sequences: chosen and rejected go through one forward). */
  batchSize: number;
  /** Peak learning rate. Higher than the 9e-6 of a 6B model: small models need larger steps. */
  lr: number;
  /** Cosine floor as a fraction of lr (a tenth, by convention). */
  minLrRatio: number;
  /** Linear warm-up; Adam's first updates are noisy. */
  warmupSteps: number;
  /** 0: fine-tuning from a language model, decay would only pull its weights towards zero. */
  weightDecay: number;
  beta1: number;
  /** 0.95 as in GPT-3's recipe: small batches, noisy gradients. */
  beta2: number;
  /** Global gradient-norm clip. */
  gradClip: number;
  /** m in −log σ(r⁺ − r⁻ − m) for every pair (Llama 2 eq. 2); a pair's own `margin` is added. 0: plain Bradley–Terry. */
  margin: number;
  /** Longest prompt + completion in tokens; longer prompts lose their start. 0: the model's maxSeqLen. */
  maxLen: number;
  /** Held-out pairwise accuracy every N steps (0: at the end only). */
  evalEvery: number;
  /** Cap on held-out pairs per evaluation, to bound its cost. */
  evalPairs: number;
  /** Steps per run-store stage, each ending in a checkpoint (0: one stage for the whole run). */
  saveEvery: number;
  /** Seeds the data order. */
  seed: number;
}

export const defaultRewardModelConfig: RewardModelConfig = {
  steps: 200, batchSize: 8, lr: 3e-4, minLrRatio: 0.1, warmupSteps: 10, weightDecay: 0, beta1: 0.9, beta2: 0.95, gradClip: 1,
  margin: 0, maxLen: 0, evalEvery: 50, evalPairs: 256, saveEvery: 100, seed: 0,
};

/** Merges over the defaults and checks; an error names the field, the value and what was expected. */
export function resolveRewardModelConfig(over: Partial<RewardModelConfig>): RewardModelConfig {
  const c = { ...defaultRewardModelConfig, ...over };
  for (const k of ['steps', 'batchSize'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new RangeError(`reward-model config: ${k} = ${c[k]}, expected a positive integer`);
  }
  for (const k of ['warmupSteps', 'maxLen', 'evalEvery', 'evalPairs', 'saveEvery', 'seed'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new RangeError(`reward-model config: ${k} = ${c[k]}, expected a non-negative integer`);
  }
  for (const k of ['lr', 'weightDecay', 'gradClip'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new RangeError(`reward-model config: ${k} = ${c[k]}, expected a finite number ≥ 0`);
  }
  if (!(c.minLrRatio >= 0 && c.minLrRatio <= 1)) throw new RangeError(`reward-model config: minLrRatio = ${c.minLrRatio}, expected a number in [0, 1]`);
  for (const k of ['beta1', 'beta2'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) throw new RangeError(`reward-model config: ${k} = ${c[k]}, expected a number in [0, 1)`);
  }
  if (!Number.isFinite(c.margin)) throw new RangeError(`reward-model config: margin = ${c.margin}, expected a finite number`);
  return c;
}
