// Resumable training through the run store, shared by the reward-model and DPO trainers. A run
// of S steps is cut into stages `train/step-<end>` of `saveEvery` steps; each stage logs its
// steps' metrics, writes checkpoint `step-<end>` (weights with their heads, tokenizer, AdamW
// moments, data position) and then completes. A crash loses only the stage in progress: the run
// store drops that stage's metrics and the resume reloads `step-<start>` and replays it, so every
// step is logged exactly once. Each stage reads only the checkpoint of the stage before it, never
// the one it writes (the run store's rule).
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../../io/checkpoint.js';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.js';
import { checkFiniteTensor, loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { AdamW, AdamWState } from '../../nn/index.js';
import type { Progress } from '../../io/progress.js';
import { stageOf, type RunStore } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { guardedStep, lossesOf } from './guard.js';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FILE = 'trainer_state.json';

/** What a checkpoint needs beyond weights and optimizer to continue exactly. */
export interface TrainerState {
  step: number;
  /** ExampleOrder position: pairs consumed so far. */
  position: number;
}

const STAGE_RE = /^train\/step-(\d+)$/;
export const trainStage = (end: number): string => `train/step-${end}`;
export const stepCheckpoint = (end: number): string => `step-${end}`;

/** The last step a completed `train/step-N` stage reached (0 for a fresh run). */
export function completedStep(store: RunStore): number {
  let step = 0;
  for (const s of store.completedStages()) {
    const m = STAGE_RE.exec(s);
    if (m) step = Math.max(step, Number(m[1]));
  }
  return step;
}

/** End of the stage that starts after `step`: the next multiple of `every`, at most `total`. */
export function stageEnd(step: number, every: number, total: number): number {
  return Math.min(total, (Math.floor(step / every) + 1) * every);
}

/** A stage result keeps finite numbers only (the run store refuses NaN, which a diverged loss can be). */
export function finite(r: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => Number.isFinite(e[1])));
}

/** Writes weights (saveModelDir: `score.*` heads included), AdamW moments and the trainer state into `dir`. */
export function writeTrainerCheckpoint(dir: string, model: Transformer, tokenizer: Tokenizer, opt: AdamW, state: TrainerState, metadata?: Record<string, string>): void {
  saveModelDir(dir, model, { tokenizer, ...(metadata ? { metadata } : {}) });
  writeOptimizerState(join(dir, OPTIMIZER_FILE), opt);
  writeJsonAtomic(join(dir, TRAINER_STATE_FILE), state);
}

/** AdamW's moments as safetensors (m.<name>, v.<name>; step counts in the metadata), streamed from its live buffers. */
export function writeOptimizerState(file: string, opt: AdamW): void {
  const s = opt.moments();
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of Object.entries(s.m)) tensors.set(`m.${k}`, { shape: [v.length], data: v });
  for (const [k, v] of Object.entries(s.v)) tensors.set(`v.${k}`, { shape: [v.length], data: v });
  writeSafetensors(file, tensors, { step: String(s.step), paramSteps: JSON.stringify(s.paramSteps ?? {}) });
}

/** Copies a checkpoint's weights into `model` and its moments into `opt`; returns the trainer state. */
export function readTrainerCheckpoint(dir: string, model: Transformer, opt: AdamW): TrainerState {
  const state = readJson(join(dir, TRAINER_STATE_FILE), 'trainer state') as Partial<TrainerState>;
  if (!Number.isInteger(state.step) || !Number.isInteger(state.position)) {
    throw new Error(`${join(dir, TRAINER_STATE_FILE)}: expected integer "step" and "position", got ${JSON.stringify(state)}`);
  }
  // LoRA adapters included, by their names: a checkpoint of a LoRA run holds them as a PEFT adapter.
  const saved = new Map(loadModelDir(dir, { tokenizer: false }).model.namedParameters());
  for (const [name, p] of model.namedParameters()) {
    const q = saved.get(name);
    if (!q || q.size !== p.size) throw new Error(`${dir}: checkpoint has no parameter "${name}" of ${p.size} values; it belongs to a different model`);
    p.f32.set(q.f32);
  }
  opt.loadState(readOptimizerState(join(dir, OPTIMIZER_FILE), state.step!));
  return { step: state.step!, position: state.position! };
}

/** AdamW's moments as writeTrainerCheckpoint stores them; a non-finite moment is refused, naming it, as weights are. */
export function readOptimizerState(file: string, step: number): AdamWState {
  const { tensors, metadata } = readSafetensors(file);
  const m: Record<string, Float32Array> = {}, v: Record<string, Float32Array> = {};
  for (const [k, t] of tensors) {
    checkFiniteTensor(k, t.data, file);
    (k.startsWith('m.') ? m : v)[k.slice(2)] = t.data as Float32Array;
  }
  const paramSteps = metadata['paramSteps'] ? (JSON.parse(metadata['paramSteps']) as Record<string, number>) : undefined;
  return { step: Number(metadata['step'] ?? step), ...(paramSteps ? { paramSteps } : {}), m, v };
}

export interface BlockTraining<L extends { step: number }> {
  store: RunStore | undefined;
  /** Total steps and steps per block (0: one block). */
  steps: number;
  saveEvery: number;
  model: Transformer;
  tokenizer: Tokenizer;
  opt: AdamW;
  /** The data order; its position is saved with each checkpoint. */
  order: { position: number };
  /** Runs optimizer step `step` (0-based) and returns its log, whose `step` is one past it. */
  trainStep(step: number): L;
  /** The stage result of a block, from the logs of its steps. */
  summary(logs: readonly L[]): Record<string, number | undefined>;
  onLog?: (log: L) => void;
  progress: Progress;
  /** Names the trainer in errors. */
  who: string;
}

/**
 * Runs `steps` steps in blocks of `saveEvery`, each the run-store stage `train/step-<end>`: its
 * steps' metrics, then checkpoint `step-<end>`, then completion. A resumed run first reloads the
 * last completed block's checkpoint, so only the block in progress is repeated. Without a store
 * the steps run in one block and nothing is written.
 */
export async function trainInBlocks<L extends { step: number }>(t: BlockTraining<L>): Promise<{ logs: L[]; step: number }> {
  const { store } = t;
  let step = store ? completedStep(store) : 0;
  if (step > t.steps) throw new RangeError(`${t.who}: the run in ${store!.dir} already trained ${step} steps, more than steps = ${t.steps}`);
  if (step > 0) t.order.position = readTrainerCheckpoint(store!.checkpointPath(stepCheckpoint(step)), t.model, t.opt).position;
  const logs: L[] = [];
  while (step < t.steps) {
    const end = store ? stageEnd(step, t.saveEvery || t.steps, t.steps) : t.steps;
    const lastGood = store && step > 0 ? store.checkpointPath(stepCheckpoint(step)) : null;
    await stageOf(store, trainStage(end), async (s) => {
      const block: L[] = [];
      for (; step < end;) {
        const log = await guardedStep({ who: t.who, step: step + 1, lastGood }, () => t.trainStep(step), lossesOf);
        step = log.step;
        block.push(log);
        s.log({ ...log });
        t.onLog?.(log);
      }
      logs.push(...block);
      store?.saveCheckpoint(stepCheckpoint(end), (d) => writeTrainerCheckpoint(d, t.model, t.tokenizer, t.opt, { step, position: t.order.position }));
      return finite(t.summary(block));
    });
  }
  t.progress.finish();
  return { logs, step };
}
