// Runs configs C and D: writes each config's random bf16 checkpoint once into a temporary folder
// (with a char tokenizer, which alignkit's GGUF export carries), has every contender load that one
// folder in a child process of its own — alignkit (loadModelDir), transformers
// (from_pretrained) and llama.cpp (alignkit's GGUF export of it) — and removes the folder after.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../../../backend/index.js';
import { Rng } from '../../../tensor/index.js';
import { writeRandomCheckpoint } from '../../../model/index.js';
import { CharTokenizer } from '../../../tokenizer/index.js';
import { probe, runChild, type ChildResult } from '../children.js';
import type { Peers } from '../peers.js';
import type { ProfileRow } from '../run.js';
import { bytesPerToken, rooflineBandwidth, rooflineFraction, triadGbPerS, type WeightType } from './roofline.js';
import type { RealPlan } from './plan.js';
import type { RealConfigResult, RealResult, RealRow } from './results.js';
import { paramsOf, REAL_NAMES, realCase, type RealCase } from './shapes.js';
import { judgeTargets, matchedLora } from './targets.js';
import type { RealTask } from './tasks.js';

const WORKER = fileURLToPath(new URL('../worker.js', import.meta.url));
const LLAMA = fileURLToPath(new URL('./llama-peer.js', import.meta.url));
/** The dtype of alignkit's opt-in bf16-compute rows (bf16 weights, activations rounded to bf16). */
export const BF16_COMPUTE = 'bf16-compute';
const numOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

type Row = Omit<RealRow, 'tok_s' | 'rss_mb' | 'roofline' | 'load_s' | 'threads' | 'others_cores' | 'error'>;

/** The checkpoint's folder and what each contender is handed. */
interface Ctx { c: RealCase; dir: string; tmp: string; prompts: number[][]; rows: RealRow[]; around: RealConfigResult['bandwidth_gb_s'] }

class RealRun {
  readonly akEnv: NodeJS.ProcessEnv;
  /** The transformers script and interpreter, or why there is none. */
  readonly hf: { python: string; script: string } | { why: string };

  constructor(readonly plan: RealPlan, readonly peers: Peers, readonly log: (s: string) => void, readonly notes: string[]) {
    this.akEnv = { ...process.env, ALIGNKIT_THREADS: String(plan.threads) };
    const t = peers.torch;
    if (!t.ok) this.hf = { why: t.why };
    else if (probe(t.python, ['-c', 'import transformers, peft'], peers.env) === null) this.hf = { why: `transformers and peft are not importable by ${t.python} (pip install transformers peft)` };
    else this.hf = { python: t.python, script: join(dirname(t.script), 'torch-hf.py') };
  }

  /** Runs one contender and adds its row; a failure gives nulls and a note. */
  run(ctx: Ctx, row: Row, cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutS = this.plan.childTimeoutS): RealRow {
    const what = `${ctx.c.config} ${row.line}${row.line === 'generate' ? ` batch ${row.batch}` : ''}: ${row.contender}${row.attn ? ` ${row.attn}` : ''} ${row.dtype}`;
    this.log(what);
    const r: ChildResult = runChild(cmd, args, env, timeoutS);
    if (!r.value) this.notes.push(`${what} failed: ${r.error}`);
    // Each figure as it comes, so that a run stopped early still says what it measured.
    else this.log(`${what}: ${numOr(r.value['tok_s'])?.toFixed(1)} tokens/s, peak RSS ${numOr(r.value['rss_mb'])?.toFixed(0)} MiB, others ${r.othersCores?.toFixed(1) ?? '?'} cores`);
    const v = r.value ?? {};
    const out: RealRow = {
      ...row, tok_s: numOr(v['tok_s']), rss_mb: numOr(v['rss_mb']), roofline: null, load_s: numOr(v['load_s']), threads: numOr(v['threads']),
      others_cores: r.othersCores, error: r.value ? null : r.error ?? 'failed',
    };
    if (v['tok_s_by_threads']) this.notes.push(`${what}: tokens/s by threads ${JSON.stringify(v['tok_s_by_threads'])}, the faster counts`);
    const exact = numOr(v['exact_tok_s']), fast = numOr(v['tok_s']);
    if (exact !== null && fast !== null) this.notes.push(`${what}: in the same process the exact path made ${exact.toFixed(1)} tokens/s just before, bf16 compute ${(fast / exact).toFixed(2)}× it`);
    ctx.rows.push(out);
    return out;
  }

  alignkit(ctx: Ctx, row: Row, task: RealTask): RealRow {
    // A paired task runs the exact path and bf16 compute one after the other: twice the time.
    const paired = 'paired' in task && task.paired === true;
    return this.run(ctx, row, process.execPath, [WORKER, JSON.stringify(task)], this.akEnv, this.plan.childTimeoutS * (paired ? 2 : 1));
  }

