// What the export tests share: tiny models with a tokenizer llama.cpp can load, alignkit's greedy
// tokens and log-probabilities, and the same read back from real llama.cpp through node-llama-cpp.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, Rng, Tensor } from '../../src/index.js';
import { type Transformer } from '../../src/model/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';

export const tempDir = (tag: string): string => mkdtempSync(join(tmpdir(), `alignkit-export-${tag}-`));

/** A char tokenizer of exactly `vocab` ids: characters, then unk, bos, eos, pad. */
export const charTokenizer = (vocab: number): CharTokenizer =>
  new CharTokenizer([...'abcdefghijklmnopqrstuvwxyz0123456789 .,!?:;-+=()[]{}<>/*&%$#@^~_|ABCDEFGHIJKLMNOPQRSTUVWXYZ'].slice(0, vocab - 4));

/** A copy of a tokenizer-less checkpoint with a char tokenizer of exactly `vocab` ids saved beside it. */
export function withCharTokenizer(dir: string, vocab: number): string {
  const out = tempDir('ckpt');
  cpSync(dir, out, { recursive: true });
  charTokenizer(vocab).save(out);
  return out;
}

/**
 * The prompts every case uses: drawn once from a fixed seed (not chosen after seeing any result),
 * 3 prompts of 4 to 7 ids below `vocab`.
 */
export function fixedPrompts(vocab: number, count = 3): number[][] {
  const rng = new Rng(19);
  return Array.from({ length: count }, () => Array.from({ length: 4 + rng.int(4) }, () => rng.int(vocab)));
}

const logSoftmax = (row: Float32Array): Float64Array => {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  return Float64Array.from(row, (v) => v - m - Math.log(s));
};

export interface Reference { greedy: number[]; logProbs: Float64Array[]; margins: number[] }

/** alignkit's greedy tokens by full recompute, the log-probabilities of each step, and each step's top-1 − top-2 logit margin. */
export function alignkitGreedy(model: Transformer, prompt: readonly number[], steps: number): Reference {
  const seq = [...prompt], V = model.config.vocabSize, logProbs: Float64Array[] = [], margins: number[] = [];
  noGrad(() => {
    for (let s = 0; s < steps; s++) {
      const last = model.logits(new Tensor(Int32Array.from(seq), [1, seq.length])).f32.slice((seq.length - 1) * V, seq.length * V);
      let best = 0;
      for (let i = 1; i < V; i++) if (last[i]! > last[best]!) best = i;
      let second = -Infinity;
      for (let i = 0; i < V; i++) if (i !== best) second = Math.max(second, last[i]!);
      logProbs.push(logSoftmax(last));
      margins.push(last[best]! - second);
      seq.push(best);
    }
  });
  return { greedy: seq.slice(prompt.length), logProbs, margins };
}

type NodeLlama = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<NodeLlama['getLlama']>>;
let nlc: Promise<Llama | string> | undefined;

/** node-llama-cpp's llama.cpp on the CPU, prebuilt (never built here), or why it is not available. */
export function llamaCpp(): Promise<Llama | string> {
  nlc ??= (async () => {
    try {
      const lib = await import('node-llama-cpp');
      return await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error, progressLogs: false });
    } catch (e) {
      return `node-llama-cpp is not usable here (${(e as Error).message.split('\n')[0]})`;
    }
  })();
  return nlc;
}

export interface LlamaRun {
  /** llama.cpp's own greedy run; its sampler stops at an end-of-generation token (EOS), so it may be shorter. */
  free: number[];
  /** llama.cpp's argmax at each step of alignkit's path: equal to alignkit's tokens iff llama.cpp's greedy run would give them all. */
  greedy: number[];
  logProbs: Float64Array[];
}

/**
 * For each prompt: llama.cpp's own greedy continuation (its sampler at temperature 0, until EOS),
 * and its argmax and log-probabilities at each step along alignkit's greedy path `refs[i]`, from a GGUF (with a GGUF
 * LoRA adapter if given). F32 KV cache, no flash attention: the comparison is of the weights and
 * the graph, not of llama.cpp's F16 cache.
 */
