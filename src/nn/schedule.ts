// Learning-rate schedule: linear warm-up to the peak, then a decay to minLr at totalSteps — cosine
// (the GPT-3 / nanoGPT recipe), linear, or none (constant). Steps count from 0.
// Warm-up: alignkit's first step already moves (lr·(s + 1)/W); Hugging Face's Trainer (and so TRL)
// starts at lr 0 (lr·s/W, the first update a no-op), which `warmupFromZero` reproduces, so that a
// run can follow a TRL run step for step.
export type ScheduleKind = 'cosine' | 'linear' | 'constant';

export interface ScheduleConfig {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the decay; 10% of the peak is the usual choice. */
  minLr: number;
  /** Shape of the decay after warm-up; cosine when left out. */
  kind?: ScheduleKind;
  /** Hugging Face's warm-up, lr·s/W: the first step at lr 0. */
  warmupFromZero?: boolean;
}

export function learningRate(step: number, c: ScheduleConfig): number {
  if (step < c.warmupSteps) return (c.lr * (c.warmupFromZero ? step : step + 1)) / c.warmupSteps;
  const kind = c.kind ?? 'cosine';
  if (kind === 'constant') return c.lr;
  if (step >= c.totalSteps) return c.minLr;
  const span = Math.max(1, c.totalSteps - c.warmupSteps);
  const ratio = (step - c.warmupSteps) / span;
  const factor = kind === 'linear' ? 1 - ratio : 0.5 * (1 + Math.cos(Math.PI * ratio));
  return c.minLr + factor * (c.lr - c.minLr);
}
