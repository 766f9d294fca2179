// ReST-EM (Singh et al. 2023, "Beyond Human Data", Algorithm 1): repeat
//   E-step — sample N solutions per training problem from the current policy, keep those the
//            binary verifier accepts, at most `cap` per problem (§3: so that easy problems do not
//            dominate the data);
//   M-step — fine-tune the BASE model (not the last iterate, §3 "to avoid overfitting") on the
//            kept solutions, keeping the checkpoint with the best validation reward.
// Every stage goes through the run store, so a killed run resumes at the stage in progress and
// every sample (kept or not) stays on disk for inspection.
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Problem, Task } from '../../data/tasks/task.js';
import { completionExample, type TokenExample } from '../../data/lm-examples.js';
import type { RunStore, SampleRecord } from '../../runs/run-store.js';
import { trainSft } from '../sft/sft.js';
import { resolveRestEmConfig, type RestEmConfig } from './config.js';
import { evaluateTask, sampleAndVerify, type SampleSettings, type TaskScores } from '../trainer/task-eval.js';

export { defaultRestEmConfig, resolveRestEmConfig, type RestEmConfig } from './config.js';

export interface RestEmRow {
  iteration: number;
  train_pass1: number;
  test_pass1: number;
  pass_at_k: number;
  maj_at_k: number;
  k: number;
  /** Solutions kept by the E-step that trained this policy (null for the seed policy). */
  kept: number | null;
  /** Training problems with at least one accepted sample in that E-step. */
  solved: number | null;
  /** M-step steps run and the one kept by validation. */
  mSteps?: number;
  bestStep?: number;
}

export interface RestEmOptions {
  /** The model every M-step starts from. */
  base: Transformer;
  /** The policy of iteration 0 (a seed SFT model, or the base model itself). */
  policy0: Transformer;
  tokenizer: Tokenizer;
  task: Task;
  store: RunStore;
  config?: Partial<RestEmConfig>;
  /** One line per finished stage. */
  log?: (line: string) => void;
  quiet?: boolean;
}

const policyName = (i: number) => `iter${i}`;

export async function runRestEm(o: RestEmOptions): Promise<RestEmRow[]> {
  const c = resolveRestEmConfig(o.config ?? {});
  const { store, tokenizer: tok, task } = o;
  const log = o.log ?? (() => {});
  const sampling: SampleSettings = { maxNewTokens: c.maxNewTokens, temperature: c.temperature, topK: c.topK, seed: c.seed, batchSize: c.batchSize };
  const nVal = Math.min(c.validationProblems, Math.floor(task.train.length / 4));
  const validation = task.train.slice(task.train.length - nVal);
  const eProblems = task.train.slice(0, task.train.length - nVal);
  const trainEval = eProblems.slice(0, c.trainEvalProblems);
  if (!store.hasCheckpoint('base')) store.saveCheckpoint('base', (d) => saveModelDir(d, o.base, { tokenizer: tok }));
  if (!store.hasCheckpoint(policyName(0))) store.saveCheckpoint(policyName(0), (d) => saveModelDir(d, o.policy0, { tokenizer: tok }));
  const load = (name: string) => loadModelDir(store.checkpointPath(name), { tokenizer: false }).model;

  const rows: RestEmRow[] = [];
  const evaluate = async (i: number, data: { kept: number | null; solved: number | null; mSteps?: number; bestStep?: number }) => {
    const stage = `${policyName(i)}/eval`;
    if (!store.isDone(stage)) {
      const model = load(policyName(i));
      const test = await evaluateTask(model, tok, task.test, task.verifier, c.evalK, c.evalN, { ...sampling, seed: c.seed + 1000 * i + 1 });
      const tr = await sampleAndVerify(model, tok, trainEval, task.verifier, 1, { ...sampling, seed: c.seed + 1000 * i + 2 });
      const row: RestEmRow = {
        iteration: i, train_pass1: tr.filter((s) => s.verdict.correct).length / Math.max(tr.length, 1),
        ...rowScores(test), ...data,
      };
      store.logMetrics(stage, { ...row });
      store.completeStage(stage, row);
      log(`iteration ${i}: test pass@1 ${pct(row.test_pass1)}, pass@${row.k} ${pct(row.pass_at_k)}, maj@${row.k} ${pct(row.maj_at_k)}, train pass@1 ${pct(row.train_pass1)}`);
    }
    rows.push(store.stageResult(stage) as RestEmRow);
  };

  await evaluate(0, { kept: null, solved: null });
  for (let i = 1; i <= c.iterations; i++) {
    const eStage = `${policyName(i)}/e-step`, mStage = `${policyName(i)}/m-step`;
    if (!store.isDone(eStage)) {
      const stats = await eStep(load(policyName(i - 1)), i, eProblems, o, c, sampling);
      store.completeStage(eStage, stats);
      log(`iteration ${i} E-step: kept ${stats.kept} of ${stats.sampled} samples, ${stats.solved}/${eProblems.length} problems solved`);
    }
    const eStats = store.stageResult(eStage) as { kept: number; solved: number };
    if (!store.isDone(mStage)) {
      const kept = store.readSamples(eStage).filter((r) => r.kept === true);
      const examples = kept.map((r) => completionExample(r.prompt, r.sample, tok, o.base.config.maxSeqLen - 1));
      // With nothing kept there is nothing to learn from: the previous policy carries over.
      const res = examples.length ? await mStep(load('base'), examples, validation, o, c, sampling, i)
        : { model: load(policyName(i - 1)), steps: 0, bestStep: 0, best: null };
      store.saveCheckpoint(policyName(i), (d) => saveModelDir(d, res.model, { tokenizer: tok }));
      store.logMetrics(mStage, { steps: res.steps, bestStep: res.bestStep, bestValidation: res.best });
      store.completeStage(mStage, { steps: res.steps, bestStep: res.bestStep, bestValidation: res.best });
      log(`iteration ${i} M-step: ${res.steps} steps from the base model on ${examples.length} solutions, best validation pass@1 ${res.best === null ? '—' : pct(res.best)} at step ${res.bestStep}`);
    }
    const m = store.stageResult(mStage) as { steps: number; bestStep: number };
    await evaluate(i, { kept: eStats.kept, solved: eStats.solved, mSteps: m.steps, bestStep: m.bestStep });
  }
  return rows;
}