export async function llamaCppRuns(file: string, vocab: number, prompts: readonly number[][], refs: readonly number[][], lora?: string): Promise<LlamaRun[]> {
  const llama = await llamaCpp();
  if (typeof llama === 'string') throw new Error(llama);
  const model = await llama.loadModel({ modelPath: file });
  const steps = refs[0]!.length, longest = Math.max(...prompts.map((p) => p.length)) + steps;
  const context = await model.createContext({
    contextSize: Math.max(64, longest + 8), sequences: 1, threads: 1, flashAttention: false,
    experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32', ...(lora ? { lora } : {}),
  });
  const seq = context.getSequence();
  try {
    const out: LlamaRun[] = [];
    for (const [i, prompt] of prompts.entries()) {
      seq.clearHistory();
      const free: number[] = [];
      for await (const t of seq.evaluate(prompt as never, { temperature: 0 })) {
        free.push(t);
        if (free.length === steps) break;
      }
      seq.clearHistory();
      const path = [...prompt, ...refs[i]!.slice(0, -1)];
      const items = path.map((t, k) => (k >= prompt.length - 1 ? [t, { generateNext: { probabilities: true } }] : t));
      const res = await seq.controlledEvaluate(items as never);
      const next = res.slice(prompt.length - 1).map((r) => r!.next!.probabilities!);
      const logProbs = next.map((probs) => {
        const row = new Float64Array(vocab).fill(-Infinity);
        for (const [tok, p] of probs) row[tok] = Math.log(p);
        return row;
      });
      // The map is sorted by probability, highest first.
      out.push({ free, greedy: next.map((probs) => probs.keys().next().value!), logProbs });
    }
    return out;
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
};

export interface Agreement {
  /** Largest |log p(llama.cpp) − log p(alignkit)| over every step of every prompt. */
  worst: number;
  /** Steps whose top-1 − top-2 logit margin is under 2·worst, where an error of that size may flip the argmax. */
  nearTies: number;
  steps: number;
}

/**
 * Checks llama.cpp's run against alignkit's: every log-probability along alignkit's path is within
 * tol; llama.cpp's argmax is alignkit's token at every step whose margin is at least 2·worst (an
 * error of at most `worst` in each log-probability moves a logit difference by at most 2·worst,
 * so only a nearer tie may flip); and its own greedy run equals alignkit's up to the first near
 * tie (or EOS, where its sampler stops).
 */
export function checkAgreement(assert: typeof import('node:assert/strict'), refs: Reference[], runs: LlamaRun[], tol: number, eos: number | null, what: string): Agreement {
  let worst = 0, nearTies = 0, steps = 0;
  runs.forEach((run, i) => refs[i]!.greedy.forEach((_, s) => { worst = Math.max(worst, maxAbsDiff(run.logProbs[s]!, refs[i]!.logProbs[s]!)); }));
  assert.ok(worst <= tol, `${what}: max |Δ log p| ${worst} > ${tol}`);
  runs.forEach((run, i) => {
    const ref = refs[i]!, tie = ref.margins.map((m) => m < 2 * worst);
    ref.greedy.forEach((tok, s) => {
      steps++;
      if (tie[s]) nearTies++;
      else assert.equal(run.greedy[s], tok, `${what}, prompt ${i}, step ${s}: llama.cpp's argmax ${run.greedy[s]}, alignkit's ${tok} (margin ${ref.margins[s]})`);
    });
    const firstTie = tie.indexOf(true), upTo = Math.min(run.free.length, firstTie < 0 ? Infinity : firstTie);
    assert.deepEqual(run.free.slice(0, upTo), ref.greedy.slice(0, upTo), `${what}, prompt ${i}: llama.cpp's own greedy run`);
    if (run.free.length < ref.greedy.length && (firstTie < 0 || run.free.length < firstTie)) {
      assert.equal(ref.greedy[run.free.length], eos, `${what}, prompt ${i}: llama.cpp's own run stopped after ${run.free.length} tokens, not at EOS`);
    }
  });
  return { worst, nearTies, steps };
}
