// Settings every online trainer (PPO, GRPO, RLOO) shares: how many samples a step draws, how
// they are drawn, how the policy is optimised, when the run is checkpointed. Each trainer's
// config extends this one; defaults suit the small models this project trains on one CPU.

export interface OnlineConfig {
  /** Rollout batches; each is sampled, scored and learned from once. */
  steps: number;
  /** Prompts per rollout batch. */
  promptsPerStep: number;
  /** Completions per prompt: 1 for PPO; the group (G, k) for GRPO and RLOO. */
  samplesPerPrompt: number;
  temperature: number;
  /** 0: no top-k cut. Sampling with a cut while the loss uses the full distribution is off-policy by the cut mass; keep it 0 unless the tail is garbage. */
  topK: number;
  maxNewTokens: number;
  /** Subtracted from the score of a sample that never emitted EOS (TRL's missing_eos_penalty); 0 turns it off. */
  missingEosPenalty: number;
  /** RL fine-tuning moves a trained policy a little: about a tenth of the SFT rate (1e-3 here). */
  lr: number;
  /** 0: decaying towards zero would pull the policy away from the reference for no reason. */
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Global gradient-norm clip, 1 as in TRL. */
  gradClip: number;
  /** Checkpoint (and commit a stage) every N steps; 0: only at the end. A crash loses at most one block. */
  saveEvery: number;
  /** Sequences per forward pass when sampling and scoring; bounds memory, not results. */
  batchSize: number;
  /** Seeds sampling and minibatch order per step, so a resumed run redraws what the lost one drew. */
  seed: number;
}

export const defaultOnlineConfig: OnlineConfig = {
  steps: 100, promptsPerStep: 16, samplesPerPrompt: 1, temperature: 1, topK: 0, maxNewTokens: 32, missingEosPenalty: 0,
  lr: 1e-4, weightDecay: 0, beta1: 0.9, beta2: 0.95, gradClip: 1, saveEvery: 10, batchSize: 64, seed: 0,
};

/** Throws naming the trainer, the field, its value and what was expected. */
export function checkOnlineConfig(owner: string, c: OnlineConfig): void {
  const bad = (k: string, v: unknown, want: string): never => { throw new RangeError(`${owner} config: ${k} = ${JSON.stringify(v)}, expected ${want}`); };
  for (const k of ['steps', 'promptsPerStep', 'samplesPerPrompt', 'maxNewTokens', 'batchSize'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] > 0)) bad(k, c[k], 'a positive integer');
  }
  for (const k of ['topK', 'saveEvery', 'seed'] as const) if (!(Number.isInteger(c[k]) && c[k] >= 0)) bad(k, c[k], 'an integer ≥ 0');
  if (!(c.temperature > 0 && Number.isFinite(c.temperature))) bad('temperature', c.temperature, 'a finite number > 0 (RL samples from the policy)');
  for (const k of ['lr', 'weightDecay', 'gradClip', 'missingEosPenalty'] as const) if (!(c[k] >= 0 && Number.isFinite(c[k]))) bad(k, c[k], 'a finite number ≥ 0');
  for (const k of ['beta1', 'beta2'] as const) if (!(c[k] >= 0 && c[k] < 1)) bad(k, c[k], 'a number in [0, 1)');
}

/**
 * `defaults` with the fields of `over` that are set; an unknown field is an error, so that a typo
 * does not silently fall back to a default.
 */
export function mergeConfig<C extends object>(owner: string, defaults: C, over: Partial<C>): C {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    if (!(k in defaults)) throw new RangeError(`${owner} config: unknown field "${k}"; known fields: ${Object.keys(defaults).join(', ')}`);
    if (v !== undefined) out[k] = v;
  }
  return out as C;
}
