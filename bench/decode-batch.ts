// Where batch-32 greedy decoding spends its time at configs C and D (issue 20, the batch-32
// target): random bf16 weights at the shape of SmolLM2-135M (smol) or Qwen2.5-0.5B (qwen),
// prompt 64, greedy; the whole call timed (`--prefill`: the prefill alone too, maxNewTokens 1),
// then, with `--profile`, again with each kernel timed (KernelProfiler, matmul by shape). "other"
// is JavaScript: the step's loop, argmax over the vocabulary, cache joins, allocation. The exact
// path and the opt-in bf16 compute (and each with the pick before this branch, `-rowwise`) are
// timed on one model in one process, one after the other (`--modes`, `--repeats`).
// `--pick` times greedy's pick over B rows of the vocabulary alone: logSoftmaxT's array then
// argmax (the pick before) against greedyPick and GreedyRows (one backend call for all rows),
// alternately in this process, median of 9. `--peer PYTHON` runs transformers' greedy `generate`
// (sdpa, bfloat16: bench/peers/torch-hf.py, the peer of `alignkit bench --configs C,D`) on the
// same checkpoint and prompts first, each repeat.
//   node dist/bench/decode-batch.js [--shape smol|qwen] [--batch 32] [--new 128] [--modes exact,bf16,bf16-rowwise,exact-rowwise] [--profile] [--prefill] [--pick] [--peer PYTHON]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../src/autograd/index.js';
import { backend } from '../src/backend/index.js';
import { generate, loadModelDir, writeRandomCheckpoint } from '../src/model/index.js';
import { RunningBatch } from '../src/model/sampling/engine/running-batch.js';
import { argmax, greedyPick, GreedyRows, logSoftmaxT } from '../src/model/sampling/filters.js';
import { Rng } from '../src/tensor/index.js';
import { KernelProfiler } from '../src/cli/bench/profile.js';
import { peerEnv } from '../src/cli/bench/peers.js';
import { SHAPES } from './half-weights.js';

const flag = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};

/** ms per batch of B picks over V logits: [logSoftmaxT + argmax, greedyPick, GreedyRows], medians of 9 alternate rounds. */
function pickTimes(B: number, V: number): number[] {
  const rng = new Rng(5), logits = Float32Array.from({ length: B * V }, () => rng.normal() * 3);
  const rows = Array.from({ length: B }, (_, b) => logits.subarray(b * V, (b + 1) * V));
  let sink = 0;
  const old = (): void => { for (const r of rows) { const t = argmax(r); sink += logSoftmaxT(r, 0)[t]!; } };
  const now = (): void => { for (const r of rows) sink += greedyPick(r).logprob; };
  const g = new GreedyRows();
  const batched = (): void => { g.over(logits, B, V); for (let b = 0; b < B; b++) sink += g.pick(b).logprob; };
  const times: number[][] = [[], [], []];
  for (let i = 0; i < 10; i++) {
    [old, now, batched].forEach((f, j) => { const t0 = performance.now(); f(); if (i) times[j]!.push(performance.now() - t0); });
  }
  if (!Number.isFinite(sink)) throw new Error('decode-batch: a pick was not finite');
  const median = (x: number[]): number => x.sort((a, b) => a - b)[x.length >> 1]!;
  return times.map(median);
}

