// ReST, Reinforced Self-Training (Gulcehre et al. 2023, Algorithm 1):
//   for g = 1..G                                                      Grow
//     D_g = N samples per prompt from the current policy (∪ the original data D), each scored
//           by the reward R and normalised to [0, 1];
//     for i = 1..I                                                    Improve
//       keep the part of D_g whose reward clears τᵢ (τ rising with i, rest-thresholds.ts) and
//       fine-tune the policy from the previous Improve step on it with an offline loss (BC, GOLD,
//       BVMPO, offline actor-critic; rest-losses.ts), keeping the weights with the best
//       validation reward.
// Grow and Improve are decoupled: every grown sample goes to the run store with its reward, the
// policy that drew it, and one `kept` flag per Improve step ({"improve1": true, "improve2": false,
// …}), so a person can read what each threshold kept — reward hacking shows there first.
// Every stage commits through the run store: a killed run resumes at the stage in progress.
import { noGrad } from '../../autograd/index.js';
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Problem, Task } from '../../data/tasks/task.js';
import type { RunStore, SampleRecord } from '../../runs/run-store.js';
import { completionLogprobs, tokenLogprobs } from '../trainer/logprobs.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { sampleAndVerify, type SampleSettings, type ScoredSample } from '../trainer/task-eval.js';
import { applyThreshold, scheduleValues, type FilterItem, type ThresholdSchedule } from './thresholds.js';
import { normaliseRewards } from './rewards.js';
import { evaluateBestOfN, evaluatePolicy, rewardSamples, type EvalSpec, type PolicyScores } from './eval.js';
import { RestCritic, improvePolicy, needsCritic, type ImproveExample } from './improve.js';
import { resolveImproveConfig, resolveRestConfig, type RestConfig } from './config.js';

export { defaultRestConfig, resolveRestConfig, type RestConfig } from './config.js';

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
}

export const growStage = (g: number): string => `grow${g}`;
export const improveStage = (g: number, i: number): string => `grow${g}/improve${i}`;
export const improveKey = (i: number): string => `improve${i}`;
const checkpointName = (g: number, i: number): string => (g === 0 ? 'policy0' : `g${g}-i${i}`);
const evalStage = (g: number, i: number): string => (g === 0 ? 'policy0/eval' : `${improveStage(g, i)}/eval`);

interface GrowResult { samples: number; data: number; meanReward: number; meanRawReward: number; exact: number }
interface ImproveStageResult {
  threshold: number; samples: number; kept: number; keptFraction: number; keptData: number;
  examples: number; steps: number; bestStep: number; bestValidation: number | null;
}
interface EvalResult { validation: PolicyScores; test: PolicyScores; bestOfN: PolicyScores | null }

