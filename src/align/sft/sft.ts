// Supervised training: pretraining on text windows and SFT on prompt/completion pairs are the
// same loop — next-token cross-entropy on the labelled positions. Each update sums the
// micro-batches' token losses and divides by the tokens of the whole update, so batch 1 ×
// accumulation 8 and batch 8 × accumulation 1 give the same gradient.
//
// With a run store the steps run in stages `train/step-<end>` of `saveEvery` steps, as
// trainer/checkpoint.ts's trainInBlocks runs them for DPO; each stage ends in checkpoint
// `step-<end>` (checkpoint.ts here: weights, AdamW moments, data position, dropout generator,
// token count), so a resumed store continues exactly where its last completed stage ended. SFT
// keeps its own loop rather than trainInBlocks for the dropout generator and the asynchronous
// `afterStep` hook (ReST-EM's M-step validates and stops early through it).
import { mul, sum } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';
import { AdamW, clipGradNorm, learningRate } from '../../nn/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { ExampleOrder, collate, type Batch, type TokenExample } from '../../data/lm-examples.js';
import { Progress } from '../../io/progress.js';
import { stageOf, type RunStore } from '../../runs/run-store.js';
import { completedStep, finite, stageEnd, stepCheckpoint, trainStage } from '../trainer/checkpoint.js';
import { guardedStep } from '../trainer/guard.js';
import { scheduleOf, stepsFor } from '../trainer/optimizer-options.js';
import { readSftCheckpoint, writeSftCheckpoint, type SftState } from './checkpoint.js';
import { resolveSftConfig, type SftConfig } from './config.js';

export interface SftLog {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  tokensPerSec: number;
  evalLoss?: number;
}

export interface SftOptions {
  model: Transformer;
  tokenizer: Tokenizer;
  train: TokenExample[];
  eval?: TokenExample[];
  config?: Partial<SftConfig>;
  /** Stages `train/step-<end>`, their metrics and checkpoints; a resumed store continues. Without one nothing is written. */
  store?: RunStore;
  onLog?: (log: SftLog) => void;
  /** Awaited after every optimizer step (validation with an asynchronous verifier); returning 'stop' ends training early. */
  afterStep?: (step: number) => void | 'stop' | Promise<void | 'stop'>;
  quiet?: boolean;
}

export interface SftResult {
  /** Steps run by this call (a resume does not repeat the earlier ones). */
  logs: SftLog[];
  /** The last held-out loss of the run, resumed parts included (null without held-out examples). */
  finalEvalLoss: number | null;
  /** The last step's training loss (null when no step ran and none was stored). */
  finalLoss: number | null;
  step: number;
}

/** Loss summed over labelled tokens, and how many there were (no graph). */
export function evaluateLoss(model: Transformer, examples: readonly TokenExample[], batchSize: number, padId: number): number {
  let total = 0, count = 0;
  noGrad(() => {
    for (let i = 0; i < examples.length; i += batchSize) {
      const b = collate(examples.slice(i, i + batchSize), padId);
      const loss = sum(model.tokenLosses(model.hidden(new Tensor(b.ids, [b.B, b.T])), new Tensor(b.labels, [b.B, b.T])));
      total += loss.item();
      count += b.targets;
    }
  });
  return count ? total / count : NaN;
}

/** The optimizer steps one at a time; everything a checkpoint must carry to continue lives here. */
class SftSteps {
  readonly opt: AdamW;
  readonly order: ExampleOrder;
  readonly rng: Rng;
  tokens = 0;
  /** Labelled tokens of the last step: with none, its loss is NaN and no gradient was taken. */
  lastTargets = 0;
  private readonly padId: number;
  private readonly evalSet: TokenExample[];
  private windowStart = performance.now();

