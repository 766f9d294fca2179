// The outer loop every online trainer shares: steps in checkpointed blocks through the run store
// (see store.ts for why blocks, and what a resume restores). The trainer supplies one
// step — rollout, advantages, update — and this runs it from wherever the run stands.
import { Progress } from '../../io/progress.js';
import type { RunStore, SampleRecord } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { guardedStep, lossesOf } from '../trainer/guard.js';
import {
  blockEnd, completedStep, loadTrainerCheckpoint, saveTrainerCheckpoint, stepName, type TrainerParts,
} from './store.js';

export interface StepOutput<L> {
  /** The step's metrics, one line of metrics.jsonl. */
  log: L;
  /** Every sample of the step's rollout. */
  records: SampleRecord[];
}

export interface BlockRunOptions<L extends { step: number }> {
  store: RunStore;
  tokenizer: Tokenizer;
  parts: TrainerParts;
  steps: number;
  saveEvery: number;
  /** The progress label: 'ppo', 'grpo', 'rloo'. */
  label: string;
  quiet?: boolean;
  /** Trainer state beyond weights and optimisers (PPO's adaptive β), saved with each checkpoint. */
  state?: () => Record<string, unknown>;
  restore?: (state: Record<string, unknown>) => void;
  step: (n: number) => Promise<StepOutput<L>>;
  /** A throw here stops the run like a crash: the block in progress is lost, its metrics too. */
  onLog?: (log: L) => void;
  /** The few numbers the progress line shows. */
  show: (log: L) => Record<string, number>;
}

export async function runBlocks<L extends { step: number }>(o: BlockRunOptions<L>): Promise<{ logs: L[]; step: number }> {
  const { store, parts, tokenizer: tok } = o;
  const state = () => ({ ...(o.state?.() ?? {}) });
  let step = completedStep(store);
  if (store.hasCheckpoint(stepName(step))) {
    const saved = loadTrainerCheckpoint(store, stepName(step), parts); // not inside `o.restore?.(…)`: that would skip it without a restore
    o.restore?.(saved);
  } else if (step === 0) saveTrainerCheckpoint(store, stepName(0), parts, tok, { step: 0, ...state() });
  else throw new Error(`${store.dir}: stage ${stepName(step)} completed but its checkpoint is missing`);

  const logs: L[] = [];
  const progress = new Progress({ label: o.label, total: o.steps, quiet: o.quiet }, step);
  while (step < o.steps) {
    const end = blockEnd(step + 1, o.steps, o.saveEvery), stage = stepName(end);
    // The block's samples, metrics and checkpoint commit together as the stage completes.
    const lastGood = store.checkpointPath(stepName(step));
    await store.stage(stage, async (scope) => {
      const samples = scope.samples();
      for (let n = step + 1; n <= end; n++) {
        const { log, records } = await guardedStep({ who: o.label, step: n, lastGood }, () => o.step(n), (out) => lossesOf(out.log));
        samples.write(records);
        scope.log({ ...log });
        logs.push(log);
        o.onLog?.(log);
        progress.update(n, o.show(log));
      }
      samples.commit();
      saveTrainerCheckpoint(store, stage, parts, tok, { step: end, ...state() });
      return { step: end, ...o.show(logs.at(-1)!) };
    });
    step = end;
  }
  progress.finish();
  return { logs, step };
}
