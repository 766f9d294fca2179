// Runs the plan: every contender of every line in its own child process, taking turns, and
// collects the figures into the object that `alignkit bench --json` prints.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MODELS } from './configs.js';
import { runChild, type ChildResult } from './children.js';
import { INSTALL_TORCH, judgeBlas, type BlasVerdict } from './peer-check.js';
import type { Peers } from './peers.js';
import type { Plan } from './plan.js';
import type { RealResult } from './real/results.js';
import type { WorkerTask } from './tasks.js';

export interface MatmulRow { n: number; alignkit_gflops: number | null; openblas_gflops: number | null; ratio: number | null; alignkit_peak_fraction: number | null }
export interface TrainRow {
  config: 'A' | 'B'; tokens_per_step: number; params: number;
  alignkit_tok_s: number | null; pytorch_tok_s: number | null; tfjs_tok_s: number | null;
  ratio_pytorch: number | null; ratio_tfjs: number | null;
  alignkit_rss_mb: number | null; pytorch_rss_mb: number | null; tfjs_rss_mb: number | null;
  /** Cores other processes kept busy while this line ran (the most seen by any of its runs). */
  others_cores: number | null;
}
export interface GenerateRow {
  config: 'A' | 'B'; batch: number; prompt: number; new_tokens: number;
  alignkit_tok_s: number | null; pytorch_tok_s: number | null; ratio_pytorch: number | null;
  alignkit_rss_mb: number | null; pytorch_rss_mb: number | null; others_cores: number | null;
}
export interface ProfileRow {
  what: string;
  wall_ms: number;
  kernel_ms: number;
  /** JavaScript around the kernels: op bookkeeping, autograd, allocation, GC, sampling. */
  other_ms: number;
  kernels: { name: string; ms: number; calls: number }[];
}
export interface BenchResult {
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  matmul: MatmulRow[];
  train: TrainRow[];
  generate: GenerateRow[];
  /** With --profile: where alignkit's time goes, by kernel. */
  profile?: ProfileRow[];
  /** Configs C and D (--configs C,D): real shapes against transformers, peft and llama.cpp. */
  real?: RealResult;
  notes: string[];
}

interface Contender { name: string; cmd: string; args: string[]; env: NodeJS.ProcessEnv }
interface Best { tok_s: number | null; rss_mb: number | null; value: Record<string, unknown> | null; error?: string }

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/** The size at which a peer's own sgemm is judged: large enough to be compute-bound, quick on any BLAS. */
const PEER_CHECK_N = 1024;
const OPENBLAS_FIX = 'install an OpenBLAS built for this CPU (apt-get install libopenblas0-pthread libopenblas-dev), and on AMD Zen with AVX-512 '
  + 'let OPENBLAS_CORETYPE=SkylakeX stand (bench sets it unless it is set)';

const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? a / b : null);
const numOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Parameters of the GPT-2 model of a config (tied head): for the report. */
function paramCount(c: 'A' | 'B'): number {
  const m = MODELS[c], C = m.dModel;
  return m.vocab * C + m.ctx * C + m.nLayer * (12 * C * C + 13 * C) + 2 * C;
}

/** alignkit's training steps and sampling calls of the plan, by kernel (each in its own process). */
export function runProfile(plan: Plan, log: (s: string) => void, notes: string[]): ProfileRow[] {
  const env = { ...process.env, ALIGNKIT_THREADS: String(plan.threads) };
  const jobs: [string, WorkerTask][] = [
    ...plan.train.map((t): [string, WorkerTask] => [`train ${t.config}`, { kind: 'profile', of: 'train', config: t.config, batch: 0, prompt: 0, newTokens: 0, calls: plan.quick ? 1 : 5 }]),
    ...plan.generate.map((g): [string, WorkerTask] => [`generate ${g.config} batch ${g.batch}`, { kind: 'profile', of: 'generate', config: g.config, batch: g.batch, prompt: g.prompt, newTokens: g.newTokens, calls: plan.quick ? 1 : 3 }]),
  ];
  const rows: ProfileRow[] = [];
  for (const [what, task] of jobs) {
    log(`profile: ${what}`);
    const r = runChild(process.execPath, [WORKER, JSON.stringify(task)], env, plan.childTimeoutS);
    if (!r.value) { notes.push(`profile ${what}: failed: ${r.error}`); continue; }
    const v = r.value as unknown as Omit<ProfileRow, 'what'>;
    rows.push({ what, wall_ms: v.wall_ms, kernel_ms: v.kernel_ms, other_ms: v.other_ms, kernels: v.kernels });
  }
  return rows;
}

