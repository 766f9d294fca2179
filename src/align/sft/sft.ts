// Supervised training: pretraining on text windows and SFT on prompt/completion pairs are the
// same loop — next-token cross-entropy on the labelled positions. Each update sums the
// micro-batches' token losses and divides by the tokens of the whole update, so batch 1 ×
// accumulation 8 and batch 8 × accumulation 1 give the same gradient.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crossEntropy, mul } from '../../ops/index.js';
import { noGrad } from '../../autograd/index.js';
import { AdamW, clipGradNorm, learningRate } from '../../nn/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.js';
import { readJson, writeJsonAtomic } from '../../io/checkpoint.js';
import { appendJsonl, readJsonl, writeJsonl } from '../../io/jsonl.js';
import { ExampleOrder, collate, type Batch, type TokenExample } from '../../data/lm-examples.js';
import { Progress } from '../../runs/progress.js';
import { resolveSftConfig, type SftConfig } from './config.js';
import { minLrOf } from '../trainer/optimizer-options.js';

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
  /** Checkpoints (checkpoint-<step>/), metrics.jsonl and the final model go here. */
  outDir?: string;
  /** A checkpoint directory to continue from (weights, optimizer, data position, generator). */
  resumeFrom?: string;
  onLog?: (log: SftLog) => void;
  /** Awaited after every optimizer step (validation with an asynchronous verifier); returning 'stop' ends training early. */
  afterStep?: (step: number) => void | 'stop' | Promise<void | 'stop'>;
  quiet?: boolean;
}

export interface SftResult { logs: SftLog[]; finalEvalLoss: number | null; step: number }

interface TrainerState { step: number; position: number; rng: number[]; tokens: number; config: SftConfig }

/** Loss summed over labelled tokens, and how many there were (no graph). */
export function evaluateLoss(model: Transformer, examples: readonly TokenExample[], batchSize: number, padId: number): number {
  let total = 0, count = 0;
  noGrad(() => {
    for (let i = 0; i < examples.length; i += batchSize) {
      const b = collate(examples.slice(i, i + batchSize), padId);
      const loss = crossEntropy(model.logits(new Tensor(b.ids, [b.B, b.T])), new Tensor(b.labels, [b.B, b.T]), { reduction: 'sum' });
      total += loss.item();
      count += b.targets;
    }
  });
  return count ? total / count : NaN;
}