  constructor(private readonly o: SftOptions, private readonly c: SftConfig, readonly total: number) {
    this.padId = o.tokenizer.pad ?? o.tokenizer.eos ?? 0;
    this.opt = new AdamW(o.model.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
    this.order = new ExampleOrder(o.train.length, c.seed);
    this.rng = new Rng(c.seed);
    this.evalSet = (o.eval ?? []).slice(0, c.evalExamples);
  }

  /** Runs optimizer step `step` (0-based); the log's `step` is one past it. */
  run(step: number): SftLog {
    const { c, o } = this;
    const micro: Batch[] = [];
    for (let m = 0; m < c.gradAccum; m++) micro.push(collate(this.order.next(c.batchSize).map((i) => o.train[i]!), this.padId));
    const targets = micro.reduce((n, b) => n + b.targets, 0);
    this.lastTargets = targets;
    let lossSum = 0, windowTokens = 0;
    for (const b of micro) {
      // The head and the loss in row chunks (Transformer.tokenLosses): no (B, T, V) logits.
      const hidden = o.model.hidden(new Tensor(b.ids, [b.B, b.T]), { training: true, rng: this.rng });
      const loss = sum(o.model.tokenLosses(hidden, new Tensor(b.labels, [b.B, b.T])));
      lossSum += loss.item();
      if (targets > 0) mul(loss, 1 / targets).backward();
      windowTokens += b.B * b.T;
    }
    this.tokens += windowTokens;
    const gradNorm = clipGradNorm(o.model.parameters(), c.gradClip);
    const lr = learningRate(step, scheduleOf(c, this.total));
    this.opt.update(lr);
    this.opt.zeroGrad();
    const now = performance.now();
    const log: SftLog = { step: step + 1, loss: targets ? lossSum / targets : NaN, lr, gradNorm, tokens: this.tokens, tokensPerSec: (windowTokens * 1000) / Math.max(now - this.windowStart, 1e-6) };
    this.windowStart = now;
    if (this.evalSet.length && ((c.evalEvery && log.step % c.evalEvery === 0) || log.step === this.total)) {
      log.evalLoss = evaluateLoss(o.model, this.evalSet, c.batchSize, this.padId);
    }
    return log;
  }

  state(step: number, stopped: boolean): SftState {
    return { step, position: this.order.position, rng: this.rng.state(), tokens: this.tokens, stopped };
  }

  restore(s: SftState): void {
    this.order.position = s.position;
    this.rng.setState(s.rng);
    this.tokens = s.tokens;
  }
}

interface Progressed { step: number; stopped: boolean; finalEval: number | null; finalLoss: number | null }

/** Where a run store's last completed stage left off (a fresh start without one). */
function startFrom(store: RunStore | undefined, loop: SftSteps, model: Transformer, steps: number): Progressed {
  const done = store ? completedStep(store) : 0;
  if (done === 0) return { step: 0, stopped: false, finalEval: null, finalLoss: null };
  if (done > steps) throw new RangeError(`trainSft: the run in ${store!.dir} already trained ${done} steps, more than steps = ${steps}`);
  const s = readSftCheckpoint(store!.checkpointPath(stepCheckpoint(done)), model, loop.opt);
  loop.restore(s);
  const r = store!.stageResult<{ evalLoss?: number; loss?: number } | null>(trainStage(done));
  return { step: s.step, stopped: s.stopped, finalEval: r?.evalLoss ?? null, finalLoss: r?.loss ?? null };
}

export async function trainSft(o: SftOptions): Promise<SftResult> {
  const c = resolveSftConfig(o.config ?? {});
  const { store } = o;
  // TRL's num_train_epochs: passes over the training examples, an update taking batchSize · gradAccum.
  const steps = stepsFor(c, o.train.length, c.batchSize * c.gradAccum);
  const loop = new SftSteps(o, c, steps);
  const at = startFrom(store, loop, o.model, steps);
  const progress = new Progress({ label: 'sft', total: steps, quiet: o.quiet }, at.step);
  const logs: SftLog[] = [];
  while (at.step < steps && !at.stopped) {
    const end = store ? stageEnd(at.step, c.saveEvery || steps, steps) : steps;
    const lastGood = store && at.step > 0 ? store.checkpointPath(stepCheckpoint(at.step)) : null;
    await stageOf(store, trainStage(end), async (scope) => {
      while (at.step < end && !at.stopped) {
        const log = await guardedStep({ who: 'sft', step: at.step + 1, lastGood }, () => loop.run(at.step),
          (l) => ({ ...(loop.lastTargets > 0 ? { loss: l.loss } : {}), evalLoss: l.evalLoss }));
        at.step = log.step;
        at.finalLoss = log.loss;
        if (log.evalLoss !== undefined) at.finalEval = log.evalLoss;
        logs.push(log);
        scope.log({ ...log });
        o.onLog?.(log);
        progress.update(at.step, { loss: log.loss, ...(log.evalLoss !== undefined ? { eval: log.evalLoss } : {}), 'tok/s': Math.round(log.tokensPerSec) });
        if (o.afterStep && (await o.afterStep(at.step)) === 'stop') at.stopped = true;
      }
      store?.saveCheckpoint(stepCheckpoint(end), (d) => writeSftCheckpoint(d, o.model, o.tokenizer, loop.opt, loop.state(at.step, at.stopped)));
      return finite({ step: at.step, loss: at.finalLoss ?? undefined, evalLoss: at.finalEval ?? undefined });
    });
  }
  progress.finish();
  return { logs, finalEvalLoss: at.finalEval, finalLoss: at.finalLoss, step: at.step };
}