  /** A row of a contender that is not there: null figures, and why. */
  missing(ctx: Ctx, row: Row, why: string): void {
    ctx.rows.push({ ...row, tok_s: null, rss_mb: null, roofline: null, load_s: null, threads: null, others_cores: null, error: why });
  }

  /** A transformers row: null figures and a note (once) where there is no transformers. */
  transformers(ctx: Ctx, row: Row, task: Record<string, unknown>): void {
    if ('why' in this.hf) { this.missing(ctx, row, this.hf.why); return; }
    this.run(ctx, row, this.hf.python, [this.hf.script, JSON.stringify({ ...task, dir: ctx.dir })], this.peers.env);
  }

  generate(ctx: Ctx): void {
    for (const g of ctx.c.generate) {
      const prompts = ctx.prompts.slice(0, g.batch).map((p) => p.slice(0, g.prompt));
      const base = { line: 'generate' as const, batch: g.batch, tokens: `${g.prompt}+${g.newTokens}` };
      if (g.batch === 1) ctx.around.before = this.triad(`${ctx.c.config}: memory bandwidth (triad) before batch 1`);
      for (const weights of ['bf16', 'float32'] as const) {
        this.alignkit(ctx, { ...base, contender: 'alignkit', attn: null, dtype: weights }, { kind: 'real-generate', dir: ctx.dir, weights, prompts, newTokens: g.newTokens, warmupTokens: ctx.c.warmupTokens });
      }
      // The opt-in bf16 compute where it applies (batch ≥ 4), timed beside the exact path in one process.
      if (g.batch >= 4) {
        this.alignkit(ctx, { ...base, contender: 'alignkit', attn: null, dtype: BF16_COMPUTE }, { kind: 'real-generate', dir: ctx.dir, weights: 'bf16', prompts, newTokens: g.newTokens, warmupTokens: ctx.c.warmupTokens, paired: true });
      }
      for (const v of this.plan.torchGenerate) {
        this.transformers(ctx, { ...base, contender: 'transformers', attn: v.attn, dtype: v.dtype === 'bfloat16' ? 'bf16' : 'float32' },
          { kind: 'hf-generate', attn: v.attn, dtype: v.dtype, prompts, newTokens: g.newTokens, warmupTokens: ctx.c.warmupTokens });
      }
      if (g.batch === 1) {
        this.llama(ctx, base, prompts[0]!, g.newTokens);
        ctx.around.after = this.triad(`${ctx.c.config}: memory bandwidth (triad) after batch 1`);
      }
    }
  }

  /** llama.cpp on alignkit's GGUF export, batch 1 only; bf16 falls back to f16 where llama.cpp cannot run it. */
  llama(ctx: Ctx, base: Pick<Row, 'line' | 'batch' | 'tokens'>, prompt: number[], newTokens: number): void {
    for (const want of this.plan.llamaTypes) {
      if (!this.plan.peers) { this.missing(ctx, { ...base, contender: 'llama.cpp', attn: null, dtype: want }, 'peers disabled (--no-peers)'); continue; }
      for (const dtype of want === 'bf16' ? (['bf16', 'f16'] as const) : (['q8_0'] as const)) {
        const file = join(ctx.tmp, `model-${dtype}.gguf`);
        this.log(`${ctx.c.config}: alignkit export --format gguf --dtype ${dtype}`);
        const ex = runChild(process.execPath, [WORKER, JSON.stringify({ kind: 'gguf-export', dir: ctx.dir, out: file, dtype } satisfies RealTask)], this.akEnv, this.plan.childTimeoutS);
        if (!ex.value) { this.notes.push(`${ctx.c.config}: GGUF export ${dtype} failed: ${ex.error}`); break; }
        const task = { file, prompt, newTokens, warmupTokens: ctx.c.warmupTokens, threads: this.plan.threads };
        const row = this.run(ctx, { ...base, contender: 'llama.cpp', attn: null, dtype }, process.execPath, [LLAMA, JSON.stringify(task)], this.peers.env);
        rmSync(file, { force: true });
        if (row.tok_s !== null || dtype !== 'bf16') break;
        this.notes.push(`${ctx.c.config}: llama.cpp could not decode the bf16 GGUF; the f16 export stands in`);
      }
    }
  }

