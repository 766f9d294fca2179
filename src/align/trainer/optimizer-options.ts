// The AdamW, schedule and length options every gradient trainer declares (config/): each trainer
// passes the defaults that suit it, once, and gets the options with TRL's names as aliases.
import { bool, choice, int, num, optionalNum } from '../../config/index.js';
import type { ScheduleConfig } from '../../nn/index.js';

export function adamOptions(d: { lr: number; weightDecay: number }) {
  return {
    lr: num(d.lr, 'peak learning rate', { min: 0, aliases: ['learning_rate'] }),
    weightDecay: num(d.weightDecay, 'AdamW weight decay', { min: 0, aliases: ['weight_decay'] }),
    beta1: num(0.9, 'Adam β1', { min: 0, lt: 1, aliases: ['adam_beta1'] }),
    /** 0.95 rather than 0.999: small batches, noisy gradients (GPT-3's recipe). */
    beta2: num(0.95, 'Adam β2', { min: 0, lt: 1, aliases: ['adam_beta2'] }),
    /** 1.0 as in GPT-2/3 training and TRL. */
    gradClip: num(1, 'global gradient-norm clip', { min: 0, aliases: ['max_grad_norm'] }),
  };
}

/** A few percent of the run: Adam's first updates are noisy. */
const warmup = (steps: number) => int(steps, 'linear warm-up steps', { min: 0, aliases: ['warmup', 'warmup_steps'] });

/** The shape of the schedule: its decay, and whose warm-up rule (nn/schedule.ts). */
const scheduleShape = () => ({
  /** HF's 'linear' decays to 0: set the floor to 0 to match it; 'cosine' with the floor is HF's cosine_with_min_lr. */
  lrScheduler: choice(['cosine', 'linear', 'constant'] as const, 'cosine', 'decay after warm-up, down to the floor', { aliases: ['lr_scheduler_type'] }),
  /** Hugging Face's Trainer warms up from lr 0 (its first update moves nothing); alignkit's first step is at lr/W. */
  warmupFromZero: bool(false, 'warm up as Hugging Face Trainer and TRL do: lr·s/W, the first step at lr 0'),
});

/** Adam, and a cosine schedule whose floor is a fraction of the peak (a tenth, by convention). */
export function optimizerOptions(d: { lr: number; warmupSteps: number; weightDecay: number }) {
  return {
    ...adamOptions(d),
    minLrRatio: num(0.1, 'floor of the cosine schedule as a fraction of --lr', { min: 0, max: 1, aliases: ['min_lr_rate'] }),
    warmupSteps: warmup(d.warmupSteps),
    ...scheduleShape(),
  };
}

/** The schedule of a config with either option set, over `totalSteps`. */
export function scheduleOf(c: { lr: number; warmupSteps: number; lrScheduler: ScheduleConfig['kind']; warmupFromZero: boolean; minLrRatio?: number; minLr?: number | undefined }, totalSteps: number): ScheduleConfig {
  const minLr = c.minLrRatio !== undefined ? c.lr * c.minLrRatio : minLrOf(c);
  return { lr: c.lr, minLr, warmupSteps: c.warmupSteps, totalSteps, kind: c.lrScheduler ?? 'cosine', warmupFromZero: c.warmupFromZero };
}

/**
 * Adam, and a cosine schedule whose floor is given in absolute terms, lr / 10 when left out: the
 * supervised trainers have always divided (lr / 10 and lr · 0.1 can differ in the last bit, and
 * the demonstrations' figures depend on every bit).
 */
export function supervisedOptimizerOptions(d: { lr: number; warmupSteps: number; weightDecay: number }) {
  return {
    ...adamOptions(d),
    minLr: optionalNum('floor of the cosine schedule (default: --lr / 10)', { min: 0, aliases: ['min_lr'] }),
    warmupSteps: warmup(d.warmupSteps),
    ...scheduleShape(),
  };
}

/** The schedule floor of a config with an optional absolute `minLr`. */
export const minLrOf = (c: { lr: number; minLr?: number | undefined }): number => c.minLr ?? c.lr / 10;

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