/** One bench run: the contenders, the figures as they come in, and the notes on what was skipped or failed. */
class BenchRun {
  readonly notes: string[] = [];
  readonly akEnv: NodeJS.ProcessEnv;
  akInfo: Record<string, unknown> = {};
  /** PyTorch's own sgemm and whether ratios against it are printed (null: no PyTorch). */
  torchCheck: BlasVerdict | null = null;
  /** The same for the OpenBLAS of the matmul line. */
  blasCheck: BlasVerdict | null = null;

  constructor(readonly plan: Plan, readonly peers: Peers, readonly log: (s: string) => void) {
    this.akEnv = { ...process.env, ALIGNKIT_THREADS: String(plan.threads) };
    if (!peers.torch.ok) this.notes.push(`PyTorch: skipped (${peers.torch.why})`);
    else if (peers.torch.note) this.notes.push(peers.torch.note);
    if (!peers.tfjs.ok) this.notes.push(`TensorFlow.js: skipped (${peers.tfjs.why})`);
    if (!peers.openblas.ok) this.notes.push(`OpenBLAS: skipped (${peers.openblas.why})`);
    if (!peers.peak.ok) this.notes.push(`FMA peak: not measured (${peers.peak.why})`);
  }

  alignkit(task: WorkerTask): Contender {
    return { name: 'alignkit', cmd: process.execPath, args: [WORKER, JSON.stringify(task)], env: this.akEnv };
  }

  torch(task: WorkerTask): Contender | null {
    const t = this.peers.torch;
    return t.ok ? { name: 'pytorch', cmd: t.python, args: [t.script, JSON.stringify(task)], env: this.peers.env } : null;
  }

  tfjs(task: WorkerTask): Contender | null {
    const t = this.peers.tfjs;
    return t.ok ? { name: 'tfjs', cmd: process.execPath, args: [t.script, JSON.stringify(task)], env: this.peers.env } : null;
  }

  /** The contenders of one line take turns; each keeps its best tok/s and its largest peak RSS. */
  line(label: string, contenders: (Contender | null)[], repeats = this.plan.repeats): { best: Map<string, Best>; othersCores: number | null } {
    const best = new Map<string, Best>();
    let others: number | null = null;
    for (let rep = 0; rep < repeats; rep++) {
      for (const c of contenders) {
        if (!c) continue;
        const b = best.get(c.name) ?? { tok_s: null, rss_mb: null, value: null };
        if (b.error) continue;
        this.log(`${label}: ${c.name}${repeats > 1 ? ` (turn ${rep + 1} of ${repeats})` : ''}`);
        const r: ChildResult = runChild(c.cmd, c.args, c.env, this.plan.childTimeoutS);
        if (!r.value) {
          b.error = r.error;
          this.notes.push(`${label}: ${c.name} failed: ${r.error}`);
        } else {
          const t = numOr(r.value['tok_s']);
          if (t !== null && (b.tok_s === null || t > b.tok_s)) { b.tok_s = t; b.value = r.value; }
          const rss = numOr(r.value['rss_mb']);
          if (rss !== null) b.rss_mb = Math.max(b.rss_mb ?? 0, rss);
          if (c.name === 'alignkit') this.akInfo = { backend: r.value['backend'], isa: r.value['isa'] ?? null, threads: r.value['threads'] ?? 1 };
        }
        if (r.othersCores !== null) others = Math.max(others ?? 0, r.othersCores);
        best.set(c.name, b);
      }
    }
    return { best, othersCores: others };
  }

  /**
   * The machine's FMA ceiling, measured rather than taken from a data sheet: the best of several
   * short runs, since a busy machine lowers every one of them.
   */
  peak(): { gflops: number; isa: string } | null {
    if (!this.peers.peak.ok) return null;
    this.log('FMA peak');
    let peak: { gflops: number; isa: string } | null = null;
    for (let i = 0; i < (this.plan.quick ? 1 : 8); i++) {
      const out = spawnSync(this.peers.peak.exe, [String(this.plan.threads), this.plan.quick ? '100' : '200'], { encoding: 'utf8' }).stdout?.trim().split(' ') ?? [];
      if (out.length === 2 && Number.isFinite(Number(out[0])) && Number(out[0]) > (peak?.gflops ?? 0)) peak = { gflops: Number(out[0]), isa: out[1]! };
    }
    return peak;
  }