  train(ctx: Ctx): void {
    const { lora, full } = ctx.c;
    const base = { line: 'lora' as const, batch: 1, tokens: String(lora.seq), attn: null };
    if (this.plan.lines.includes('lora')) this.lora(ctx, base);
    if (!full || !this.plan.lines.includes('full')) return;
    const fb = { line: 'full' as const, batch: 1, tokens: String(full.seq), attn: null };
    this.alignkit(ctx, { ...fb, contender: 'alignkit', dtype: 'float32' }, { kind: 'real-train', dir: ctx.dir, mode: 'full', seq: full.seq, steps: full.steps, rank: 0, alpha: 0 });
    this.transformers(ctx, { ...fb, contender: 'transformers', attn: this.plan.torchTrain[0]!, dtype: 'float32' }, { kind: 'hf-train', attn: this.plan.torchTrain[0], dtype: 'float32', mode: 'full', ...full, rank: 0, alpha: 0 });
  }

  lora(ctx: Ctx, base: Pick<Row, 'line' | 'batch' | 'tokens' | 'attn'>): void {
    const { lora } = ctx.c;
    this.alignkit(ctx, { ...base, contender: 'alignkit', dtype: 'float32' }, { kind: 'real-train', dir: ctx.dir, mode: 'lora', seq: lora.seq, steps: lora.steps, rank: lora.rank, alpha: lora.alpha });
    this.alignkit(ctx, { ...base, contender: 'alignkit', dtype: BF16_COMPUTE }, { kind: 'real-train', dir: ctx.dir, mode: 'lora', seq: lora.seq, steps: lora.steps, rank: lora.rank, alpha: lora.alpha, paired: true });
    for (const dtype of this.plan.torchLoraDtypes) {
      for (const attn of this.plan.torchTrain) this.transformers(ctx, { ...base, contender: 'transformers', attn, dtype }, { kind: 'hf-train', attn, dtype, mode: 'lora', ...lora });
    }
  }

  profile(ctx: Ctx): ProfileRow[] {
    const { c } = ctx, rows: ProfileRow[] = [];
    const jobs: [string, RealTask][] = [
      [`decode ${c.config} batch 1, bf16 weights, ${Math.min(32, c.generate[0]!.newTokens)} tokens`, { kind: 'real-profile', dir: ctx.dir, of: 'decode', seq: c.generate[0]!.prompt, newTokens: Math.min(32, c.generate[0]!.newTokens), rank: 0, alpha: 0, calls: this.plan.quick ? 1 : 2 }],
      [`LoRA step ${c.config}, sequence ${c.lora.seq}`, { kind: 'real-profile', dir: ctx.dir, of: 'lora', seq: c.lora.seq, newTokens: 0, rank: c.lora.rank, alpha: c.lora.alpha, calls: 1 }],
    ];
    for (const [what, task] of jobs) {
      this.log(`profile: ${what}`);
      const r = runChild(process.execPath, [WORKER, JSON.stringify(task)], this.akEnv, this.plan.childTimeoutS);
      if (!r.value) { this.notes.push(`profile ${what}: failed: ${r.error}`); continue; }
      const v = r.value as unknown as Omit<ProfileRow, 'what'>;
      rows.push({ what, wall_ms: v.wall_ms, kernel_ms: v.kernel_ms, other_ms: v.other_ms, kernels: v.kernels });
    }
    return rows;
  }

  /** The triad's GB/s at the start of the run (see triad). */
  bandwidth(): RealResult['bandwidth'] {
    const t = this.peers.triad, out = { gb_s: null as number | null, array_mb: this.plan.triadMb, threads: this.plan.threads, note: null as string | null };
    if (!t.ok) return { ...out, note: `triad not run (${t.why})` };
    const r = this.triadRun(t.exe, 'memory bandwidth (triad)');
    return typeof r === 'number' ? { ...out, gb_s: r } : { ...out, note: r.why };
  }

  /** The triad's GB/s now; null (with a note when it fails) where it cannot run. */
  triad(what: string): number | null {
    const t = this.peers.triad;
    if (!t.ok) return null;
    const r = this.triadRun(t.exe, what);
    if (typeof r === 'number') return r;
    this.notes.push(`${what}: ${r.why}`);
    return null;
  }

  /** The best of three runs of the harness `exe` (each the best of its passes). */
  triadRun(exe: string, what: string): number | { why: string } {
    this.log(what);
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(exe, [String(this.plan.threads), String(this.plan.triadMb), this.plan.quick ? '3' : '10'], { encoding: 'utf8' });
      const [n, s, ok] = (r.stdout ?? '').trim().split(' ').map(Number);
      if (r.status !== 0 || ok !== 1 || !(s! > 0)) return { why: `triad failed: ${(r.stderr ?? '').trim() || 'wrong result'}` };
      best = Math.max(best, triadGbPerS(n!, 8, s!));
    }
    this.log(`${what}: ${best.toFixed(1)} GB/s`);
    return best;
  }
}

