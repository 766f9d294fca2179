// ReST, Reinforced Self-Training (Gulcehre et al. 2023, Algorithm 1):
//   for g = 1..G                                                      Grow
//     D_g = N samples per prompt from the current policy (∪ the original data D), each scored
//           by the reward R and normalised to [0, 1];
//     for i = 1..I                                                    Improve
//       keep the part of D_g whose reward clears τᵢ (τ rising with i, thresholds.ts) and
//       fine-tune the policy from the previous Improve step on it with an offline loss (BC, GOLD,
//       BVMPO, offline actor-critic; improve.ts and align/losses/offline.ts), keeping the weights
//       with the best validation reward.
// Grow and Improve are decoupled (grow.ts): every grown sample goes to the run store with its
// reward, the policy that drew it, and one `kept` flag per Improve step ({"improve1": true,
// "improve2": false, …}), so a person can read what each threshold kept — reward hacking shows
// there first.
// Every stage commits through the run store: a killed run resumes at the stage in progress.
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Problem, Task } from '../../data/tasks/task.js';
import type { RunStore, StageScope } from '../../runs/run-store.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import type { SampleSettings } from '../trainer/task-eval.js';
import { localGenerator, type Generator } from '../trainer/generator/generator.js';
import { scheduleValues } from './thresholds.js';
import { evaluateBestOfN, evaluatePolicy, type EvalSpec, type PolicyScores } from './eval.js';
import { RestCritic, improvePolicy, needsCritic } from './improve.js';
import { addBehaviour, grow, improveKey, markKept, toExamples } from './grow.js';
import { resolveImproveConfig, resolveRestConfig, type ImproveConfig, type RestConfig } from './config.js';

export { defaultRestConfig, resolveRestConfig, type RestConfig } from './config.js';
export { improveKey } from './grow.js';

/** One policy of the run: the starting one (grow 0, improve 0) or the result of an Improve step. */
export interface RestRow {
  grow: number;
  improve: number;
  /** Its checkpoint name in the run store. */
  policy: string;
  /** The schedule value its Improve step filtered with (null for the starting policy). */
  threshold: number | null;
  /** Policy samples in its Grow step, how many the filter kept and their share; original data kept. */
  samples: number | null;
  kept: number | null;
  keptFraction: number | null;
  keptData: number | null;
  /** Greedy decoding on the validation prompts: mean reward and exact match. */
  validationReward: number;
  validationExact: number;
  /** Greedy decoding on the test problems. */
  testReward: number;
  testExact: number;
  testMonitor: number | null;
  testLength: number;
  bestOfNReward: number | null;
  bestOfNExact: number | null;
  /** Improve optimizer steps and the one whose weights were kept (0: the previous policy's). */
  steps: number | null;
  bestStep: number | null;
}

export interface RestOptions {
  /** The policy Grow step 1 samples from (the paper: trained on D with the same loss; here usually an SFT model). */
  policy0: Transformer;
  tokenizer: Tokenizer;
  /** Grow prompts are task.train less the validation prompts at its end; the reward sees references, the policy only prompts. */
  task: Task;
  /** The original labelled data D (problems with references), kept in every D_g when includeOriginal. */
  original?: readonly Problem[];
  /** Scores every row by prompt id: it must know the problems of task.train, task.test and original. */
  reward: RewardFn;
  /** A second reward measured on the test outputs but never trained on (e.g. the true metric while training on a proxy). */
  monitor?: RewardFn | null;
  store: RunStore;
  config?: Partial<RestConfig>;
  /** One line per finished stage. */
  log?: (line: string) => void;
  quiet?: boolean;
  /** Awaited after each stage commits; a throw acts like a crash right after that stage. */
  onStageComplete?: (stage: string) => void | Promise<void>;
  /**
   * Where Grow and the evaluations of each policy sample (default this process). A remote one is
   * pushed each policy's checkpoint before it samples from it — after each Improve step; the
   * Improve step's own validation decodes here, on the weights it is training.
   */
  generator?: Generator;
}


export const growStage = (g: number): string => `grow${g}`;
export const improveStage = (g: number, i: number): string => `grow${g}/improve${i}`;
/** The run store's checkpoint of the policy after Improve step i of Grow step g (g = 0: the starting policy). */
export const restCheckpointName = (g: number, i: number): string => (g === 0 ? 'policy0' : `g${g}-i${i}`);
const evalStage = (g: number, i: number): string => (g === 0 ? 'policy0/eval' : `${improveStage(g, i)}/eval`);

