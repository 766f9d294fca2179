// alignkit's side of configs C and D (issue 20), one task per worker process: greedy generation
// from the random checkpoint (bf16 weights kept 16-bit, or widened to float32), a LoRA SFT step
// and a full SFT step (float32 compute; LoRA's frozen base stays bf16), the per-kernel profile of
// a decode call and of a LoRA step, and the GGUF export llama.cpp runs. A `paired` generation or
// LoRA task times the exact path and the opt-in bf16 compute (model.bf16Compute) on one model in
// one process, one after the other, so that their ratio holds on a loaded machine.
import { noGrad } from '../../../autograd/index.js';
import { AdamW } from '../../../nn/index.js';
import { mean } from '../../../ops/index.js';
import { Rng, Tensor } from '../../../tensor/index.js';
import { createLora, defaultLoraTargets, exportModel, generate, layoutOf, loadModelDir, type Transformer } from '../../../model/index.js';
import { bestOf } from '../measure.js';

/** bf16: the checkpoint's matrices read 16-bit by the kernels (frozenDtype 'keep'); float32: widened on load. */
export type GenWeights = 'bf16' | 'float32';

export type RealTask =
  | { kind: 'real-generate'; dir: string; weights: GenWeights; prompts: number[][]; newTokens: number; warmupTokens: number; paired?: boolean }
  | { kind: 'real-train'; dir: string; mode: 'lora' | 'full'; seq: number; steps: number; rank: number; alpha: number; paired?: boolean }
  | { kind: 'real-profile'; dir: string; of: 'decode' | 'lora'; seq: number; newTokens: number; rank: number; alpha: number; calls: number }
  | { kind: 'gguf-export'; dir: string; out: string; dtype: 'bf16' | 'f16' | 'q8_0' };

const load = (dir: string, weights: GenWeights): { model: Transformer; loadS: number } => {
  const t0 = performance.now();
  const model = loadModelDir(dir, { frozenDtype: weights === 'bf16' ? 'keep' : 'float32', tokenizer: false }).model;
  return { model, loadS: (performance.now() - t0) / 1000 };
};

/** Greedy, no stop token: every row makes exactly `newTokens`, which the result checks. */
function greedyCall(model: Transformer, prompts: number[][], newTokens: number): () => number {
  return () => {
    const out = noGrad(() => generate(model, prompts, { maxNewTokens: newTokens, temperature: 0, stopTokens: [] }));
    const made = out.reduce((n, s) => n + s.tokens.length, 0);
    if (made !== prompts.length * newTokens) throw new Error(`bench: generation made ${made} tokens, expected ${prompts.length}×${newTokens}`);
    return made;
  };
}

function realGenerate(t: Extract<RealTask, { kind: 'real-generate' }>): Record<string, unknown> {
  const { model, loadS } = load(t.dir, t.weights);
  const call = greedyCall(model, t.prompts, t.newTokens);
  const timed = (bf16Compute: boolean): { tok_s: number; ms: number; made: number } => {
    model.bf16Compute = bf16Compute;
    greedyCall(model, t.prompts, t.warmupTokens)();
    let made = 0;
    const r = bestOf({ warmup: 0, steps: 1, rounds: 1, budgetMs: 0 }, () => { made = call(); });
    return { tok_s: (made * 1000) / r.msPerCall, ms: r.msPerCall, made };
  };
  const exact = t.paired ? timed(false) : null, r = timed(t.paired ?? false);
  const compute = t.paired ? 'bf16 compute (activations rounded to bf16, float32 sums)' : t.weights === 'bf16' ? 'bf16 weights, float32 accumulation' : 'float32';
  return { tok_s: r.tok_s, ms_per_call: r.ms, tokens: r.made, load_s: loadS, dtype: t.weights, compute, ...(exact ? { exact_tok_s: exact.tok_s } : {}) };
}