function configResult(ctx: Ctx, opening: number | null): RealConfigResult {
  const raw = ctx.c.raw, types: WeightType[] = ['float32', 'bf16', 'f16', 'q8_0'];
  const bytes = Object.fromEntries(types.map((t) => [t, bytesPerToken(raw, t)]));
  const gbS = rooflineBandwidth(ctx.around, opening);
  for (const r of ctx.rows) {
    if (r.line === 'generate' && r.batch === 1 && r.contender !== 'transformers') r.roofline = rooflineFraction(r.tok_s, bytes[r.dtype]!, gbS);
  }
  return { config: ctx.c.config, name: REAL_NAMES[ctx.c.config], params: paramsOf(raw), bytes_per_token: bytes, bandwidth_gb_s: ctx.around, rows: ctx.rows };
}

/** Configs C and D of `plan`, with the profile rows when plan.profile. `trusted` false: PyTorch failed the BLAS check. */
export function runReal(plan: RealPlan, peers: Peers, log: (s: string) => void, notes: string[], trusted: boolean): { result: RealResult; profile: ProfileRow[] } {
  const run = new RealRun(plan, peers, log, notes);
  if (plan.peers && 'why' in run.hf) notes.push(`transformers: skipped (${run.hf.why})`);
  const bandwidth = run.bandwidth();
  if (bandwidth.note) notes.push(bandwidth.note);
  const configs: RealConfigResult[] = [], profile: ProfileRow[] = [];
  for (const config of plan.configs) {
    const c = realCase(config, plan.quick);
    const tmp = mkdtempSync(join(tmpdir(), `alignkit-bench-${config}-`)), dir = join(tmp, 'checkpoint');
    try {
      log(`${config}: writing the random bf16 checkpoint`);
      writeRandomCheckpoint(dir, c.raw);
      new CharTokenizer([...'abcdefghijklmnopqrstuvwxyz ']).save(dir);
      const rng = new Rng(3), V = c.raw['vocab_size'] as number, longest = Math.max(...c.generate.map((g) => g.batch));
      const ctx: Ctx = { c, dir, tmp, rows: [], around: { before: null, after: null }, prompts: Array.from({ length: longest }, () => Array.from({ length: c.generate[0]!.prompt }, () => rng.int(V))) };
      if (plan.lines.includes('generate')) run.generate(ctx);
      run.train(ctx);
      if (plan.profile) profile.push(...run.profile(ctx));
      configs.push(configResult(ctx, bandwidth.gb_s));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { result: { host: hostInfo(), bandwidth, configs, targets: judgeTargets(configs, trusted), matched: matchedLora(configs, trusted), settings: realSettings(plan) }, profile };
}

/** The CPU, and the kernel that runs bf16-compute products on it (the children load the same addon). */
export function hostInfo(): RealResult['host'] {
  const s = nativeStatus(), c = s.ok ? s.native.config() : null;
  const products = !c ? 'the JS reference (no native addon)' : c.amx ? 'AMX tiles' : c.bf16Dot ? 'AVX-512 BF16 (vdpbf16ps)' : `a scalar loop (${c.isa})`;
  return { cpu: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`, bf16_products: products };
}

function realSettings(plan: RealPlan): Record<string, unknown> {
  return {
    configs: plan.configs, lines: plan.lines, quick: plan.quick, threads: plan.threads, turns: 1, child_timeout_s: plan.childTimeoutS,
    weights: 'random, written once per config as an HF checkpoint (config.json + bf16 model.safetensors) that every contender loads',
    generate: 'greedy, no stop token (transformers: min_new_tokens = max_new_tokens; llama.cpp: end-of-generation barred); tokens/s = new tokens / wall time incl. prefill, after an untimed short generation',
    train: 'one sequence per step, random tokens; LoRA r 16, alpha 32 on q,k,v,o,gate,up,down, AdamW lr 1e-4; best of the timed steps after one untimed. alignkit float32 keeps the frozen LoRA base bf16 and widens it in the kernels; peft loads float32 and computes in float32, or (bf16-autocast) runs forward and loss under torch.autocast("cpu", bfloat16) as TRL\'s bf16=True does',
    bf16_compute: `alignkit's ${BF16_COMPUTE} rows: model.bf16Compute (--bf16-compute), activations rounded to bf16 at the products with bf16 weights; each timed in one process right after the exact path, whose tokens/s the notes give`,
    roofline: 'batch-1 tokens/s × bytes of weights per token (matrices at the dtype, norms/biases float32, LM head once, embedding rows excluded) ÷ triad bandwidth: the higher of the triads run right before and right after the config\'s batch-1 lines (the opening triad where neither ran)',
    peers_compared: 'targets compare against the fastest variant of each peer; the matched-precision LoRA lines pair alignkit float32 with peft float32 and alignkit bf16-compute with peft bf16 autocast',
  };
}