export async function runRest(o: RestOptions): Promise<RestRow[]> {
  const c = resolveRestConfig(o.config ?? {});
  const ic = resolveImproveConfig(c.improve);
  const { store, tokenizer: tok, task } = o;
  const log = o.log ?? (() => {});
  const done = async (stage: string) => { if (o.onStageComplete) await o.onStageComplete(stage); };
  const sampling: SampleSettings = { maxNewTokens: c.maxNewTokens, temperature: c.temperature, topK: c.topK, seed: c.seed, batchSize: c.batchSize };
  const nVal = Math.min(c.validationProblems, Math.floor(task.train.length / 4));
  const validation = task.train.slice(task.train.length - nVal);
  const growProblems = task.train.slice(0, task.train.length - nVal);
  if (growProblems.length === 0) throw new RangeError(`rest: task "${task.name}" has ${task.train.length} training problems, none left to grow on after ${nVal} for validation`);
  const original = c.includeOriginal ? [...(o.original ?? [])] : [];
  original.forEach((p) => { if (p.reference === undefined) throw new RangeError(`rest: original problem ${p.id} has no reference; the original data D needs one`); });
  const spec: EvalSpec = { tokenizer: tok, verifier: task.verifier, reward: o.reward, monitor: o.monitor ?? null, sampling };
  const load = (name: string) => loadModelDir(store.checkpointPath(name), { tokenizer: false }).model;
  if (!store.hasCheckpoint('policy0')) store.saveCheckpoint('policy0', (d) => saveModelDir(d, o.policy0, { tokenizer: tok }));

  const evaluate = async (g: number, i: number): Promise<EvalResult> => {
    const stage = evalStage(g, i);
    if (!store.isDone(stage)) {
      const model = load(checkpointName(g, i));
      const seed = c.seed + 1000 * g + 100 * i + 7;
      const res: EvalResult = {
        validation: await evaluatePolicy(model, validation, spec),
        test: await evaluatePolicy(model, task.test, spec),
        bestOfN: c.evalBestOfN > 0 ? await evaluateBestOfN(model, task.test, { ...spec, sampling: { ...sampling, seed } }, c.evalBestOfN) : null,
      };
      store.logMetrics(stage, { validationReward: res.validation.reward, validationExact: res.validation.exact, testReward: res.test.reward, testExact: res.test.exact, testMonitor: res.test.monitor, testLength: res.test.length, bestOfNReward: res.bestOfN?.reward ?? null, bestOfNExact: res.bestOfN?.exact ?? null });
      store.completeStage(stage, res);
      log(`${checkpointName(g, i)}: validation reward ${res.validation.reward.toFixed(3)}, test reward ${res.test.reward.toFixed(3)}, test exact ${pct(res.test.exact)}`);
      await done(stage);
    }
    return store.stageResult<EvalResult>(stage);
  };

  const rows: RestRow[] = [];
  const row = (g: number, i: number, e: EvalResult, imp: ImproveStageResult | null): RestRow => ({
    grow: g, improve: i, policy: checkpointName(g, i), threshold: imp?.threshold ?? null, samples: imp?.samples ?? null, kept: imp?.kept ?? null,
    keptFraction: imp?.keptFraction ?? null, keptData: imp?.keptData ?? null, validationReward: e.validation.reward, validationExact: e.validation.exact,
    testReward: e.test.reward, testExact: e.test.exact, testMonitor: e.test.monitor, testLength: e.test.length,
    bestOfNReward: e.bestOfN?.reward ?? null, bestOfNExact: e.bestOfN?.exact ?? null, steps: imp?.steps ?? null, bestStep: imp?.bestStep ?? null,
  });
  rows.push(row(0, 0, await evaluate(0, 0), null));

  let current = checkpointName(0, 0), currentEval = evalStage(0, 0);
  for (let g = 1; g <= c.growSteps; g++) {
    const gStage = growStage(g);
    if (!store.isDone(gStage)) {
      const r = await grow(load(current), current, g, growProblems, original, o, c);
      store.logMetrics(gStage, { ...r });
      store.completeStage(gStage, r);
      log(`grow ${g}: ${r.samples} samples from ${current} (+${r.data} original), mean reward ${r.meanReward.toFixed(3)}, exact ${pct(r.exact)}`);
      await done(gStage);
    }
    for (let i = 1; i <= c.improveSteps; i++) {
      const iStage = improveStage(g, i);
      const prev = i === 1 ? current : checkpointName(g, i - 1);
      if (!store.isDone(iStage)) {
        const tau = scheduleValues(c.schedule)[i - 1]!;
        const filter = markKept(store, gStage, c.schedule, i);
        const kept = store.readSamples(gStage).filter((r) => (r.kept as Record<string, boolean>)[improveKey(i)] === true);
        const examples = toExamples(kept, tok, o.policy0.config.maxSeqLen);
        const model = load(prev);
        const critic = needsCritic(ic.loss) ? RestCritic.load(store.checkpointPath(prev)) ?? RestCritic.fresh(model.config.dModel, c.seed + g) : null;
        if (needsCritic(ic.loss)) addBehaviour(examples, load(current), tok, c.batchSize);
        const baseline = store.stageResult<EvalResult>(i === 1 ? currentEval : evalStage(g, i - 1)).validation.reward;
        const res = await improvePolicy({
          model, critic, data: examples, config: ic, padId: tok.pad ?? tok.eos ?? 0, seed: c.seed + 1000 * g + i, baseline, quiet: o.quiet,
          label: `grow ${g} improve ${i} (${ic.loss})`, validate: async (m) => (await evaluatePolicy(m, validation, { ...spec, monitor: null })).reward,
          onLog: (l) => store.logMetrics(iStage, { ...l }),
        });
        store.saveCheckpoint(checkpointName(g, i), (d) => { saveModelDir(d, res.model, { tokenizer: tok }); res.critic?.save(d); });
        const result: ImproveStageResult = {
          threshold: tau, samples: filter.samples, kept: filter.keptPolicy, keptFraction: filter.keptPolicy / Math.max(filter.samples, 1),
          keptData: filter.keptData, examples: examples.length, steps: res.steps, bestStep: res.bestStep, bestValidation: res.best,
        };
        store.completeStage(iStage, result);
        log(`grow ${g} improve ${i}: τ ${tau} kept ${result.kept}/${result.samples} samples (${pct(result.keptFraction)}) + ${result.keptData} original; ` +
          `${res.steps} ${ic.loss} steps from ${prev}, kept step ${res.bestStep} (validation reward ${res.best === null ? '—' : res.best.toFixed(3)})`);
        await done(iStage);
      }
      rows.push(row(g, i, await evaluate(g, i), store.stageResult<ImproveStageResult>(iStage)));
    }
    current = checkpointName(g, c.improveSteps);
    currentEval = evalStage(g, c.improveSteps);
  }
  return rows;
}

