// One SFT training step at real shapes (issue 20's training targets, issue 22's SFT speed), alignkit
// against torch + transformers (+ peft for LoRA), each contender in its own process on the same
// random bf16 checkpoint (writeRandomCheckpoint, src/model/hf/random-checkpoint.ts), the same batch and sequence.
// A development bench for finding where the time goes (`--profile` prints alignkit's kernel
// times); the official lines are `alignkit bench --configs C,D`.
//   node dist/bench/train-step.js [--configs C,D] [--modes lora,full] [--steps 2] [--batch 1] [--seq 512]
//                                 [--peers float32,bfloat16] [--threads N] [--profile] [--python PATH]
// C = SmolLM2-135M shape, D = Qwen2.5-0.5B shape; LoRA r 16 (alpha 32) on q, k, v, o, gate, up,
// down; full SFT only at C. Tokens/s are of the best step after one warm-up step; CPU seconds (all
// threads) of the cheapest step are printed too: on a loaded machine the wall clock measures the
// other processes as much as the step. `--threads N` gives every contender N threads
// (ALIGNKIT_THREADS; torch.set_num_threads and OMP_NUM_THREADS): with 1, no contender's threads
// spin-wait for one another, so CPU seconds are the step's work even on a busy machine.
// What each side computes in: alignkit keeps a LoRA run's frozen base bf16 and widens it in the
// kernels (float32 arithmetic on the widened values); its full SFT holds float32 weights. The
// torch 'float32' peer loads the same bf16 values widened to float32 (the same arithmetic), the
// 'bfloat16' peer keeps the base bf16 and computes the base's matmuls in bf16 (peft keeps the
// adapters float32), which is what `dtype=torch.bfloat16` gives a user.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdamW } from '../src/nn/index.js';
import { mean } from '../src/ops/index.js';
import { createLora, defaultLoraTargets, layoutOf, loadModelDir } from '../src/model/index.js';
import { Rng, Tensor } from '../src/tensor/index.js';
import { KernelProfiler } from '../src/cli/bench/profile.js';
import { writeRandomCheckpoint as writeCheckpoint } from '../src/model/index.js';
import { SHAPES } from './half-weights.js';

const CONFIGS = { C: SHAPES.smol, D: SHAPES.qwen } as const;
type Config = keyof typeof CONFIGS;
type Mode = 'lora' | 'full';

interface Line { contender: string; tokensPerS: number; peakRssGiB: number; stepS: number[]; cpuS: number[]; peakAfterStepGiB: number[]; loss: number; loadS: number }

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
};
const rssGiB = (): number => +(process.resourceUsage().maxRSS / 1024 ** 2).toFixed(2);

/** alignkit's step, in this process: prints one JSON line. */
function alignkitStep(dir: string, mode: Mode, steps: number, batch: number, seq: number, profile: boolean): void {
  const t0 = performance.now();
  const model = loadModelDir(dir, { frozenDtype: mode === 'lora' ? 'keep' : 'float32', tokenizer: false }).model;
  if (mode === 'lora') {
    model.lora = createLora(model.params, layoutOf(model.config), { rank: 16, alpha: 32, dropout: 0, targets: defaultLoraTargets.llama }, new Rng(1));
    for (const p of model.params.values()) if (p.requiresGrad) p.requireGrad(false);
  }
  const V = model.config.vocabSize, rng = new Rng(2);
  const ids = new Tensor(Int32Array.from({ length: batch * seq }, () => rng.int(V)), [batch, seq]);
  const targets = new Tensor(Int32Array.from({ length: batch * seq }, () => rng.int(V)), [batch, seq]);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-4 });
  const loadS = (performance.now() - t0) / 1000;
  const times: number[] = [], cpu: number[] = [], peaks: number[] = [];
  let loss = NaN, prof: KernelProfiler | null = null;
  for (let s = 0; s <= steps; s++) {
    // The profile covers the measured steps, not the warm-up.
    if (s === 1 && profile) prof = new KernelProfiler(true);
    const t = performance.now(), c = process.cpuUsage();
    // SFT's loss: the chunked LM head + cross-entropy (ops/lm-head.ts), no (T, V) float32 logits.
    const l = mean(model.tokenLosses(model.hidden(ids), targets));
    l.backward();
    opt.update();
    opt.zeroGrad();
    times.push((performance.now() - t) / 1000);
    const dc = process.cpuUsage(c);
    cpu.push((dc.user + dc.system) / 1e6);
    peaks.push(rssGiB());
    loss = l.item();
  }
  const best = Math.min(...(steps > 0 ? times.slice(1) : times));
  const trainable = model.namedParameters().reduce((n, [, p]) => n + (p.requiresGrad ? p.size : 0), 0);
  if (prof) {
    const wall = times.slice(1).reduce((a, b) => a + b, 0) * 1000;
    const rows = prof.report();
    const kernels = rows.reduce((a, r) => a + r.ms, 0);
    console.error(`profile (${steps} steps, ${wall.toFixed(0)} ms wall, kernels ${kernels.toFixed(0)} ms):`);
    for (const r of rows.slice(0, 25)) console.error(`  ${(r.ms / steps).toFixed(0).padStart(7)} ms/step ${String(r.calls / steps).padStart(6)} calls  ${r.name}`);
  }
  console.log(JSON.stringify({ contender: `alignkit ${mode === 'lora' ? 'bf16 base + float32 LoRA' : 'float32'}`, trainable, loss, loadS: +loadS.toFixed(1),
    stepS: times.map((x) => +x.toFixed(2)), cpuS: cpu.map((x) => +x.toFixed(2)), peakAfterStepGiB: peaks, tokensPerS: +((batch * seq) / best).toFixed(1), peakRssGiB: rssGiB() }));
}