  /** PyTorch's own sgemm at n = 1024, judged against the FMA peak before any ratio against PyTorch is printed. */
  checkTorch(peak: { gflops: number } | null): void {
    const t = this.peers.torch;
    if (!t.ok) return;
    this.log('PyTorch: its own matmul');
    const task = { kind: 'matmul', sizes: [PEER_CHECK_N], rounds: { warmup: 1, steps: 1, rounds: this.plan.quick ? 3 : 20, budgetMs: this.plan.quick ? 0 : 1000 } };
    const r = runChild(t.python, [t.script, JSON.stringify(task)], this.peers.env, this.plan.childTimeoutS);
    const gflops = numOr((r.value?.['points'] as { gflops: number }[] | undefined)?.[0]?.gflops);
    const who = `PyTorch ${t.version} (${t.python}${t.blas ? `, BLAS_INFO=${t.blas}` : ''})`;
    this.torchCheck = judgeBlas(who, gflops, PEER_CHECK_N, peak?.gflops ?? null, this.plan.threads, INSTALL_TORCH);
    if (this.torchCheck.why) this.notes.push(this.torchCheck.why);
  }

  /** A ratio against PyTorch, unless its BLAS failed the check. */
  torchRatio(a: number | null, b: number | null): number | null {
    return this.torchCheck?.ok ? ratio(a, b) : null;
  }

  /** alignkit's sgemm and OpenBLAS's, alternating by round as bench/matmul-native.ts does. */
  matmul(peak: { gflops: number } | null): MatmulRow[] {
    const { plan, peers } = this;
    const mmAk = new Map<number, number>(), mmBlas = new Map<number, number>();
    const keepMax = (m: Map<number, number>, n: number, v: number | null): void => { if (v !== null && v > (m.get(n) ?? 0)) m.set(n, v); };
    for (let rep = 0; rep < Math.max(plan.repeats, plan.quick ? 1 : 3); rep++) {
      this.log(`matmul: round ${rep + 1}`);
      const r = runChild(process.execPath, [WORKER, JSON.stringify({ kind: 'matmul', sizes: plan.matmulSizes, rounds: plan.matmulRounds } satisfies WorkerTask)], this.akEnv, plan.childTimeoutS);
      if (!r.value) { this.notes.push(`matmul: alignkit failed: ${r.error}`); break; }
      for (const p of r.value['points'] as { n: number; gflops: number }[]) keepMax(mmAk, p.n, p.gflops);
      this.akInfo = { backend: r.value['backend'], isa: r.value['isa'] ?? null, threads: r.value['threads'] ?? 1 };
      if (!peers.openblas.ok) continue;
      if (peers.openblas.via === 'c-harness') {
        for (const n of plan.matmulSizes) {
          const o = spawnSync(peers.openblas.exe, [String(n), '0', '0', plan.quick ? '50' : '300'], { env: peers.env, encoding: 'utf8' });
          keepMax(mmBlas, n, o.status === 0 ? numOr(Number(o.stdout.trim())) : null);
        }
      } else if (peers.torch.ok) {
        const t = runChild(peers.torch.python, [peers.torch.script, JSON.stringify({ kind: 'matmul', sizes: plan.matmulSizes, rounds: plan.matmulRounds })], peers.env, plan.childTimeoutS);
        for (const p of (t.value?.['points'] ?? []) as { n: number; gflops: number }[]) keepMax(mmBlas, p.n, p.gflops);
      }
    }
    if (peers.openblas.ok) {
      const n = plan.matmulSizes.includes(PEER_CHECK_N) ? PEER_CHECK_N : Math.max(...plan.matmulSizes);
      this.blasCheck = peers.openblas.via === 'pytorch' && this.torchCheck ? this.torchCheck
        : judgeBlas('OpenBLAS (the C harness)', mmBlas.get(n) ?? null, n, peak?.gflops ?? null, plan.threads, OPENBLAS_FIX);
      if (this.blasCheck.why && this.blasCheck !== this.torchCheck) this.notes.push(this.blasCheck.why);
    }
    return plan.matmulSizes.map((n) => {
      const a = mmAk.get(n) ?? null, b = peers.openblas.ok ? mmBlas.get(n) ?? null : null;
      return { n, alignkit_gflops: a, openblas_gflops: b, ratio: this.blasCheck?.ok ? ratio(a, b) : null, alignkit_peak_fraction: a !== null && peak ? a / peak.gflops : null };
    });
  }

