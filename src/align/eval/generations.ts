// The two modes of `alignkit eval` that generate (job.ts): a policy's greedy and sampled
// completions of a task's problems, graded by the task's verifier (pass@1, pass@k, maj@k, mean
// reward), or of held-out prompts; either scored by a reward model when one is given. Every
// completion goes to <out>/generations.jsonl with its verdict and score, so a person can read
// what a figure counts (reward hacking is found by looking at the samples).
import { join } from 'node:path';
import { writeJsonAtomic } from '../../io/checkpoint.js';
import { writeJsonl } from '../../io/jsonl.js';
import { describeTask, loadTaskInput } from '../../data/tasks/task-input.js';
import type { Problem } from '../../data/tasks/task.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Verifier } from '../../rewards/verifier.js';
import { scoreTexts } from '../reward/reward-model.js';
import { loadRewardModel } from '../reward/reward-fn-model.js';
import { readPrompts } from '../rollout/job-inputs.js';
import { loadWithTokenizer } from '../trainer/inputs.js';
import { drawCompletions, sampleAndVerify, scoreTask, type SampleSettings, type ScoredSample } from '../trainer/task-eval.js';
import { openGenerator } from '../trainer/generator/options.js';
import type { EvalJobOptions } from './job.js';

export interface GenerationScores {
  mode: 'task' | 'reward-model';
  model: string;
  /** The task, or the prompt file. */
  source: string;
  /** Problems (or prompts) evaluated. */
  problems: number;
  k: number;
  n: number;
  /** Greedy pass@1, unbiased pass@k of n samples, maj@k of k of them: null without a task (or, for the last two, with k = 0). */
  pass1: number | null;
  passAtK: number | null;
  majAtK: number | null;
  /** The verifier's mean reward of the greedy completions, and of the samples. */
  meanReward: number | null;
  meanSampledReward: number | null;
  /** The reward model's mean score of the greedy completions, and of the samples (null without --reward-model). */
  rmScore: number | null;
  rmSampledScore: number | null;
  /** Where every completion and these figures were written. */
  generations: string;
  scores: string;
}

interface Scored { promptId: string; prompt: string; text: string; kind: 'greedy' | 'sample'; finishReason: string; verdict?: ScoredSample['verdict'] }

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** The policy's completions of the problems, greedy and then n samples each, graded by `verifier` when there is one. */
async function complete(model: Transformer, tok: Tokenizer, problems: readonly Problem[], s: SampleSettings, n: number, verifier: Verifier | null) {
  const run = async (count: number, settings: SampleSettings, kind: Scored['kind']): Promise<{ scored: ScoredSample[]; rows: Scored[] }> => {
    const scored = verifier ? await sampleAndVerify(model, tok, problems, verifier, count, settings)
      : (await drawCompletions(model, tok, problems.map((p) => p.prompt), count, settings, problems.map((p) => p.meta?.['chat'] === true)))
        .map((c) => ({ problem: problems[c.promptIndex]!, sample: c.sample, text: c.text, verdict: { correct: false, reward: 0 } }));
    const rows = scored.map((x) => ({
      promptId: x.problem.id, prompt: x.problem.prompt, text: x.text, kind, finishReason: x.sample.finishReason, ...(verifier ? { verdict: x.verdict } : {}),
    }));
    return { scored, rows };
  };
  const greedy = await run(1, { ...s, temperature: 0 }, 'greedy');
  const sampled = n > 0 ? await run(n, s, 'sample') : { scored: [], rows: [] };
  return { greedy, sampled };
}

/** `alignkit eval --task` or `--reward-model --prompts`: the figures, with every completion written beside them. */
export async function evaluateGenerations(o: EvalJobOptions, log: (s: string) => void): Promise<GenerationScores> {
  const { model, tokenizer } = loadWithTokenizer(o.model, 'model');
  const rm = o.rewardModel ? loadRewardModel(o.rewardModel, { batchSize: o.batchSize }) : null;
  const task = o.task ? await loadTaskInput({ task: o.task, taskOpts: o.taskOpts, matcher: o.matcher, verifier: o.verifier, testData: o.testData, seed: o.seed }) : null;
  let problems: Problem[];
  if (task) {
    log(describeTask(task));
    problems = (o.split === 'test' ? task.test : task.train).slice(0, o.limit ?? Infinity);
    if (problems.length === 0) throw new Error(`--task ${o.task}: no ${o.split} problems to evaluate${o.split === 'test' ? ' (give --test-data, or --split train)' : ''}`);
  } else {
    problems = (await readPrompts(o.prompts!, tokenizer, o.chatTemplateKwargs)).slice(0, o.limit ?? Infinity).map((p) => ({ id: p.id, prompt: p.text, meta: { chat: p.chat === true } }));
  }
  // Without a task there is no pass@k, but the reward model may still score n samples a prompt.
  const n = task && o.k === 0 ? 0 : o.n ?? 2 * o.k;
  // With --generator the servers complete the prompts with whatever they serve (nothing is pushed):
  // start them on --model. --model still gives the tokenizer, and the log-probabilities.
  const generator = o.generator ? { generator: openGenerator(o, o.out, log) } : {};
  const settings: SampleSettings = { maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, seed: o.seed, batchSize: o.batchSize, ...generator };
  const { greedy, sampled } = await complete(model, tokenizer, problems, settings, n, task?.verifier ?? null);
  const scores = task ? scoreTask(problems, greedy.scored, sampled.scored, o.k, n) : null;
  const rmOf = (rows: readonly Scored[]) => (rm && rows.length ? scoreTexts(rm.model, rm.tokenizer, rows.map((r) => r.prompt), rows.map((r) => r.text), { batchSize: o.batchSize }) : []);
  const rmGreedy = rmOf(greedy.rows), rmSampled = rmOf(sampled.rows);
  const generations = join(o.out, 'generations.jsonl'), scoresFile = join(o.out, 'scores.json');
  const result: GenerationScores = {
    mode: task ? 'task' : 'reward-model', model: o.model, source: o.task ?? o.prompts!, problems: problems.length, k: task ? o.k : 0, n,
    pass1: scores?.pass1 ?? null, passAtK: scores && o.k > 0 ? scores.passAtK : null, majAtK: scores && o.k > 0 ? scores.majAtK : null,
    meanReward: task ? mean(greedy.scored.map((x) => x.verdict.reward)) : null, meanSampledReward: task ? mean(sampled.scored.map((x) => x.verdict.reward)) : null,
    rmScore: rm ? mean(rmGreedy) : null, rmSampledScore: rm ? mean(rmSampled) : null, generations, scores: scoresFile,
  };
  writeJsonl(generations, [...greedy.rows.map((r, i) => ({ ...r, ...(rm ? { rmScore: rmGreedy[i] } : {}) })), ...sampled.rows.map((r, i) => ({ ...r, ...(rm ? { rmScore: rmSampled[i] } : {}) }))]);
  writeJsonAtomic(scoresFile, result);
  return result;
}