interface ImproveStageResult {
  threshold: number; samples: number; kept: number; keptFraction: number; keptData: number;
  examples: number; steps: number; bestStep: number; bestValidation: number | null;
}
interface EvalResult { validation: PolicyScores; test: PolicyScores; bestOfN: PolicyScores | null }

/** What every stage of one run reads: the resolved settings, the split of task.train, the store. */
interface RestRun {
  o: RestOptions;
  c: RestConfig;
  ic: ImproveConfig;
  store: RunStore;
  sampling: SampleSettings;
  spec: EvalSpec;
  validation: Problem[];
  growProblems: Problem[];
  original: Problem[];
  log: (line: string) => void;
  generator: Generator;
}

function openRun(o: RestOptions): RestRun {
  const c = resolveRestConfig(o.config ?? {});
  const { store, task } = o;
  const sampling: SampleSettings = { maxNewTokens: c.maxNewTokens, temperature: c.temperature, topK: c.topK, seed: c.seed, batchSize: c.batchSize };
  const nVal = Math.min(c.validationProblems, Math.floor(task.train.length / 4));
  const growProblems = task.train.slice(0, task.train.length - nVal);
  if (growProblems.length === 0) throw new RangeError(`rest: task "${task.name}" has ${task.train.length} training problems, none left to grow on after ${nVal} for validation`);
  const original = c.includeOriginal ? [...(o.original ?? [])] : [];
  original.forEach((p) => { if (p.reference === undefined) throw new RangeError(`rest: original problem ${p.id} has no reference; the original data D needs one`); });
  if (!store.hasCheckpoint('policy0')) store.saveCheckpoint('policy0', (d) => saveModelDir(d, o.policy0, { tokenizer: o.tokenizer }));
  return {
    o, c, ic: resolveImproveConfig(c.improve), store, sampling, growProblems, original, log: o.log ?? (() => {}), generator: o.generator ?? localGenerator,
    spec: { tokenizer: o.tokenizer, verifier: task.verifier, reward: o.reward, monitor: o.monitor ?? null, sampling },
    validation: task.train.slice(task.train.length - nVal),
  };
}

const load = (run: RestRun, name: string): Transformer => loadModelDir(run.store.checkpointPath(name), { tokenizer: false }).model;

/** Checkpoint `name` loaded, and served by the generator from its checkpoint directory. */
async function serve(run: RestRun, name: string): Promise<Transformer> {
  const model = load(run, name);
  await run.generator.push(model, run.o.tokenizer, name, run.store.checkpointPath(name));
  return model;
}

/**
 * The stage `name` through the run store; when it ran now (not loaded from a finished run),
 * its log line and then onStageComplete, so that a test's simulated crash falls after the commit.
 */
async function restStage<R>(run: RestRun, name: string, compute: (s: StageScope) => Promise<R>, line: (r: R) => string): Promise<R> {
  let ran = false;
  const r = await run.store.stage(name, (s) => { ran = true; return compute(s); });
  if (ran) {
    run.log(line(r));
    if (run.o.onStageComplete) await run.o.onStageComplete(name);
  }
  return r;
}

function evaluate(run: RestRun, g: number, i: number): Promise<EvalResult> {
  const { c } = run;
  const spec: EvalSpec = { ...run.spec, sampling: { ...run.sampling, generator: run.generator } };
  return restStage(run, evalStage(g, i), async (s) => {
    const model = await serve(run, restCheckpointName(g, i));
    const seed = c.seed + 1000 * g + 100 * i + 7;
    const res: EvalResult = {
      validation: await evaluatePolicy(model, run.validation, spec),
      test: await evaluatePolicy(model, run.o.task.test, spec),
      bestOfN: c.evalBestOfN > 0 ? await evaluateBestOfN(model, run.o.task.test, { ...spec, sampling: { ...spec.sampling, seed } }, c.evalBestOfN) : null,
    };
    s.log({ validationReward: res.validation.reward, validationExact: res.validation.exact, testReward: res.test.reward, testExact: res.test.exact, testMonitor: res.test.monitor, testLength: res.test.length, bestOfNReward: res.bestOfN?.reward ?? null, bestOfNExact: res.bestOfN?.exact ?? null });
    return res;
  }, (res) => `${restCheckpointName(g, i)}: validation reward ${res.validation.reward.toFixed(3)}, test reward ${res.test.reward.toFixed(3)}, test exact ${pct(res.test.exact)}`);
}