function rowScores(t: TaskScores): Pick<RestEmRow, 'test_pass1' | 'pass_at_k' | 'maj_at_k' | 'k'> {
  return { test_pass1: t.pass1, pass_at_k: t.passAtK, maj_at_k: t.majAtK, k: t.k };
}

async function eStep(policy: Transformer, i: number, problems: readonly Problem[], o: RestEmOptions, c: RestEmConfig, s: SampleSettings) {
  const stage = `${policyName(i)}/e-step`;
  const scored = await sampleAndVerify(policy, o.tokenizer, problems, o.task.verifier, c.samplesPerProblem, { ...s, seed: c.seed + 1000 * i });
  const keptPer = new Map<string, number>();
  const records: SampleRecord[] = scored.map((x) => {
    const have = keptPer.get(x.problem.id) ?? 0;
    const kept = x.verdict.correct && have < c.cap;
    if (kept) keptPer.set(x.problem.id, have + 1);
    return {
      promptId: x.problem.id, prompt: x.problem.prompt, sample: x.text, reward: x.verdict.reward,
      verifier: { correct: x.verdict.correct, extracted: x.verdict.extracted ?? null, detail: x.verdict.detail ?? null },
      policy: policyName(i - 1), sampling: { temperature: c.temperature, ...(c.topK > 0 ? { topK: c.topK } : {}), seed: c.seed + 1000 * i },
      kept, finishReason: x.sample.finishReason,
    };
  });
  const w = o.store.samples(stage);
  w.write(records);
  w.commit();
  const correct = scored.filter((x) => x.verdict.correct).length;
  return { sampled: records.length, correct, kept: records.filter((r) => r.kept).length, solved: keptPer.size, pass1Sampled: correct / Math.max(records.length, 1) };
}

/** Fine-tunes the base model on the kept solutions, keeping the weights with the best validation pass@1. */
async function mStep(model: Transformer, examples: TokenExample[], validation: readonly Problem[], o: RestEmOptions, c: RestEmConfig, s: SampleSettings, i: number) {
  if (examples.length === 0) return { model, steps: 0, bestStep: 0, best: null };
  const batch = c.mStep.batchSize ?? 16;
  const steps = Math.min(c.mStepMaxSteps, Math.max(1, Math.ceil((c.mStepEpochs * examples.length) / batch)));
  let best: number | null = null, bestStep = 0, bestWeights = model, stale = 0, ran = 0;
  await trainSft({
    model, tokenizer: o.tokenizer, train: examples, quiet: o.quiet,
    config: { warmupSteps: Math.min(20, Math.ceil(steps / 10)), ...c.mStep, batchSize: batch, steps, seed: c.seed + i, evalEvery: 0, saveEvery: 0 },
    afterStep: async (step) => {
      ran = step;
      if (step % c.mStepEvalEvery !== 0 && step !== steps) return;
      const r = await sampleAndVerify(model, o.tokenizer, validation, o.task.verifier, 1, { ...s, temperature: 0 });
      const score = r.filter((x) => x.verdict.correct).length / Math.max(r.length, 1);
      if (best === null || score > best) { best = score; bestStep = step; bestWeights = model.clone(); stale = 0; } else stale++;
      return c.mStepPatience > 0 && stale >= c.mStepPatience ? 'stop' : undefined;
    },
  });
  return { model: bestWeights, steps: ran, bestStep, best };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
