// The AdamW and schedule options every gradient trainer declares (config/): each trainer passes
// the defaults that suit it, once, and gets the options with TRL's names as aliases.
import { int, num } from '../../config/index.js';

export interface OptimizerDefaults {
  /** Peak learning rate of the cosine schedule. */
  lr: number;
  warmupSteps: number;
  weightDecay: number;
}

export function optimizerOptions(d: OptimizerDefaults) {
  return {
    lr: num(d.lr, 'peak learning rate', { min: 0, aliases: ['learning_rate'] }),
    /** A tenth of the peak, by convention. */
    minLrRatio: num(0.1, 'floor of the cosine schedule as a fraction of --lr', { min: 0, max: 1 }),
    /** A few percent of the run: Adam's first updates are noisy. */
    warmupSteps: int(d.warmupSteps, 'linear warm-up steps', { min: 0, aliases: ['warmup', 'warmup_steps'] }),
    weightDecay: num(d.weightDecay, 'AdamW weight decay', { min: 0, aliases: ['weight_decay'] }),
    beta1: num(0.9, 'Adam β1', { min: 0, lt: 1, aliases: ['adam_beta1'] }),
    /** 0.95 rather than 0.999: small batches, noisy gradients (GPT-3's recipe). */
    beta2: num(0.95, 'Adam β2', { min: 0, lt: 1, aliases: ['adam_beta2'] }),
    /** 1.0 as in GPT-2/3 training. */
    gradClip: num(1, 'global gradient-norm clip', { min: 0, aliases: ['max_grad_norm'] }),
  };
}

/** Steps from `epochs` passes over `examples` when epochs > 0 (TRL's num_train_epochs), else `steps`. */
export function stepsFor(c: { steps: number; epochs: number }, examples: number, perStep: number): number {
  return c.epochs > 0 ? Math.max(1, Math.ceil((c.epochs * examples) / perStep)) : c.steps;
}

export function lengthOptions(d: { steps: number }) {
  return {
    steps: int(d.steps, 'optimizer steps', { min: 1, aliases: ['max_steps'] }),
    epochs: num(0, 'passes over the training data; > 0 sets the steps from the data size', { min: 0, aliases: ['num_train_epochs'], excludes: 'steps' }),
  };
}
