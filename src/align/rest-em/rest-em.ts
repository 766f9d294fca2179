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
import type { RunStore, SampleRecord, StageScope } from '../../runs/run-store.js';
import { trainSft } from '../sft/sft.js';
import { resolveRestEmConfig, type RestEmConfig } from './config.js';
import { evaluateTask, sampleAndVerify, type SampleSettings, type TaskScores } from '../trainer/task-eval.js';
import { localGenerator, type Generator } from '../trainer/generator/generator.js';

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
  /**
   * Where the E-step and each policy's evaluation sample (default this process). A remote one is
   * pushed each iteration's checkpoint before it samples from it — after each M-step; the
   * M-step's own validation decodes here, on the weights it is training.
   */
  generator?: Generator;
}

/** The run store's checkpoint of iteration i's policy (0: the starting policy). */
export const restEmPolicyName = (i: number): string => `iter${i}`;
const policyName = restEmPolicyName;

interface MStepResult { steps: number; bestStep: number; bestValidation: number | null }

/** What every stage of one run reads: the resolved settings, the split of task.train, the store. */
interface RestEmRun {
  o: RestEmOptions;
  c: RestEmConfig;
  sampling: SampleSettings;
  validation: Problem[];
  eProblems: Problem[];
  trainEval: Problem[];
  log: (line: string) => void;
  generator: Generator;
}

function openRun(o: RestEmOptions): RestEmRun {
  const c = resolveRestEmConfig(o.config ?? {});
  const { store, tokenizer: tok, task } = o;
  const nVal = Math.min(c.validationProblems, Math.floor(task.train.length / 4));
  const eProblems = task.train.slice(0, task.train.length - nVal);
  if (!store.hasCheckpoint('base')) store.saveCheckpoint('base', (d) => saveModelDir(d, o.base, { tokenizer: tok }));
  if (!store.hasCheckpoint(policyName(0))) store.saveCheckpoint(policyName(0), (d) => saveModelDir(d, o.policy0, { tokenizer: tok }));
  return {
    o, c, validation: task.train.slice(task.train.length - nVal), eProblems, trainEval: eProblems.slice(0, c.trainEvalProblems), log: o.log ?? (() => {}),
    generator: o.generator ?? localGenerator,
    sampling: { maxNewTokens: c.maxNewTokens, temperature: c.temperature, topK: c.topK, seed: c.seed, batchSize: c.batchSize },
  };
}

const load = (run: RestEmRun, name: string): Transformer => loadModelDir(run.o.store.checkpointPath(name), { tokenizer: false }).model;

/** Checkpoint `name` loaded, served by the generator from its checkpoint directory, and the settings that sample from there. */
async function serve(run: RestEmRun, name: string): Promise<{ model: Transformer; sampling: SampleSettings }> {
  const model = load(run, name);
  await run.generator.push(model, run.o.tokenizer, name, run.o.store.checkpointPath(name));
  return { model, sampling: { ...run.sampling, generator: run.generator } };
}

/** Greedy and sampled test scores of iteration i's policy, and its sampled pass@1 on training problems. */
function evaluate(run: RestEmRun, i: number, data: Pick<RestEmRow, 'kept' | 'solved' | 'mSteps' | 'bestStep'>): Promise<RestEmRow> {
  const { o, c } = run;
  return o.store.stage(`${policyName(i)}/eval`, async (s) => {
    const { model, sampling } = await serve(run, policyName(i));
    const test = await evaluateTask(model, o.tokenizer, o.task.test, o.task.verifier, c.evalK, c.evalN, { ...sampling, seed: c.seed + 1000 * i + 1 });
    const tr = await sampleAndVerify(model, o.tokenizer, run.trainEval, o.task.verifier, 1, { ...sampling, seed: c.seed + 1000 * i + 2 });
    const row: RestEmRow = {
      iteration: i, train_pass1: tr.filter((x) => x.verdict.correct).length / Math.max(tr.length, 1),
      ...rowScores(test), ...data,
    };
    s.log({ ...row });
    run.log(`iteration ${i}: test pass@1 ${pct(row.test_pass1)}, pass@${row.k} ${pct(row.pass_at_k)}, maj@${row.k} ${pct(row.maj_at_k)}, train pass@1 ${pct(row.train_pass1)}`);
    return row;
  });
}

/** The M-step of iteration i: the base model fine-tuned on what the E-step kept, saved as iteration i's policy. */
function mStepStage(run: RestEmRun, i: number, eStage: string): Promise<MStepResult> {
  const { o } = run;
  return o.store.stage(`${policyName(i)}/m-step`, async (s) => {
    const kept = o.store.readSamples(eStage).filter((r) => r.kept === true);
    const examples = kept.map((r) => completionExample(r.prompt, r.sample, o.tokenizer, o.base.config.maxSeqLen - 1));
    // With nothing kept there is nothing to learn from: the previous policy carries over.
    const res = examples.length ? await mStep(load(run, 'base'), examples, run, i)
      : { model: load(run, policyName(i - 1)), steps: 0, bestStep: 0, best: null };
    o.store.saveCheckpoint(policyName(i), (d) => saveModelDir(d, res.model, { tokenizer: o.tokenizer }));
    const result: MStepResult = { steps: res.steps, bestStep: res.bestStep, bestValidation: res.best };
    s.log({ ...result });
    run.log(`iteration ${i} M-step: ${res.steps} steps from the base model on ${examples.length} solutions, best validation pass@1 ${res.best === null ? '—' : pct(res.best)} at step ${res.bestStep}`);
    return result;
  });
}

export async function runRestEm(o: RestEmOptions): Promise<RestEmRow[]> {
  const run = openRun(o);
  const rows: RestEmRow[] = [await evaluate(run, 0, { kept: null, solved: null })];
  for (let i = 1; i <= run.c.iterations; i++) {
    const eStage = `${policyName(i)}/e-step`;
    const eStats = await o.store.stage(eStage, async (s) => {
      const stats = await eStep(await serve(run, policyName(i - 1)), i, run, s);
      run.log(`iteration ${i} E-step: kept ${stats.kept} of ${stats.sampled} samples, ${stats.solved}/${run.eProblems.length} problems solved`);
      return stats;
    });
    const m = await mStepStage(run, i, eStage);
    rows.push(await evaluate(run, i, { kept: eStats.kept, solved: eStats.solved, mSteps: m.steps, bestStep: m.bestStep }));
  }
  return rows;
}

function rowScores(t: TaskScores): Pick<RestEmRow, 'test_pass1' | 'pass_at_k' | 'maj_at_k' | 'k'> {
  return { test_pass1: t.pass1, pass_at_k: t.passAtK, maj_at_k: t.majAtK, k: t.k };
}

/** Samples N solutions per E-step problem and keeps the verified ones, at most `cap` per problem. */
async function eStep({ model: policy, sampling: s }: { model: Transformer; sampling: SampleSettings }, i: number, run: RestEmRun, scope: StageScope) {
  const { o, c, eProblems: problems } = run;
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
  const w = scope.samples();
  w.write(records);
  w.commit();
  const correct = scored.filter((x) => x.verdict.correct).length;
  return { sampled: records.length, correct, kept: records.filter((r) => r.kept).length, solved: keptPer.size, pass1Sampled: correct / Math.max(records.length, 1) };
}

/** Fine-tunes the base model on the kept solutions, keeping the weights with the best validation pass@1. */
async function mStep(model: Transformer, examples: TokenExample[], run: RestEmRun, i: number) {
  const { o, c, sampling: s, validation } = run;
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
