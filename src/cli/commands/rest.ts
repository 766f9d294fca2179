// `alignkit rest`: ReST (Grow/Improve, Gulcehre et al. 2023) on a task, from a policy directory.
import { existsSync } from 'node:fs';
import { getTask } from '../../data/tasks/index.js';
import { loadModelDir } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import type { Problem } from '../../data/tasks/task.js';
import { runRest, type RestConfig, type RestRow } from '../../align/rest/rest.js';
import { REST_LOSSES, type RestLoss } from '../../align/rest/improve.js';
import { parseRewardSpec, type RewardNormalization } from '../../align/rest/rewards.js';
import { parseSchedule } from '../../align/rest/thresholds.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';

const specs: OptionSpecs = {
  task: { type: 'string', help: 'g2p, arithmetic, program, or a JSONL file of {prompt, answer[, reference]}', default: 'g2p' },
  'task-opts': { type: 'string', help: 'task options as k=v,k=v (e.g. trainSize=2000,testSize=300)' },
  matcher: { type: 'string', help: 'for a JSONL task: exact, numeric, regex or last-number', default: 'exact' },
  verifier: { type: 'string', help: 'for a JSONL task: a JS module exporting verify(problem, completion)' },
  model: { type: 'string', help: 'the starting policy directory (e.g. an SFT model) with its tokenizer' },
  out: { type: 'string', help: 'run directory (grown samples with kept flags, metrics, checkpoints)', default: 'runs/rest' },
  'grow-steps': { type: 'number', help: 'G: Grow steps', default: 2 },
  'improve-steps': { type: 'number', help: 'I: Improve steps per Grow step', default: 3 },
  samples: { type: 'number', help: 'N: samples per prompt in each Grow step', default: 8 },
  temperature: { type: 'number', help: 'Grow sampling temperature', default: 0.8 },
  'top-k': { type: 'number', help: 'Grow top-k (0: none)', default: 0 },
  'max-new-tokens': { type: 'number', help: 'longest sample', default: 64 },
  schedule: { type: 'string', help: 'thresholds per Improve step: fixed:τ,… (keep R > τ), percentile:p,… (per prompt), interpolate:γ,… (τ = γ·max + (1−γ)·mean per prompt)', default: 'fixed:0.7,0.8,0.9' },
  loss: { type: 'string', help: `offline loss: ${REST_LOSSES.join(', ')}`, default: 'bc' },
  reward: { type: 'string', help: 'verifier, per, chrf, chrf-recall, recall-unclipped, bleu, rm:<dir>, or a weighted sum like 0.5*chrf+0.5*per', default: 'verifier' },
  monitor: { type: 'string', help: 'a reward measured on test outputs but never trained on (same syntax)' },
  normalize: { type: 'string', help: 'rewards to [0, 1]: clip, minmax (per Grow step) or sigmoid; default clip, sigmoid for rm:' },
  original: { type: 'number', help: 'the first n training problems are the original data D (their references stay in every D_g); the rest are Grow prompts', default: 0 },
  validation: { type: 'number', help: 'Grow prompts held out to pick each Improve step\'s checkpoint', default: 100 },
  epochs: { type: 'number', help: 'passes over the kept data per Improve step', default: 2 },
  'improve-max-steps': { type: 'number', help: 'most optimizer steps per Improve step', default: 400 },
  'eval-every': { type: 'number', help: 'validation reward every N Improve steps', default: 50 },
  patience: { type: 'number', help: 'stop an Improve step after N validations without a new best (0: never)', default: 0 },
  'batch-size': { type: 'number', help: 'sequences per Improve update', default: 32 },
  lr: { type: 'number', help: 'Improve learning rate', default: 1e-3 },
  'best-of-n': { type: 'number', help: 'best-of-N on the test problems for every policy (0: off)', default: 0 },
  seed: { type: 'number', help: 'seed', default: 0 },
  resume: { type: 'boolean', help: 'continue the run in --out from its last completed stage' },
  json: { type: 'boolean', help: 'print the rows as JSON' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

/** "a=1,b=true,c=x" → { a: 1, b: true, c: 'x' }. */
export function parseTaskOpts(s: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!s) return out;
  for (const kv of s.split(',')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$/.exec(kv);
    if (!m) throw new UsageError(`--task-opts: ${JSON.stringify(kv)} is not key=value`);
    const v = m[2]!;
    out[m[1]!] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

export function formatRestTable(rows: readonly RestRow[]): string {
  const bon = rows.some((r) => r.bestOfNReward !== null), mon = rows.some((r) => r.testMonitor !== null);
  const head = ['grow', 'improve', 'τ', 'kept (policy + D)', 'val reward', 'val exact', 'test reward', 'test exact',
    ...(mon ? ['test monitor'] : []), 'answer length', ...(bon ? ['best-of-N reward', 'best-of-N exact'] : []), 'steps (kept)'];
  const body = rows.map((r) => [
    String(r.grow), String(r.improve), r.threshold === null ? '' : String(r.threshold),
    r.kept === null ? '' : `${r.kept}/${r.samples} (${pct(r.keptFraction)}) + ${r.keptData}`,
    f3(r.validationReward), pct(r.validationExact), f3(r.testReward), pct(r.testExact), ...(mon ? [f3(r.testMonitor)] : []),
    r.testLength.toFixed(2), ...(bon ? [f3(r.bestOfNReward), pct(r.bestOfNExact)] : []), r.steps === null ? '' : `${r.steps} (${r.bestStep})`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export const restCommand: Command = {
  name: 'rest',
  summary: 'ReST: Grow samples, Improve on a rising reward threshold with an offline loss',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('rest', this.summary, specs, [
        'alignkit rest --task g2p --model runs/g2p-sft --reward per --original 400 --out runs/rest',
        'alignkit rest --task g2p --model runs/g2p-sft --reward "0.5*chrf+0.5*per" --schedule percentile:0,50,75 --loss gold',
      ]));
      return 0;
    }
    const taskName = str(p, 'task')!, seed = num(p, 'seed');
    const opts = { seed, ...parseTaskOpts(str(p, 'task-opts')) };
    const task = existsSync(taskName) && taskName.endsWith('.jsonl')
      ? await getTask('user', { path: taskName, matcher: str(p, 'matcher'), ...opts, ...(str(p, 'verifier') ? { verifier: str(p, 'verifier') } : {}) })
      : await getTask(taskName, opts);
    const dir = required(p, 'model', 'the starting policy directory');
    const loaded = loadModelDir(dir);
    if (!loaded.tokenizer) throw new UsageError(`${dir}: no tokenizer.json; the policy's tokenizer is needed to sample and train`);
    const nOrig = num(p, 'original');
    if (!(Number.isInteger(nOrig) && nOrig >= 0 && nOrig < task.train.length)) throw new UsageError(`--original ${nOrig}: expected an integer in [0, ${task.train.length})`);
    const original: Problem[] = task.train.slice(0, nOrig);
    const missing = original.find((q) => q.reference === undefined);
    if (missing) throw new UsageError(`--original ${nOrig}: problem ${missing.id} has no reference; the original data needs reference completions`);
    const grown = { ...task, train: task.train.slice(nOrig) };
    const all = [...task.train, ...task.test];
    const loss = str(p, 'loss') as RestLoss;
    if (!REST_LOSSES.includes(loss)) throw new UsageError(`--loss ${loss}: expected one of ${REST_LOSSES.join(', ')}`);
    let reward, monitor = null;
    try {
      reward = parseRewardSpec(str(p, 'reward')!, all, task.verifier);
      if (str(p, 'monitor')) monitor = parseRewardSpec(str(p, 'monitor')!, all, task.verifier);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const normalize = (str(p, 'normalize') ?? (reward.bounded ? 'clip' : 'sigmoid')) as RewardNormalization;
    let schedule;
    try { schedule = parseSchedule(str(p, 'schedule')!); } catch (err) { throw new UsageError(`--schedule: ${(err as Error).message}`); }
    const config: Partial<RestConfig> = {
      growSteps: num(p, 'grow-steps'), improveSteps: num(p, 'improve-steps'), samplesPerPrompt: num(p, 'samples'), temperature: num(p, 'temperature'),
      topK: num(p, 'top-k'), maxNewTokens: num(p, 'max-new-tokens'), schedule, normalize, includeOriginal: nOrig > 0,
      validationProblems: num(p, 'validation'), evalBestOfN: num(p, 'best-of-n'), seed,
      improve: {
        loss, epochs: num(p, 'epochs'), maxSteps: num(p, 'improve-max-steps'), evalEvery: num(p, 'eval-every'), patience: num(p, 'patience'),
        batchSize: num(p, 'batch-size'), lr: num(p, 'lr'), minLr: num(p, 'lr') / 10,
      },
    };
    const out = str(p, 'out')!;
    const store = RunStore.open(out, { task: taskName, taskOpts: opts, model: dir, reward: reward.name, monitor: monitor?.name ?? null, original: nOrig, ...config } as Record<string, unknown>,
      { resume: flag(p, 'resume'), resumeMayChange: ['growSteps'] });
    try {
      const rows = await runRest({
        policy0: loaded.model, tokenizer: loaded.tokenizer, task: grown, original, reward: reward.reward, monitor: monitor?.reward ?? null,
        store, config, quiet: flag(p, 'quiet'), log: (s) => { if (!flag(p, 'quiet')) console.error(`rest: ${s}`); },
      });
      if (flag(p, 'json')) console.log(JSON.stringify({ rows }));
      else console.log(`${formatRestTable(rows)}\n\nGrown samples with rewards and kept flags: ${out}/samples/; metrics: ${out}/metrics.jsonl`);
    } finally {
      store.close();
    }
    return 0;
  },
};