  train(): TrainRow[] {
    return this.plan.train.map((t) => {
      const task: WorkerTask = { kind: 'train', config: t.config, rounds: t.rounds };
      const tfTask: WorkerTask = { kind: 'train', config: t.config, rounds: t.tfjsRounds };
      const { best, othersCores } = this.line(`train ${t.config}`, [this.alignkit(task), this.torch(task)]);
      // tfjs-wasm is ~50× slower: one turn is enough, and it runs after the pair it is compared with.
      const tf = t.tfjs ? this.line(`train ${t.config}`, [this.tfjs(tfTask)], 1).best.get('tfjs') : undefined;
      if (!t.tfjs && this.peers.tfjs.ok) this.notes.push(`train ${t.config}: tfjs-wasm not run (a step takes minutes on one thread; --tfjs-b runs it)`);
      const ak = best.get('alignkit'), pt = best.get('pytorch');
      return {
        config: t.config, tokens_per_step: MODELS[t.config].batch * MODELS[t.config].ctx, params: paramCount(t.config),
        alignkit_tok_s: ak?.tok_s ?? null, pytorch_tok_s: pt?.tok_s ?? null, tfjs_tok_s: tf?.tok_s ?? null,
        ratio_pytorch: this.torchRatio(ak?.tok_s ?? null, pt?.tok_s ?? null), ratio_tfjs: ratio(ak?.tok_s ?? null, tf?.tok_s ?? null),
        alignkit_rss_mb: ak?.rss_mb ?? null, pytorch_rss_mb: pt?.rss_mb ?? null, tfjs_rss_mb: tf?.rss_mb ?? null,
        others_cores: othersCores,
      };
    });
  }

  generate(): GenerateRow[] {
    return this.plan.generate.map((g) => {
      const task: WorkerTask = { kind: 'generate', config: g.config, batch: g.batch, prompt: g.prompt, newTokens: g.newTokens, rounds: g.rounds };
      const { best, othersCores } = this.line(`generate ${g.config} batch ${g.batch}`, [this.alignkit(task), this.torch(task)]);
      const ak = best.get('alignkit'), pt = best.get('pytorch');
      return {
        config: g.config, batch: g.batch, prompt: g.prompt, new_tokens: g.newTokens,
        alignkit_tok_s: ak?.tok_s ?? null, pytorch_tok_s: pt?.tok_s ?? null, ratio_pytorch: this.torchRatio(ak?.tok_s ?? null, pt?.tok_s ?? null),
        alignkit_rss_mb: ak?.rss_mb ?? null, pytorch_rss_mb: pt?.rss_mb ?? null, others_cores: othersCores,
      };
    });
  }
}

export function runBench(plan: Plan, peers: Peers, log: (s: string) => void): BenchResult {
  const loadStart = loadavg();
  const run = new BenchRun(plan, peers, log);
  const peak = run.peak();
  run.checkTorch(peak);
  const matmul = run.matmul(peak);
  const train = run.train();
  const generate = run.generate();
  const loadEnd = loadavg();
  const cores = cpus().length;
  const othersMax = Math.max(0, ...[...train, ...generate].map((r) => r.others_cores ?? 0));
  // Busy when other processes kept a quarter of a core or more busy during some line.
  const busy = othersMax >= 0.25;
  if (busy) run.notes.push(`load: other processes kept up to ${othersMax.toFixed(1)} of ${cores} cores busy during the run (load average ${loadStart[0]!.toFixed(1)} at the start); figures are best-of but noisy`);
  const ak = run.akInfo;
  return {
    machine: {
      cpu: cpus()[0]?.model.trim() ?? 'unknown', cores, platform: `${process.platform}-${process.arch}`, node: process.version,
      fma_peak_gflops: peak?.gflops ?? null, fma_peak_isa: peak?.isa ?? null,
      alignkit_backend: ak['backend'] ?? null, alignkit_isa: ak['isa'] ?? null, alignkit_threads: ak['threads'] ?? null,
      pytorch: peers.torch.ok ? peers.torch.version : null, python: peers.torch.ok ? peers.torch.python : null,
      pytorch_blas: peers.torch.ok ? peers.torch.blas : null, pytorch_matmul_gflops: run.torchCheck?.gflops ?? null,
      pytorch_trusted: run.torchCheck?.ok ?? null, openblas_trusted: run.blasCheck?.ok ?? null,
      tfjs: peers.tfjs.ok ? `${peers.tfjs.version} wasm` : null,
      openblas: peers.openblas.ok ? peers.openblas.via : null,
      load_average_start: loadStart.map((x) => +x.toFixed(2)), load_average_end: loadEnd.map((x) => +x.toFixed(2)),
      others_cores_max: +othersMax.toFixed(2), busy,
    },
    settings: {
      quick: plan.quick, peers: plan.peers, threads: plan.threads, repeats: plan.repeats,
      timing: 'best of several rounds in each child process; contenders of a line take turns',
      train_step: 'forward, cross-entropy, backward, clip grad norm 1.0, AdamW (lr 1e-3, betas 0.9/0.95, wd 0.1 on matrices)',
      models: MODELS, matmul_sizes: plan.matmulSizes,
      generate: 'generate() with the KV cache, temperature 1, no stop token; tokens/s = sampled tokens / wall time incl. prefill',
      openblas_coretype: peers.env['OPENBLAS_CORETYPE'] ?? null, omp_wait_policy: peers.env['OMP_WAIT_POLICY'] ?? null,
    },
    matmul, train, generate, notes: run.notes,
  };
}