function growStep(run: RestRun, g: number, current: string): Promise<unknown> {
  const { o, c } = run;
  return restStage(run, growStage(g), async (s) => {
    const r = await grow(await serve(run, current), current, g, run.growProblems, run.original, {
      tokenizer: o.tokenizer, task: o.task, reward: o.reward, config: c, samples: () => s.samples(), generator: run.generator,
    });
    s.log({ ...r });
    return r;
  }, (r) => `grow ${g}: ${r.samples} samples from ${current} (+${r.data} original), mean reward ${r.meanReward.toFixed(3)}, exact ${pct(r.exact)}${r.unscored ? `, ${r.unscored} unscored (left out)` : ''}`);
}

/**
 * Improve step i of Grow step g: filter the grown set at τᵢ and fine-tune `prev` on what it kept;
 * `prevEval` is prev's evaluation, whose validation reward the new weights must beat.
 */
function improveStep(run: RestRun, g: number, i: number, current: string, prevEval: EvalResult): Promise<ImproveStageResult> {
  const { store, c, ic, o } = run;
  const tok = o.tokenizer, gStage = growStage(g), iStage = improveStage(g, i);
  const prev = i === 1 ? current : restCheckpointName(g, i - 1);
  return restStage(run, iStage, async (s) => {
    const tau = scheduleValues(c.schedule)[i - 1]!;
    const filter = markKept(store, gStage, c.schedule, i);
    const kept = store.readSamples(gStage).filter((r) => (r.kept as Record<string, boolean>)[improveKey(i)] === true);
    const examples = toExamples(kept, tok, o.policy0.config.maxSeqLen);
    const model = load(run, prev);
    const critic = needsCritic(ic.loss) ? RestCritic.load(store.checkpointPath(prev)) ?? RestCritic.fresh(model.config.dModel, c.seed + g) : null;
    if (needsCritic(ic.loss)) addBehaviour(examples, load(run, current), tok, c.batchSize);
    const baseline = prevEval.validation.reward;
    const res = await improvePolicy({
      model, critic, data: examples, config: ic, padId: tok.pad ?? tok.eos ?? 0, seed: c.seed + 1000 * g + i, baseline, quiet: o.quiet,
      label: `grow ${g} improve ${i} (${ic.loss})`, validate: async (m) => (await evaluatePolicy(m, run.validation, { ...run.spec, monitor: null })).reward,
      onLog: (l) => s.log({ ...l }),
    });
    store.saveCheckpoint(restCheckpointName(g, i), (d) => { saveModelDir(d, res.model, { tokenizer: tok }); res.critic?.save(d); });
    return {
      threshold: tau, samples: filter.samples, kept: filter.keptPolicy, keptFraction: filter.keptPolicy / Math.max(filter.samples, 1),
      keptData: filter.keptData, examples: examples.length, steps: res.steps, bestStep: res.bestStep, bestValidation: res.best,
    };
  }, (r) => `grow ${g} improve ${i}: τ ${r.threshold} kept ${r.kept}/${r.samples} samples (${pct(r.keptFraction)}) + ${r.keptData} original; ` +
    `${r.steps} ${ic.loss} steps from ${prev}, kept step ${r.bestStep} (validation reward ${r.bestValidation === null ? '—' : r.bestValidation.toFixed(3)})`);
}

function row(g: number, i: number, e: EvalResult, imp: ImproveStageResult | null): RestRow {
  return {
    grow: g, improve: i, policy: restCheckpointName(g, i), threshold: imp?.threshold ?? null, samples: imp?.samples ?? null, kept: imp?.kept ?? null,
    keptFraction: imp?.keptFraction ?? null, keptData: imp?.keptData ?? null, validationReward: e.validation.reward, validationExact: e.validation.exact,
    testReward: e.test.reward, testExact: e.test.exact, testMonitor: e.test.monitor, testLength: e.test.length,
    bestOfNReward: e.bestOfN?.reward ?? null, bestOfNExact: e.bestOfN?.exact ?? null, steps: imp?.steps ?? null, bestStep: imp?.bestStep ?? null,
  };
}

export async function runRest(o: RestOptions): Promise<RestRow[]> {
  const run = openRun(o);
  let last = await evaluate(run, 0, 0);
  const rows: RestRow[] = [row(0, 0, last, null)];
  let current = restCheckpointName(0, 0);
  for (let g = 1; g <= run.c.growSteps; g++) {
    await growStep(run, g, current);
    for (let i = 1; i <= run.c.improveSteps; i++) {
      const imp = await improveStep(run, g, i, current, last);
      last = await evaluate(run, g, i);
      rows.push(row(g, i, last, imp));
    }
    current = restCheckpointName(g, run.c.improveSteps);
  }
  return rows;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
