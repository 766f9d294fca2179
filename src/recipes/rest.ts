// `alignkit demo rest`: ReST (Gulcehre et al. 2023) on grapheme-to-phoneme conversion with the
// CMU Pronouncing Dictionary, from nothing but `npm install`.
//   1. BC: a small Llama-family model with a character tokenizer (RoPE lets it copy and align
//      letters to sounds) learns from a few hundred labelled words: the original data D.
//   2. ReST, G Grow × I Improve steps on a larger set of words whose pronunciations the policy
//      never sees: the reward 1 − phoneme error rate reads them, the threshold rises each Improve
//      step, and BC on the kept samples continues from the previous step.
//   3. Online PPO from the same BC policy with the same number of samples (align/ppo.ts).
//   4. The same ReST run with a deliberately flawed reward — by default unclipped phoneme recall,
//      which repeating reference phonemes raises — to show a proxy that rises while exact match falls.
import { join } from 'node:path';
import { g2pTask } from '../data/tasks/builtin/g2p.js';
import { completionExample } from '../data/lm-examples.js';
import { CharTokenizer, type Tokenizer } from '../tokenizer/index.js';
import { Transformer, defaultConfig, loadModelDir } from '../model/index.js';
import { modelStage } from '../align/trainer/model-stage.js';
import { RunStore } from '../runs/run-store.js';
import type { Problem, Task } from '../data/tasks/task.js';
import { trainSft } from '../align/sft/sft.js';
import { growStage, improveKey, runRest, type RestConfig, type RestRow } from '../align/rest/rest.js';
import { METRIC_NAMES, firstLine, metricReward, referencesOf, type MetricName } from '../align/rest/rewards.js';
import { evaluatePolicy, type PolicyScores } from '../align/rest/eval.js';
import { trainPpo } from '../align/ppo/ppo.js';
import type { PpoConfig } from '../align/ppo/config.js';
import { bool, choice, declareConfig } from '../config/index.js';
import { defineRecipe, recipeOptions, recipeRunDir } from './recipe.js';

export interface RestDemoConfig {
  seed: number;
  /** Labelled words (the original data D): BC learns from them, and ReST keeps them in every D_g. */
  labelled: number;
  /** Words ReST grows on (their last `rest.validationProblems` pick checkpoints); the policy sees only the spelling. */
  prompts: number;
  testProblems: number;
  dModel: number;
  layers: number;
  heads: number;
  bcSteps: number;
  lr: number;
  rest: Partial<RestConfig>;
  /** Run online PPO with ReST's sample budget (0 skips it). */
  ppo: boolean;
  ppoConfig: Partial<PpoConfig>;
  /** Run ReST again with a deliberately flawed reward. */
  flawed: boolean;
  /** The flawed reward: a metric that repeating (recall-unclipped) or lengthening (chrf-recall) the answer games. */
  flawedReward: MetricName;
}

export const defaultRestDemo: RestDemoConfig = {
  seed: 0, labelled: 400, prompts: 2500, testProblems: 500, dModel: 64, layers: 2, heads: 4, bcSteps: 400, lr: 3e-3,
  rest: {
    growSteps: 2, improveSteps: 3, samplesPerPrompt: 8, temperature: 0.8, topK: 0, maxNewTokens: 40,
    schedule: { kind: 'fixed', thresholds: [0.7, 0.8, 0.9] }, normalize: 'clip', includeOriginal: true, validationProblems: 300,
    evalBestOfN: 8, batchSize: 256,
    improve: { loss: 'bc', epochs: 2, maxSteps: 300, batchSize: 32, lr: 1e-3, minLr: 1e-4, warmupSteps: 10, evalEvery: 50 },
  },
  ppo: true,
  ppoConfig: { promptsPerStep: 128, samplesPerPrompt: 1, epochs: 2, minibatchSize: 32, lr: 3e-4, temperature: 0.8, saveEvery: 25, batchSize: 256 },
  flawed: true,
  flawedReward: 'recall-unclipped',
};

/** Seconds-long sizes for tests (the numbers mean nothing). */
export function tinyRestDemo(seed: number): RestDemoConfig {
  return {
    ...defaultRestDemo, seed, labelled: 24, prompts: 40, testProblems: 12, dModel: 16, layers: 1, heads: 2, bcSteps: 20,
    rest: {
      ...defaultRestDemo.rest, samplesPerPrompt: 2, validationProblems: 8, evalBestOfN: 2, batchSize: 64,
      improve: { ...defaultRestDemo.rest.improve, maxSteps: 4, evalEvery: 2, batchSize: 8 },
    },
    ppoConfig: { ...defaultRestDemo.ppoConfig, promptsPerStep: 16, minibatchSize: 8, saveEvery: 0, batchSize: 64 },
  };
}

