// Continuous batching inside generate() (issue 20, point 4; target: ≥ 1.5× static batches of the
// same size on a ReST-EM E-step of 1,000 prompts × 8 samples of mixed lengths at SmolLM2-135M's
// shape). The E-step's sampling call (rest-em.ts → localGenerator → generate: n samples per prompt,
// temperature 1, the EOS as stop token) on a Llama-layout model of SmolLM2-135M's shape (hidden
// 576, 30 layers, 9 heads, 3 KV heads, MLP 1536, vocabulary 49,152, tied) with random float32
// weights, run with schedule 'static' and 'continuous' at the same batch size, in one process,
// alternating (S C C S ...), so both see the same machine load.
//
// Mixed lengths, deterministically: prompt lengths are uniform in [32, 192] tokens (a fixed Rng).
// Random weights never stop on their own and sample nearly uniformly over the vocabulary, so a
// set of stop tokens stands for the EOS: every (V / k)-th id, k = V / MEAN, so that each sampled
// token ends its sample with probability ≈ 1 / MEAN. Completion lengths are then geometric with
// mean ≈ MEAN, cut at MAX_NEW: more spread than real solutions (a geometric's spread equals its
// mean), which favours continuous batching; the printed length quantiles say what was run. The
// decoding-step ratio (static steps / continuous steps) is the load-free part of the speed-up.
//
// The control, 'static, padded': static batches as transformers' generate() runs them, every row
// of a batch decoding until the batch's longest sample ends (a finished row keeps its slot and its
// arithmetic). alignkit's own static schedule drops a finished row from the batch, so on a CPU,
// where a step's cost grows with its rows, the slots it leaves empty cost nothing; the padded
// control is what the "a batch that waits for its longest row wastes most of its slots"
// describes. It is emulated exactly: each static batch again, stop ids off, for as many new tokens
// as its longest sample had (the same prompts, rows and steps as padded batching), timed, and
// credited with the real samples' tokens only.
//
// Usage: npx tsc -p tsconfig.json && node dist/bench/continuous-batching.js [PROMPTS=1000] [BATCH=64] [MAX_NEW=256] [MEAN=96] [ROUNDS=1] [PADDED=1] [WEIGHTS=float32]
// (n = 8 samples per prompt; ROUNDS of S C then C S pairs; PADDED=0 leaves the control out, which
// needs BATCH to be a multiple of n). The full target is the default. WEIGHTS=bf16-compute runs
// config C's random bf16 checkpoint (written to the temporary directory when missing) kept 16-bit,
// with model.bf16Compute: its products are cheap where AMX runs them, so a step's cost grows less
// with its rows than in float32.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REAL_SHAPES } from '../src/cli/bench/real/shapes.js';
import { Transformer, defaultConfig, generate, loadModelDir, writeRandomCheckpoint, type DecodeStats, type Sample } from '../src/model/index.js';
import { Rng } from '../src/tensor/index.js';

const [P, BATCH, MAX_NEW, MEAN, ROUNDS, PADDED] = [1000, 64, 256, 96, 1, 1].map((d, i) => Number(process.argv[2 + i] ?? d));
const WEIGHTS = process.argv[8] ?? 'float32';
if (!['float32', 'bf16-compute'].includes(WEIGHTS)) throw new Error(`continuous-batching: WEIGHTS is '${WEIGHTS}', expected float32 or bf16-compute`);
const N = 8;
const model = WEIGHTS === 'float32' ? new Transformer(defaultConfig('llama', {
  vocabSize: 49152, dModel: 576, nLayer: 30, nHead: 9, nKvHead: 3, dFF: 1536, maxSeqLen: 2048, tieEmbeddings: true, normEps: 1e-5, ropeTheta: 100000,
}), undefined, 0) : bf16Model();
const config = model.config;

function bf16Model(): Transformer {
  const dir = join(tmpdir(), 'alignkit-continuous-batching-C');
  if (!existsSync(join(dir, 'model.safetensors'))) writeRandomCheckpoint(dir, REAL_SHAPES.C);
  const m = loadModelDir(dir, { frozenDtype: 'keep', tokenizer: false }).model;
  m.bf16Compute = true;
  return m;
}
const V = config.vocabSize, stride = Math.max(1, Math.round(MEAN));
const stopTokens = Array.from({ length: Math.floor(V / stride) }, (_, i) => i * stride + 1);
const rng = new Rng(1);
const prompts = Array.from({ length: P }, () => Array.from({ length: 32 + rng.int(161) }, () => rng.int(V)));