function main(): void {
  const shape = flag('shape', 'smol') as keyof typeof SHAPES, B = Number(flag('batch', '32')), steps = Number(flag('new', '128'));
  const modes = flag('modes', 'exact,bf16').split(','), profile = process.argv.includes('--profile'), repeats = Number(flag('repeats', '1'));
  if (process.argv.includes('--pick')) {
    for (const V of [49_152, 151_936]) {
      const [a, b, c] = pickTimes(B, V) as [number, number, number];
      console.log(`greedy pick, ${B} rows × ${V}: logSoftmaxT + argmax ${a.toFixed(2)} ms, greedyPick ${b.toFixed(2)} ms (${(a / b).toFixed(2)}×), GreedyRows (${backend().name}) ${c.toFixed(2)} ms (${(a / c).toFixed(2)}×); load ${loadavg()[0]!.toFixed(2)}`);
    }
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'alignkit-decode-batch-'));
  try {
    writeRandomCheckpoint(dir, SHAPES[shape]);
    const model = loadModelDir(dir, { frozenDtype: flag('weights', 'bf16') === 'bf16' ? 'keep' : 'float32', tokenizer: false }).model;
    const rng = new Rng(3), V = model.config.vocabSize;
    const prompts = Array.from({ length: B }, () => Array.from({ length: 64 }, () => rng.int(V)));
    // 'rowwise': generate's loop (admit, then steps) with the pick before this branch: logSoftmaxT's
    // (V) array and argmax per row, for the ratio in one process.
    let rowwise = false, cpuMs = 0;
    const run = (n: number): number => {
      const t0 = performance.now(), c0 = process.cpuUsage();
      if (!rowwise) noGrad(() => generate(model, prompts, { maxNewTokens: n, temperature: 0, stopTokens: [] }));
      else noGrad(() => {
        const batch = new RunningBatch<{ left: number }>(model, B);
        const draw = (r: { left: number }, logits: Float32Array): number | null => {
          const t = argmax(logits);
          if (!Number.isFinite(logSoftmaxT(logits, 0)[t])) throw new Error('decode-batch: a pick was not finite');
          return --r.left > 0 ? t : null;
        };
        batch.admit(prompts.map((p) => ({ prompt: p, rows: [{ left: n }] })), draw);
        while (batch.size) batch.step(draw);
      });
      const c = process.cpuUsage(c0);
      cpuMs = (c.user + c.system) / 1000;
      return performance.now() - t0;
    };
    console.log(`${shape} batch ${B}, prompt 64, ${steps} new; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    run(2); // warm-up
    const peer = flag('peer', '');
    for (let r = 0; r < repeats; r++) for (const mode of [...(peer ? ['transformers'] : []), ...modes]) {
      if (mode === 'transformers') {
        // dist/bench/ → the repository's bench/peers/
        const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'peers', 'torch-hf.py');
        const task = { kind: 'hf-generate', dir, attn: 'sdpa', dtype: 'bfloat16', prompts, newTokens: steps, warmupTokens: 8 };
        const out = JSON.parse(execFileSync(peer, [script, JSON.stringify(task)], { encoding: 'utf8', maxBuffer: 1 << 24, env: peerEnv(cpus().length), stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').at(-1)!) as { tok_s: number };
        console.log(`transformers sdpa bf16: ${out.tok_s.toFixed(1)} tok/s; load ${loadavg()[0]!.toFixed(2)}`);
        continue;
      }
      model.bf16Compute = mode.startsWith('bf16');
      rowwise = mode.endsWith('rowwise');
      const prefill = process.argv.includes('--prefill') ? run(1) : NaN, total = run(steps);
      // CPU time (both threads) moves less than the wall clock with the other processes' load.
      console.log(`${mode}: ${((B * steps * 1000) / total).toFixed(1)} tok/s (${total.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms; prefill + first token ${prefill.toFixed(0)} ms)`);
      if (!profile) continue;
      const p = new KernelProfiler(true);
      const t0 = performance.now();
      run(steps);
      const wall = performance.now() - t0;
      p.stop();
      let kernels = 0;
      for (const k of p.report()) kernels += k.ms;
      console.log(`  profiled wall ${wall.toFixed(0)} ms, kernels ${kernels.toFixed(0)} ms, other (JS) ${(wall - kernels).toFixed(0)} ms`);
      for (const k of p.report().slice(0, 24)) console.log(`  ${(k.ms).toFixed(0).padStart(7)} ms ${((100 * k.ms) / wall).toFixed(1).padStart(5)}% ${String(k.calls).padStart(6)}× ${k.name}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