function pythonPath(): string {
  const given = arg('python', process.env.ALIGNKIT_PYTHON ?? '');
  return given || 'python3';
}

function run(cmd: string, args: string[], threads: string): Line | null {
  const env = threads ? { ...process.env, ALIGNKIT_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads } : process.env;
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Line;
  } catch (e) {
    console.error(`train-step: ${cmd} ${args.join(' ')} failed: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

function main(): void {
  const configs = arg('configs', 'C,D').split(',') as Config[];
  const modes = arg('modes', 'lora,full').split(',') as Mode[];
  const peers = arg('peers', 'float32,bfloat16').split(',').filter(Boolean);
  const steps = arg('steps', '2'), batch = arg('batch', '1'), seq = arg('seq', '512');
  const profile = process.argv.includes('--profile'), threads = arg('threads', '');
  for (const c of configs) if (!(c in CONFIGS)) throw new Error(`train-step: --configs ${c}, expected C or D`);
  for (const m of modes) if (m !== 'lora' && m !== 'full') throw new Error(`train-step: --modes ${m}, expected lora or full`);
  const self = fileURLToPath(import.meta.url);
  const peerScript = join(self, '../../../bench/peers/torch-train-step.py');
  const root = join(tmpdir(), `alignkit-train-step-${process.pid}`);
  console.log(`train-step: batch ${batch} × sequence ${seq}, best of ${steps} steps after a warm-up, ${threads || 'default'} threads; load: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
  try {
    for (const c of configs) {
      const dir = join(root, c);
      writeCheckpoint(dir, CONFIGS[c]);
      for (const m of modes) {
        if (m === 'full' && c !== 'C') continue;
        const lines: Line[] = [];
        const ours = run(process.execPath, [self, 'child', dir, m, steps, batch, seq, ...(profile ? ['--profile'] : [])], threads);
        if (ours) lines.push(ours);
        for (const p of peers) {
          const line = run(pythonPath(), [peerScript, dir, m, p, steps, batch, seq], threads);
          if (line) lines.push(line);
        }
        report(`${c} ${m === 'lora' ? 'LoRA r 16 SFT' : 'full SFT'} step`, lines);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  }
}

/** The CPU seconds (all threads) of the cheapest measured step: on a loaded machine, the work a step takes. */
const minCpu = (l: Line): number => Math.min(...(l.cpuS.length > 1 ? l.cpuS.slice(1) : l.cpuS));

/** One table per (config, mode): every contender against alignkit's first line. */
function report(title: string, lines: Line[]): void {
  console.log(`\n${title}`);
  const ours = lines[0];
  for (const l of lines) {
    const speed = ours && l !== ours ? `\n      alignkit: ${(ours.tokensPerS / l.tokensPerS).toFixed(2)}× its tokens/s, ${(minCpu(l) / minCpu(ours)).toFixed(2)}× fewer CPU seconds a step, ${(ours.peakRssGiB / l.peakRssGiB).toFixed(2)}× its peak RSS` : '';
    console.log(`  ${l.contender.padEnd(44)} ${l.tokensPerS.toFixed(0).padStart(6)} tokens/s  CPU ${minCpu(l).toFixed(2)} s/step  peak RSS ${l.peakRssGiB.toFixed(2)} GiB  (steps ${l.stepS.join(', ')} s, peak after each ${l.peakAfterStepGiB.join(', ')} GiB, loss ${l.loss.toFixed(3)})${speed}`);
  }
}

if (process.argv[2] === 'child') {
  const [, , , dir, mode, steps, batch, seq] = process.argv;
  alignkitStep(dir!, mode as Mode, Number(steps), Number(batch), Number(seq), process.argv.includes('--profile'));
} else {
  main();
}
