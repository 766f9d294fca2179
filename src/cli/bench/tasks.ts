// alignkit's side of `alignkit bench`: train (forward, cross-entropy, backward, clip, AdamW on a
// GPT-2-family model), generate (KV-cache sampling with `generate`, the API users call) and
// matmul (the backend's sgemm), and a profile of the first two by kernel. worker.ts runs one of
// these per process.
import { crossEntropy } from '../../ops/index.js';
import { AdamW, clipGradNorm } from '../../nn/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { Transformer, defaultConfig, generate } from '../../model/index.js';
import { backend, nativeStatus } from '../../backend/index.js';
import { MODELS, TRAIN_STEP, type BenchModel } from './configs.js';
import { bestOf, type Rounds } from './measure.js';
import { KernelProfiler } from './profile.js';
import { isRealTask, runRealTask, type RealTask } from './real/tasks.js';

export type WorkerTask =
  | { kind: 'train'; config: 'A' | 'B'; rounds: Rounds }
  | { kind: 'generate'; config: 'A' | 'B'; batch: number; prompt: number; newTokens: number; rounds: Rounds }
  | { kind: 'matmul'; sizes: number[]; rounds: Rounds }
  | { kind: 'profile'; of: 'train' | 'generate'; config: 'A' | 'B'; batch: number; prompt: number; newTokens: number; calls: number }
  | RealTask;

export function buildModel(m: BenchModel): Transformer {
  return new Transformer(defaultConfig('gpt2', {
    vocabSize: m.vocab, dModel: m.dModel, nLayer: m.nLayer, nHead: m.nHead, nKvHead: m.nHead, maxSeqLen: m.ctx, initStd: m.initStd,
  }), undefined, 1);
}

function randomIds(n: number, vocab: number, rng: Rng): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.nextU32() % vocab;
  return a;
}

/** One training step of config A or B, ready to call; `loss()` is the last step's loss. */
export function trainStep(config: 'A' | 'B'): { step: () => void; loss: () => number; tokens: number } {
  const m = MODELS[config];
  const model = buildModel(m);
  const opt = new AdamW(model.namedParameters(), TRAIN_STEP);
  const rng = new Rng(2);
  // Next-token targets of random text: the step's cost does not depend on what the tokens say.
  const batches = Array.from({ length: 4 }, () => {
    const seq = randomIds(m.batch * (m.ctx + 1), m.vocab, rng);
    const ids = new Int32Array(m.batch * m.ctx), tgt = new Int32Array(m.batch * m.ctx);
    for (let b = 0; b < m.batch; b++) {
      ids.set(seq.subarray(b * (m.ctx + 1), b * (m.ctx + 1) + m.ctx), b * m.ctx);
      tgt.set(seq.subarray(b * (m.ctx + 1) + 1, (b + 1) * (m.ctx + 1)), b * m.ctx);
    }
    return { ids: new Tensor(ids, [m.batch, m.ctx]), tgt: new Tensor(tgt, [m.batch, m.ctx]) };
  });
  let i = 0, loss = NaN;
  const step = (): void => {
    const { ids, tgt } = batches[i++ % batches.length]!;
    const l = crossEntropy(model.logits(ids, { training: true }), tgt);
    loss = l.item();
    l.backward();
    clipGradNorm(model.parameters(), TRAIN_STEP.gradClip);
    opt.update();
    opt.zeroGrad();
  };
  return { step, loss: () => loss, tokens: m.batch * m.ctx };
}

function train(config: 'A' | 'B', rounds: Rounds): Record<string, number> {
  const t = trainStep(config);
  const r = bestOf(rounds, t.step);
  return { tok_s: (t.tokens * 1000) / r.msPerCall, ms_per_step: r.msPerCall, rounds: r.roundsRun, loss: t.loss() };
}

/** One sampling call (`generate` with temperature 1 and no stop token); returns the tokens made. */
export function sampleCall(config: 'A' | 'B', batch: number, prompt: number, newTokens: number): () => number {
  const m = MODELS[config];
  const model = buildModel(m);
  const rng = new Rng(3);
  const prompts = Array.from({ length: batch }, () => Array.from(randomIds(prompt, m.vocab, rng)));
  return () => generate(model, prompts, { maxNewTokens: newTokens, temperature: 1, seed: 4 }).reduce((n, x) => n + x.tokens.length, 0);
}

function sample(config: 'A' | 'B', batch: number, prompt: number, newTokens: number, rounds: Rounds): Record<string, number> {
  const call = sampleCall(config, batch, prompt, newTokens);
  let produced = 0;
  const r = bestOf(rounds, () => { produced = call(); });
  return { tok_s: (produced * 1000) / r.msPerCall, ms_per_call: r.msPerCall, rounds: r.roundsRun, tokens: produced };
}

function matmul(sizes: number[], rounds: Rounds): Record<string, unknown> {
  const be = backend();
  const out: { n: number; gflops: number }[] = [];
  for (const n of sizes) {
    const rng = new Rng(n);
    const a = new Float32Array(n * n).map(() => rng.uniform() - 0.5), b = new Float32Array(n * n).map(() => rng.uniform() - 0.5);
    const c = new Float32Array(n * n);
    const r = bestOf(rounds, () => be.matmul(c, a, b, 1, n, n, n, false, false, 0, 0, 0, false));
    out.push({ n, gflops: (2 * n ** 3) / (r.msPerCall / 1000) / 1e9 });
  }
  return { points: out };
}

function describeBackend(): Record<string, unknown> {
  const s = nativeStatus();
  const be = backend();
  if (be.name === 'native' && s.ok) return { backend: 'native', ...s.native.config() };
  return { backend: be.name };
}

/**
 * The kernels of the fastest of `calls` training steps or sampling calls, each kernel's total and
 * calls (matmul split by shape); `other_ms` is the rest of the wall time: JavaScript (op
 * bookkeeping, autograd, allocation, garbage collection) and sampling.
 */
function profile(t: Extract<WorkerTask, { kind: 'profile' }>): Record<string, unknown> {
  return profileCalls(t.of === 'train' ? trainStep(t.config).step : sampleCall(t.config, t.batch, t.prompt, t.newTokens), t.calls);
}

/** The profile of the fastest of `calls` calls of `call`, after one untimed call. */
export function profileCalls(call: () => void, calls: number): Record<string, unknown> {
  call();
  const prof = new KernelProfiler(true);
  let best = Infinity, kernels: ReturnType<KernelProfiler['report']> = [];
  for (let i = 0; i < calls; i++) {
    prof.reset();
    const t0 = performance.now();
    call();
    const ms = performance.now() - t0;
    if (ms < best) { best = ms; kernels = prof.report(); }
  }
  prof.stop();
  const inKernels = kernels.reduce((s, k) => s + k.ms, 0);
  return { wall_ms: best, kernel_ms: inKernels, other_ms: best - inKernels, kernels };
}

/** Runs one task and returns what the worker prints (without the RSS, which the worker adds last). */
export async function runTask(task: WorkerTask): Promise<Record<string, unknown>> {
  const result = isRealTask(task) ? await runRealTask(task, profileCalls)
    : task.kind === 'train' ? train(task.config, task.rounds)
    : task.kind === 'generate' ? sample(task.config, task.batch, task.prompt, task.newTokens, task.rounds)
    : task.kind === 'matmul' ? matmul(task.sizes, task.rounds)
    : task.kind === 'profile' ? profile(task)
    : null;
  if (!result) throw new Error(`bench worker: unknown task ${JSON.stringify(task)}`);
  return { ...result, ...describeBackend() };
}
