// The two GPT-2-family models the benchmark trains and samples (the configs A and B),
// described once as plain data so that alignkit, PyTorch and TensorFlow.js build the same model.
export interface BenchModel {
  name: 'A' | 'B';
  vocab: number;
  dModel: number;
  nLayer: number;
  nHead: number;
  /** Context length: training sequences are this long, and generation fills it. */
  ctx: number;
  /** Training batch (sequences per step). */
  batch: number;
  /** GPT-2's init: N(0, 0.02), positions 0.01, residual projections 0.02/√(2·layers). */
  initStd: number;
}

export const MODELS: Record<'A' | 'B', BenchModel> = {
  // 0.8M parameters: small enough that per-op overhead, not matmul, decides the step time.
  A: { name: 'A', vocab: 256, dModel: 128, nLayer: 4, nHead: 4, ctx: 64, batch: 32, initStd: 0.02 },
  // 10.8M parameters: matmul-bound.
  B: { name: 'B', vocab: 256, dModel: 384, nLayer: 6, nHead: 6, ctx: 128, batch: 16, initStd: 0.02 },
};

/** One generation case: sample `newTokens` after a `prompt`-token prompt, `batch` sequences at once. */
export interface GenCase { config: 'A' | 'B'; batch: number; prompt: number; newTokens: number }

export const GEN_CASES: GenCase[] = [
  { config: 'A', batch: 1, prompt: 8, newTokens: 56 },
  { config: 'B', batch: 32, prompt: 16, newTokens: 112 },
];

/** The training step every contender runs: forward, cross-entropy, backward, clip, AdamW. */
export const TRAIN_STEP = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1.0 };
