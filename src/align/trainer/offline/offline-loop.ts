// The loop every offline preference trainer runs (DPO, KTO, ORPO, CPO/SimPO): draw a batch in the
// data order, its loss backward, clip, the schedule's learning rate, an AdamW update, a held-out
// evaluation every evalEvery steps and at the end, all in checkpointed blocks through the run
// store (checkpoint.ts). A trainer supplies the batch loss and its metrics; the loop reads top to
// bottom the same for all of them, so a schedule or a clip means the same thing in each.
import { AdamW, clipGradNorm, learningRate } from '../../../nn/index.js';
import type { Tensor } from '../../../tensor/index.js';
import type { Transformer } from '../../../model/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';
import { ExampleOrder } from '../../../data/lm-examples.js';
import { Progress } from '../../../io/progress.js';
import type { RunStore } from '../../../runs/run-store.js';
import { completedStep, trainInBlocks } from '../checkpoint.js';
import { scheduleOf, stepsFor } from '../optimizer-options.js';

/** The options of optimizerOptions, lengthOptions and the evaluation and checkpoint cadence. */
export interface OfflineLoopConfig {
  steps: number;
  epochs: number;
  batchSize: number;
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  gradClip: number;
  minLrRatio: number;
  warmupSteps: number;
  lrScheduler: 'cosine' | 'linear' | 'constant';
  warmupFromZero: boolean;
  evalEvery: number;
  saveEvery: number;
  seed: number;
}

/** A step's numbers: the loop's own (loss, lr, gradNorm) and the trainer's, with eval<Name> when it evaluated. */
export type OfflineLog<M> = { step: number; loss: number; lr: number; gradNorm: number } & M & { [k: `eval${string}`]: number | undefined };

export interface OfflineLoop<M extends Record<string, number>> {
  /** Names the trainer in errors and on the progress line. */
  who: string;
  label: string;
  model: Transformer;
  tokenizer: Tokenizer;
  store?: RunStore | undefined;
  config: OfflineLoopConfig;
  /** Training examples (pairs, or unpaired completions); batches are indices into them. */
  examples: number;
  /** The loss of the examples `idx` (with the graph) and the metrics to log. */
  batch(idx: number[]): { loss: Tensor; metrics: M };
  /** Held-out metrics (no graph); absent without held-out data. */
  evaluate?: () => Record<string, number>;
  /** The few numbers the progress line shows. */
  show(log: OfflineLog<M>): Record<string, number>;
  /** A block's stage result from its last log (default: step and loss). */
  summary?: (log: OfflineLog<M>) => Record<string, number | undefined>;
  onLog?: (log: OfflineLog<M>) => void;
  quiet?: boolean | undefined;
}

const evalKey = (k: string): `eval${string}` => `eval${k[0]!.toUpperCase()}${k.slice(1)}`;

export async function runOfflineLoop<M extends Record<string, number>>(o: OfflineLoop<M>): Promise<{ logs: OfflineLog<M>[]; step: number; eval: Record<string, number> | null }> {
  const c = o.config;
  const opt = new AdamW(o.model.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const order = new ExampleOrder(o.examples, c.seed);
  const steps = stepsFor(c, o.examples, c.batchSize);
  const schedule = scheduleOf(c, steps);
  const progress = new Progress({ label: o.label, total: steps, quiet: o.quiet }, o.store ? completedStep(o.store) : 0);
  let last: Record<string, number> | null = null;
  const res = await trainInBlocks<OfflineLog<M>>({
    store: o.store, steps, saveEvery: c.saveEvery, model: o.model, tokenizer: o.tokenizer, opt, order, progress, onLog: o.onLog, who: o.who,
    trainStep: (step) => {
      const out = o.batch(order.next(c.batchSize));
      out.loss.backward();
      const gradNorm = clipGradNorm(o.model.parameters(), c.gradClip);
      const lr = learningRate(step, schedule);
      opt.update(lr);
      opt.zeroGrad();
      const log = { step: step + 1, loss: out.loss.item(), ...out.metrics, lr, gradNorm } as OfflineLog<M>;
      if (o.evaluate && ((c.evalEvery && log.step % c.evalEvery === 0) || log.step === steps)) {
        last = o.evaluate();
        for (const [k, v] of Object.entries(last)) (log as Record<string, number>)[evalKey(k)] = v;
      }
      progress.update(log.step, o.show(log));
      return log;
    },
    summary: (block) => (o.summary ? o.summary(block.at(-1)!) : { step: block.at(-1)!.step, loss: block.at(-1)!.loss }),
  });
  if (!last && o.evaluate) last = o.evaluate();
  return { logs: res.logs, step: res.step, eval: last };
}