/** One SFT step on random tokens, ready to call: LoRA (r, alpha on attention and MLP, frozen base bf16) or full (all float32). */
export function sftStep(dir: string, mode: 'lora' | 'full', seq: number, rank: number, alpha: number): {
  step: () => void; loss: () => number; model: Transformer; phases: () => Record<'forward' | 'backward' | 'update' | 'zeroGrad', number>;
} {
  const model = load(dir, mode === 'lora' ? 'bf16' : 'float32').model;
  if (mode === 'lora') {
    model.lora = createLora(model.params, layoutOf(model.config), { rank, alpha, dropout: 0, targets: defaultLoraTargets.llama }, new Rng(1));
    for (const p of model.params.values()) if (p.requiresGrad) p.requireGrad(false);
  }
  const V = model.config.vocabSize, rng = new Rng(2);
  const ids = new Tensor(Int32Array.from({ length: seq }, () => rng.int(V)), [1, seq]);
  const targets = new Tensor(Int32Array.from({ length: seq }, () => rng.int(V)), [1, seq]);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-4 });
  let last = NaN;
  const t = [0, 0, 0, 0, 0];
  const step = (): void => {
    t[0] = performance.now();
    // SFT's loss: the chunked LM head + cross-entropy, no (T, V) float32 logits.
    const loss = mean(model.tokenLosses(model.hidden(ids), targets));
    last = loss.item();
    t[1] = performance.now();
    loss.backward();
    t[2] = performance.now();
    opt.update();
    t[3] = performance.now();
    opt.zeroGrad();
    t[4] = performance.now();
  };
  // The last step's wall time by phase, ms (the profile's split).
  const phases = () => ({ forward: t[1]! - t[0]!, backward: t[2]! - t[1]!, update: t[3]! - t[2]!, zeroGrad: t[4]! - t[3]! });
  return { step, loss: () => last, model, phases };
}

function realTrain(t: Extract<RealTask, { kind: 'real-train' }>): Record<string, unknown> {
  const t0 = performance.now();
  const s = sftStep(t.dir, t.mode, t.seq, t.rank, t.alpha);
  const loadS = (performance.now() - t0) / 1000;
  const timed = (bf16Compute: boolean): number => {
    s.model.bf16Compute = bf16Compute;
    return bestOf({ warmup: 1, steps: 1, rounds: t.steps, budgetMs: Infinity }, s.step).msPerCall;
  };
  const exact = t.paired ? timed(false) : null, ms = timed(t.paired ?? false);
  const dtype = t.paired ? 'frozen base bf16, bf16 compute' : t.mode === 'lora' ? 'frozen base bf16, float32 compute' : 'float32';
  return { tok_s: (t.seq * 1000) / ms, ms_per_step: ms, rounds: t.steps, loss: s.loss(), load_s: loadS, dtype, ...(exact ? { exact_tok_s: (t.seq * 1000) / exact } : {}) };
}

async function ggufExport(t: Extract<RealTask, { kind: 'gguf-export' }>): Promise<Record<string, unknown>> {
  const r = await exportModel({ model: t.dir, format: 'gguf', dtype: t.dtype, out: t.out, quiet: true });
  return { out: r.out, tensors: r.tensors, warnings: r.warnings };
}

export function isRealTask(t: { kind: string }): t is RealTask {
  return t.kind === 'real-generate' || t.kind === 'real-train' || t.kind === 'real-profile' || t.kind === 'gguf-export';
}

/** The call a profile of configs C and D times: a batch-1 greedy decode of `newTokens`, or one LoRA step. */
export function realProfileCall(t: Extract<RealTask, { kind: 'real-profile' }>): () => void {
  if (t.of === 'lora') return sftStep(t.dir, 'lora', t.seq, t.rank, t.alpha).step;
  const { model } = load(t.dir, 'bf16');
  const rng = new Rng(3), prompt = Array.from({ length: t.seq }, () => rng.int(model.config.vocabSize));
  const call = greedyCall(model, [prompt], t.newTokens);
  return () => { call(); };
}

export async function runRealTask(t: RealTask, profile: (call: () => void, calls: number) => Record<string, unknown>): Promise<Record<string, unknown>> {
  if (t.kind === 'real-generate') return realGenerate(t);
  if (t.kind === 'real-train') return realTrain(t);
  if (t.kind === 'real-profile') return profile(realProfileCall(t), t.calls);
  return ggufExport(t);
}