/** Samples N per Grow prompt from `policy`, adds the original data, scores everything, and commits the records. */
async function grow(policy: Transformer, policyName: string, g: number, problems: readonly Problem[], original: readonly Problem[], o: RestOptions, c: RestConfig): Promise<GrowResult> {
  const tok = o.tokenizer;
  const seed = c.seed + 1000 * g;
  const scored = await sampleAndVerify(policy, tok, problems, o.task.verifier, c.samplesPerPrompt, {
    maxNewTokens: c.maxNewTokens, temperature: c.temperature, topK: c.topK, seed, batchSize: c.batchSize,
  });
  const data: ScoredSample[] = await Promise.all(original.map(async (p) => {
    const tokens = tok.encode(p.reference!, { parseSpecial: false });
    if (tok.eos !== null) tokens.push(tok.eos);
    return { problem: p, text: p.reference!, verdict: await o.task.verifier.verify(p, p.reference!), sample: { promptIndex: -1, tokens, logprobs: [], finishReason: 'stop' as const } };
  }));
  const all = [...scored, ...data];
  const { rewards: raw, notes } = await rewardSamples(o.reward, all);
  const rewards = normaliseRewards(raw, c.normalize);
  const records: SampleRecord[] = all.map((s, j) => {
    const fromData = j >= scored.length;
    return {
      promptId: s.problem.id, prompt: s.problem.prompt, sample: s.text, reward: rewards[j]!, rawReward: raw[j]!,
      verifier: { correct: s.verdict.correct, extracted: s.verdict.extracted ?? null, detail: s.verdict.detail ?? null, reward: notes[j] ?? null },
      policy: fromData ? 'data' : policyName, source: fromData ? 'data' : 'policy',
      sampling: fromData ? { temperature: 0 } : { temperature: c.temperature, ...(c.topK > 0 ? { topK: c.topK } : {}), seed },
      kept: {}, finishReason: s.sample.finishReason, logprob: s.sample.logprobs.reduce((a, b) => a + b, 0),
    };
  });
  const w = o.store.samples(growStage(g));
  w.write(records);
  w.commit();
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  return {
    samples: scored.length, data: data.length, meanReward: mean(rewards.slice(0, scored.length)), meanRawReward: mean(raw.slice(0, scored.length)),
    exact: mean(scored.map((s) => (s.verdict.correct ? 1 : 0))),
  };
}

/**
 * Marks `kept.improve<i>` on every record of the Grow stage's file. Recomputed from the stored
 * rewards alone, so applying it again after a crash writes the same file (RunStore.updateSamples).
 */
function markKept(store: RunStore, gStage: string, schedule: ThresholdSchedule, i: number): { samples: number; keptPolicy: number; keptData: number } {
  let out = { samples: 0, keptPolicy: 0, keptData: 0 };
  store.updateSamples(gStage, (records) => {
    const items: FilterItem[] = records.map((r) => ({ promptId: r.promptId, reward: r.reward, source: r['source'] === 'data' ? 'data' : 'policy' }));
    const res = applyThreshold(items, schedule, i - 1);
    records.forEach((r, j) => {
      const kept = typeof r.kept === 'object' ? r.kept : {};
      r.kept = { ...kept, [improveKey(i)]: res.kept[j]! };
      const thresholds = (typeof r['threshold'] === 'object' && r['threshold'] !== null ? r['threshold'] : {}) as Record<string, number>;
      r['threshold'] = { ...thresholds, [improveKey(i)]: res.thresholds.get(r.promptId) ?? null };
    });
    out = { samples: items.filter((x) => x.source === 'policy').length, keptPolicy: res.keptPolicy, keptData: res.keptData };
    return records;
  });
  return out;
}

/** Kept records as token examples: the completion ends with EOS (as SFT's), cut to fit the context. */
function toExamples(kept: readonly SampleRecord[], tok: Tokenizer, maxSeqLen: number): ImproveExample[] {
  const out: ImproveExample[] = [];
  for (const r of kept) {
    const prompt = tok.encode(r.prompt, { parseSpecial: false });
    const completion = tok.encode(r.sample, { parseSpecial: false });
    if (tok.eos !== null) completion.push(tok.eos);
    const room = maxSeqLen - prompt.length;
    if (room < 1) continue;
    out.push({ prompt, completion: completion.slice(0, room), reward: r.reward });
  }
  return out;
}

/** log π_b(yₜ) at temperature 1 under the policy that grew the data (bvmpo's trust region, oac's ratios). */
function addBehaviour(examples: ImproveExample[], behaviour: Transformer, tok: Tokenizer, batchSize: number): void {
  noGrad(() => {
    for (let s = 0; s < examples.length; s += batchSize) {
      const chunk = examples.slice(s, s + batchSize);
      const rows = completionLogprobs(tokenLogprobs(behaviour, chunk, 1, tok.pad ?? tok.eos ?? 0));
      chunk.forEach((e, j) => { e.behaviour = rows[j]!; });
    }
  });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