const load = (): string => execSync('uptime').toString().trim().replace(/.*load/, 'load');

function once(schedule: 'static' | 'continuous'): { samples: Sample[]; seconds: number; stats: DecodeStats } {
  const stats: DecodeStats = { steps: 0, rowSteps: 0, prefills: 0 };
  const t0 = performance.now();
  const samples = generate(model, prompts, { maxNewTokens: MAX_NEW, n: N, temperature: 1, seed: 0, stopTokens, batchSize: BATCH, schedule, stats });
  const seconds = (performance.now() - t0) / 1000;
  const tokens = samples.reduce((a, s) => a + s.tokens.length, 0);
  console.log(JSON.stringify({ schedule, seconds: +seconds.toFixed(1), tokens, tokensPerS: +(tokens / seconds).toFixed(1), steps: stats.steps,
    meanRowsPerStep: +(stats.rowSteps / stats.steps).toFixed(1), prefills: stats.prefills, [load()]: true }));
  return { samples, seconds, stats };
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
console.log(`continuous batching: ${P} prompts × ${N} samples, batch ${BATCH}, maxNewTokens ${MAX_NEW}, ${stopTokens.length} stop ids (mean length ≈ ${MEAN}), SmolLM2-135M shape, ${WEIGHTS === 'float32' ? 'float32 random weights' : 'random bf16 weights, bf16 compute'}`);
const time = { static: 0, continuous: 0 };
const steps = { static: 0, continuous: 0 };
// A sample's logits are its own up to rounding (running-batch.ts: some products sum in another
// order at another number of rows), which the schedules lay out differently: at temperature 1 a
// draw that lands within that rounding of a boundary can pick another token. Counted, not thrown:
// 1 of 64 (8 16 48 16) and 11 of 192 (24 64 256 96) under bf16 compute on a 2-core AMX Xeon while
// the prefill's attention still summed a padded row's keys across other block edges, 0 of each
// since; many would mean a bug.
let first: Sample[] | null = null, differing = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const schedule of r % 2 ? (['continuous', 'static'] as const) : (['static', 'continuous'] as const)) {
    const { samples, seconds, stats } = once(schedule);
    time[schedule] += seconds;
    steps[schedule] += stats.steps;
    if (!first) first = samples;
    else differing = Math.max(differing, samples.filter((s, i) => s.tokens.join() !== first![i]!.tokens.join()).length);
  }
}
const lengths = first!.map((s) => s.tokens.length), prompt = prompts.map((p) => p.length);
const padded = PADDED ? paddedStatic(lengths) : null;
console.log(JSON.stringify({
  completionLength: { mean: +(lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(1), p10: quantile(lengths, 0.1), p50: quantile(lengths, 0.5), p90: quantile(lengths, 0.9), atMax: lengths.filter((l) => l === MAX_NEW).length },
  promptLength: { p10: quantile(prompt, 0.1), p50: quantile(prompt, 0.5), p90: quantile(prompt, 0.9) },
  speedup: +(time.static / time.continuous).toFixed(2), stepRatio: +(steps.static / steps.continuous).toFixed(2),
  samplesNotAsFirstRun: `${differing} of ${first!.length}`,
  ...(padded && { paddedStaticSeconds: +padded.toFixed(1), speedupOverPadded: +(padded / (time.continuous / ROUNDS)).toFixed(2) }),
}));

/** Seconds of the padded control: each static batch of BATCH rows (BATCH / N whole prompts) decoding every row to its longest sample's length. */
function paddedStatic(lengths: number[]): number {
  if (BATCH % N) throw new Error(`PADDED needs BATCH (${BATCH}) to be a multiple of n (${N}): a static batch is then whole prompts`);
  let seconds = 0, rowSteps = 0;
  for (let r0 = 0; r0 < lengths.length; r0 += BATCH) {
    const longest = Math.max(...lengths.slice(r0, r0 + BATCH));
    const batchPrompts = prompts.slice(r0 / N, (r0 + BATCH) / N);
    const t0 = performance.now();
    const out = generate(model, batchPrompts, { maxNewTokens: longest, n: N, temperature: 1, seed: 0, stopTokens: [], batchSize: BATCH, schedule: 'static' });
    seconds += (performance.now() - t0) / 1000;
    rowSteps += out.length * longest;
  }
  const tokens = lengths.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ schedule: 'static, padded', seconds: +seconds.toFixed(1), tokens, tokensPerS: +(tokens / seconds).toFixed(1),
    rowStepsPerToken: +(rowSteps / tokens).toFixed(2), [load()]: true }));
  return seconds;
}