export async function trainSft(o: SftOptions): Promise<SftResult> {
  const c = resolveSftConfig(o.config ?? {});
  const { model, tokenizer } = o;
  const padId = tokenizer.pad ?? tokenizer.eos ?? 0;
  const opt = new AdamW(model.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const order = new ExampleOrder(o.train.length, c.seed);
  const rng = new Rng(c.seed);
  let step = 0, tokens = 0;
  if (o.resumeFrom) ({ step, tokens } = resume(o.resumeFrom, model, opt, order, rng));
  const evalSet = (o.eval ?? []).slice(0, c.evalExamples);
  const logs: SftLog[] = [];
  const metricsFile = o.outDir ? join(o.outDir, 'metrics.jsonl') : null;
  if (metricsFile && o.resumeFrom && existsSync(metricsFile)) {
    // Steps after the checkpoint were lost with the interrupted run; drop them so none repeats.
    writeJsonl(metricsFile, readJsonl(metricsFile).map((r) => r.value).filter((r) => (r as SftLog).step <= step));
  }
  const progress = new Progress({ label: 'sft', total: c.steps, quiet: o.quiet }, step);
  let finalEval: number | null = null;
  let windowStart = performance.now(), windowTokens = 0;
  while (step < c.steps) {
    const micro: Batch[] = [];
    for (let m = 0; m < c.gradAccum; m++) micro.push(collate(order.next(c.batchSize).map((i) => o.train[i]!), padId));
    const targets = micro.reduce((n, b) => n + b.targets, 0);
    let lossSum = 0;
    for (const b of micro) {
      const logits = model.logits(new Tensor(b.ids, [b.B, b.T]), { training: true, rng });
      const loss = crossEntropy(logits, new Tensor(b.labels, [b.B, b.T]), { reduction: 'sum' });
      lossSum += loss.item();
      if (targets > 0) mul(loss, 1 / targets).backward();
      tokens += b.B * b.T;
      windowTokens += b.B * b.T;
    }
    const gradNorm = clipGradNorm(model.parameters(), c.gradClip);
    const lr = learningRate(step, { lr: c.lr, minLr: minLrOf(c), warmupSteps: c.warmupSteps, totalSteps: c.steps });
    opt.update(lr);
    opt.zeroGrad();
    step++;
    const now = performance.now();
    const log: SftLog = { step, loss: targets ? lossSum / targets : NaN, lr, gradNorm, tokens, tokensPerSec: (windowTokens * 1000) / Math.max(now - windowStart, 1e-6) };
    windowStart = now;
    windowTokens = 0;
    if (evalSet.length && ((c.evalEvery && step % c.evalEvery === 0) || step === c.steps)) {
      log.evalLoss = evaluateLoss(model, evalSet, c.batchSize, padId);
      finalEval = log.evalLoss;
    }
    logs.push(log);
    o.onLog?.(log);
    if (metricsFile) appendJsonl(metricsFile, [log]);
    progress.update(step, { loss: log.loss, ...(log.evalLoss !== undefined ? { eval: log.evalLoss } : {}), 'tok/s': Math.round(log.tokensPerSec) });
    if (o.outDir && ((c.saveEvery && step % c.saveEvery === 0) || step === c.steps)) {
      saveCheckpoint(join(o.outDir, `checkpoint-${step}`), model, tokenizer, opt, { step, position: order.position, rng: rng.state(), tokens, config: c });
    }
    if (o.afterStep && (await o.afterStep(step)) === 'stop') break;
  }
  progress.finish();
  if (o.outDir) saveModelDir(o.outDir, model, { tokenizer });
  return { logs, finalEvalLoss: finalEval, step };
}

/** Writes the whole checkpoint into a temporary directory, then renames it into place. */
export function saveCheckpoint(dir: string, model: Transformer, tokenizer: Tokenizer, opt: AdamW, state: TrainerState): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  saveModelDir(tmp, model, { tokenizer });
  const s = opt.state();
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of Object.entries(s.m)) tensors.set(`m.${k}`, { shape: [v.length], data: v });
  for (const [k, v] of Object.entries(s.v)) tensors.set(`v.${k}`, { shape: [v.length], data: v });
  writeSafetensors(join(tmp, 'optimizer.safetensors'), tensors, { step: String(s.step), paramSteps: JSON.stringify(s.paramSteps ?? {}) });
  writeJsonAtomic(join(tmp, 'trainer_state.json'), state);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

function resume(dir: string, model: Transformer, opt: AdamW, order: ExampleOrder, rng: Rng): { step: number; tokens: number } {
  const state = readJson(join(dir, 'trainer_state.json'), 'trainer state') as TrainerState;
  const saved = loadModelDir(dir).model;
  for (const [name, p] of model.params) {
    const q = saved.params.get(name);
    if (!q || q.size !== p.size) throw new Error(`${dir}: checkpoint has no parameter "${name}" of ${p.size} values; it belongs to a different model`);
    p.f32.set(q.f32);
  }
  const { tensors, metadata } = readSafetensors(join(dir, 'optimizer.safetensors'));
  const m: Record<string, Float32Array> = {}, v: Record<string, Float32Array> = {};
  for (const [k, t] of tensors) (k.startsWith('m.') ? m : v)[k.slice(2)] = t.data as Float32Array;
  const paramSteps = metadata['paramSteps'] ? (JSON.parse(metadata['paramSteps']) as Record<string, number>) : undefined;
  opt.loadState({ step: Number(metadata['step'] ?? state.step), ...(paramSteps ? { paramSteps } : {}), m, v });
  order.position = state.position;
  rng.setState(state.rng);
  return { step: state.step, tokens: state.tokens };
}

/** The checkpoint with the highest step in an output directory, or null. */
export function latestCheckpoint(outDir: string): string | null {
  if (!existsSync(outDir)) return null;
  const steps = readdirSync(outDir).map((n) => /^checkpoint-(\d+)$/.exec(n)).filter((m) => m).map((m) => Number(m![1]));
  return steps.length ? join(outDir, `checkpoint-${Math.max(...steps)}`) : null;
}
