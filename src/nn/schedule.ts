// Learning-rate schedule: linear warm-up to the peak, then cosine decay to minLr at totalSteps
// (the GPT-3 / nanoGPT recipe). Steps count from 0.
export interface ScheduleConfig {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the decay; 10% of the peak is the usual choice. */
  minLr: number;
}

export function learningRate(step: number, c: ScheduleConfig): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  if (step >= c.totalSteps) return c.minLr;
  const span = Math.max(1, c.totalSteps - c.warmupSteps);
  const ratio = (step - c.warmupSteps) / span;
  return c.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (c.lr - c.minLr);
}