export interface PpoLine {
  /** Why it did not run, when it did not. */
  skipped?: string;
  steps?: number;
  samples?: number;
  validation?: PolicyScores;
  test?: PolicyScores;
}

/** What the last Improve step of each Grow step kept, read back from the grown samples: the check README's flawed-reward run makes. */
export interface KeptInspection {
  grow: number;
  improve: number;
  kept: number;
  /** Kept although the dictionary rejects them. */
  wrong: number;
  /** Of those, answers with more phonemes than every accepted pronunciation. */
  longer: number;
}

export interface RestDemoResult {
  rest: RestRow[];
  flawed: RestRow[] | null;
  keptRest: KeptInspection[];
  keptFlawed: KeptInspection[] | null;
  ppo: PpoLine;
  /** Samples each ReST run drew (G × Grow prompts × N). */
  samples: number;
  seconds: number;
  config: RestDemoConfig;
}

interface DemoOptions { resume: boolean; quiet: boolean; log: (s: string) => void }

export async function runRestDemo(cfg: RestDemoConfig, out: string, opts: DemoOptions): Promise<RestDemoResult> {
  const t0 = performance.now();
  const full = g2pTask({ seed: cfg.seed, trainSize: cfg.labelled + cfg.prompts, testSize: cfg.testProblems });
  const labelled = full.train.slice(0, cfg.labelled);
  const task: Task = { ...full, train: full.train.slice(cfg.labelled) };
  const every: Problem[] = [...full.train, ...full.test];
  const tok = CharTokenizer.fromCorpus(every.map((p) => `${p.prompt}${p.reference}\n`).join(''));
  const mcfg = defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: cfg.dModel, nLayer: cfg.layers, nHead: cfg.heads, nKvHead: cfg.heads, maxSeqLen: 64 });
  const store = RunStore.open(out, { demo: 'rest', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  try {
    await modelStage(store, 'bc', 'bc', tok, async () => {
      opts.log(`BC: ${labelled.length} labelled words, ${cfg.bcSteps} steps`);
      const model = new Transformer(mcfg, undefined, cfg.seed);
      const ex = labelled.map((p) => completionExample(p.prompt, p.reference!, tok, mcfg.maxSeqLen - 1));
      await trainSft({ model, tokenizer: tok, train: ex, quiet: opts.quiet, config: { steps: cfg.bcSteps, batchSize: 32, lr: cfg.lr, minLr: cfg.lr / 10, warmupSteps: 30, seed: cfg.seed, evalEvery: 0 } });
      return { model, result: { examples: ex.length, steps: cfg.bcSteps } };
    });
    // Each run starts from the saved BC weights, as a resumed run does.
    const bc = () => loadModelDir(store.checkpointPath('bc'), { tokenizer: false }).model;
    const per = metricReward(every, 'per');
    const rest = { ...cfg.rest, seed: cfg.seed };
    const growPrompts = task.train.length - Math.min(rest.validationProblems ?? 100, Math.floor(task.train.length / 4));
    const samples = (rest.growSteps ?? 2) * growPrompts * (rest.samplesPerPrompt ?? 8);

    const byId = new Map(every.map((q) => [q.id, q]));
    const sub = async (name: string, run: (s: RunStore) => Promise<RestRow[]>) => {
      const s = RunStore.open(join(out, name), { demo: `rest/${name}`, ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
      try {
        const rows = await run(s);
        return { rows, kept: inspectKept(s, rows, rest.improveSteps ?? 3, byId) };
      } finally {
        s.close();
      }
    };
    opts.log(`ReST with reward 1 − PER: G = ${rest.growSteps}, I = ${rest.improveSteps}, ${growPrompts} prompts × ${rest.samplesPerPrompt} samples`);
    const { rows: main, kept: keptRest } = await sub('rest-per', (s) => runRest({ policy0: bc(), tokenizer: tok, task, original: labelled, reward: per, store: s, config: rest, quiet: opts.quiet, log: opts.log }));

    const ppo = cfg.ppo ? await ppoLine(cfg, join(out, 'ppo'), bc(), tok, task, per, samples, opts) : { skipped: 'not asked for' };

    let flawed: RestRow[] | null = null, keptFlawed: KeptInspection[] | null = null;
    if (cfg.flawed) {
      opts.log(`ReST with the flawed reward ${cfg.flawedReward} (1 − PER watched, never trained on)`);
      const proxy = metricReward(every, cfg.flawedReward);
      ({ rows: flawed, kept: keptFlawed } = await sub(`rest-${cfg.flawedReward}`, (s) => runRest({
        policy0: bc(), tokenizer: tok, task, original: labelled, reward: proxy, monitor: per, store: s, config: { ...rest, evalBestOfN: 0 }, quiet: opts.quiet, log: opts.log,
      })));
    }
    return { rest: main, flawed, keptRest, keptFlawed, ppo, samples, seconds: (performance.now() - t0) / 1000, config: cfg };
  } finally {
    store.close();
  }
}

function inspectKept(store: RunStore, rows: readonly RestRow[], improveSteps: number, byId: ReadonlyMap<string, Problem>): KeptInspection[] {
  const phonemes = (s: string) => firstLine(s).split(/\s+/).filter(Boolean).length;
  return [...new Set(rows.filter((r) => r.grow > 0).map((r) => r.grow))].map((g) => {
    const key = improveKey(improveSteps);
    const kept = store.readSamples(growStage(g)).filter((r) => r['source'] === 'policy' && (r.kept as Record<string, boolean>)[key]);
    const wrong = kept.filter((r) => !(r.verifier as { correct: boolean }).correct);
    const longer = wrong.filter((r) => phonemes(r.sample) > Math.max(...referencesOf(byId.get(r.promptId)!).map(phonemes)));
    return { grow: g, improve: improveSteps, kept: kept.length, wrong: wrong.length, longer: longer.length };
  });
}

async function ppoLine(cfg: RestDemoConfig, dir: string, policy: Transformer, tok: Tokenizer, task: Task, reward: ReturnType<typeof metricReward>,
  samples: number, opts: DemoOptions): Promise<PpoLine> {
  const nVal = Math.min(cfg.rest.validationProblems ?? 100, Math.floor(task.train.length / 4));
  const prompts = task.train.slice(0, task.train.length - nVal);
  const validation = task.train.slice(task.train.length - nVal);
  const c = cfg.ppoConfig;
  const perStep = (c.promptsPerStep ?? 16) * (c.samplesPerPrompt ?? 1);
  const steps = Math.max(1, Math.round(samples / perStep));
  opts.log(`online PPO from the BC policy: ${steps} steps × ${perStep} samples (ReST's ${samples})`);
  const store = RunStore.open(dir, { demo: 'rest/ppo', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  try {
    await trainPpo({
      policy, tokenizer: tok, prompts: prompts.map((p) => ({ id: p.id, text: p.prompt })), reward, store, quiet: opts.quiet,
      config: { ...c, steps, maxNewTokens: cfg.rest.maxNewTokens ?? 40, seed: cfg.seed },
    });
    const res = await store.stage('eval', async (s) => {
      const spec = { tokenizer: tok, verifier: task.verifier, reward, sampling: { maxNewTokens: cfg.rest.maxNewTokens ?? 40, temperature: 0, topK: 0, seed: cfg.seed, batchSize: 256 } };
      const r = { validation: await evaluatePolicy(policy, validation, spec), test: await evaluatePolicy(policy, task.test, spec) };
      s.log({ validationReward: r.validation.reward, testReward: r.test.reward, testExact: r.test.exact });
      return r;
    });
    return { steps, samples: steps * perStep, ...res };
  } finally {
    store.close();
  }
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));

function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

const keptCell = (x: RestRow) => (x.kept === null ? '' : `${x.kept}/${x.samples} (${pct(x.keptFraction)}) + ${x.keptData} D`);
const stepLabel = (r: RestRow) => (r.grow === 0 ? 'BC (labelled words)' : `G${r.grow} I${r.improve}`);

export function formatRestDemo(r: RestDemoResult): string {
  const n = r.config.rest.evalBestOfN ?? 0;
  const head = ['policy', 'τ', 'kept', 'val reward (1−PER)', 'val exact', 'test reward', 'test exact', ...(n ? [`best-of-${n} reward*`, `best-of-${n} exact*`] : []), 'steps (kept)'];
  const body = r.rest.map((x) => [
    stepLabel(x), x.threshold === null ? '' : String(x.threshold), keptCell(x),
    f3(x.validationReward), pct(x.validationExact), f3(x.testReward), pct(x.testExact),
    ...(n ? [f3(x.bestOfNReward), pct(x.bestOfNExact)] : []), x.steps === null ? '' : `${x.steps} (${x.bestStep})`,
  ]);
  const ppo = r.ppo.test
    ? ['online PPO, same samples', '', `${r.ppo.samples} samples`, f3(r.ppo.validation!.reward), pct(r.ppo.validation!.exact), f3(r.ppo.test.reward), pct(r.ppo.test.exact), ...(n ? ['', ''] : []), `${r.ppo.steps} PPO steps`]
    : null;
  if (ppo) body.push(ppo);
  const parts = [`ReST, reward 1 − phoneme error rate (G × I; ${r.samples} samples per run):`, table(head, body)];
  if (!r.ppo.test) parts.push(`online PPO: not run — ${r.ppo.skipped}`);
  if (n) parts.push(`* best-of-${n}: ${n} samples per test word reranked by the reward; the reward reads the reference, so this is an oracle bound, not a deployable score.`);
  const inspect = (k: readonly KeptInspection[]) => k.map((x) =>
    `  G${x.grow} I${x.improve}: ${x.kept} samples kept, ${x.wrong} of them wrong (${pct(x.wrong / Math.max(x.kept, 1))}), ${x.longer} of those longer than every accepted pronunciation`).join('\n');
  parts.push('', 'What the last threshold kept, read back from the grown samples:', inspect(r.keptRest));
  if (r.flawed) {
    const name = r.config.flawedReward;
    const fh = ['policy', 'τ', 'kept', `val ${name} (proxy)`, `test ${name}`, 'test exact', 'test 1−PER', 'phonemes per answer'];
    const fb = r.flawed.map((x) => [
      stepLabel(x), x.threshold === null ? '' : String(x.threshold), keptCell(x),
      f3(x.validationReward), f3(x.testReward), pct(x.testExact), f3(x.testMonitor), x.testLength.toFixed(2),
    ]);
    parts.push('', `ReST with a flawed reward, ${name} (${FLAW[name] ?? 'not a flawed metric'}), the same settings otherwise:`, table(fh, fb));
    if (r.keptFlawed) parts.push('', 'What the last threshold kept, read back from the grown samples:', inspect(r.keptFlawed));
    parts.push('', hackingVerdict(r.flawed, name));
  }
  return parts.join('\n');
}

/** How each flawed metric can be gamed, for the table's title. */
const FLAW: Partial<Record<MetricName, string>> = {
  'recall-unclipped': 'the right answer scores 0.8; repeating phonemes of the reference raises it to 1',
  'chrf-recall': 'adding phonemes never lowers it',
};

/** One sentence on the flawed run, from its first and last rows: did the proxy rise while exact match fell? */
export function hackingVerdict(rows: readonly RestRow[], proxyName: string): string {
  const a = rows[0]!, b = rows.at(-1)!;
  const moved = (x: number, y: number) => (y > x ? 'rose' : y < x ? 'fell' : 'stayed');
  const proxy = moved(a.validationReward, b.validationReward), exact = moved(a.testExact, b.testExact);
  const head = `From BC to G${b.grow} I${b.improve}, the proxy ${proxy} (validation ${proxyName} ${f3(a.validationReward)} → ${f3(b.validationReward)}) ` +
    `while test exact match ${exact} (${pct(a.testExact)} → ${pct(b.testExact)}; 1 − PER ${f3(a.testMonitor)} → ${f3(b.testMonitor)}, ` +
    `${a.testLength.toFixed(2)} → ${b.testLength.toFixed(2)} phonemes per answer)`;
  return proxy === 'rose' && exact === 'fell'
    ? `${head}: the flawed reward was optimised at the expense of the task.`
    : `${head}: the proxy did not pull exact match down in this run; the flaw shows in what the filter kept (above), not yet in the policy.`;
}

export const restRecipe = defineRecipe({
  name: 'rest',
  summary: 'ReST (Grow/Improve) on CMU-dict grapheme-to-phoneme: BC, G=2 × I=3 with reward 1 − PER, online PPO, a flawed reward',
  options: declareConfig('demo rest', {
    ...recipeOptions('seed of the word sample, the model and the sampling'),
    noPpo: bool(false, 'skip the online PPO line'),
    noFlawed: bool(false, 'skip the flawed-reward run'),
    flawedReward: choice(METRIC_NAMES, defaultRestDemo.flawedReward, "the flawed run's reward"),
  }),
  examples: ['alignkit demo rest', 'alignkit demo rest --json --seed 1'],
  async run(o, hooks) {
    const base = o.tiny ? tinyRestDemo(o.seed) : { ...defaultRestDemo, seed: o.seed };
    const cfg: RestDemoConfig = { ...base, ppo: !o.noPpo, flawed: !o.noFlawed, flawedReward: o.flawedReward };
    const out = recipeRunDir(o, `runs/demo-rest-seed${o.seed}`);
    hooks.log(`ReST on CMU-dict grapheme-to-phoneme (seed ${o.seed}); run directory ${out}`);
    return { ...(await runRestDemo(cfg, out, { resume: o.resume, quiet: o.quiet, log: hooks.log })), out };
  },
  json: (r) => ({ rest: r.rest, ppo: r.ppo, flawed: r.flawed, keptRest: r.keptRest, keptFlawed: r.keptFlawed, samples: r.samples, seconds: r.seconds, seed: r.config.seed, out: r.out }),
  format: (r) => `${formatRestDemo(r)}\n\n${r.seconds.toFixed(0)} s. Every grown sample with its reward and kept flags: ${r.out}/*/samples/; metrics: ${r.out}/*/metrics.jsonl`,
});
