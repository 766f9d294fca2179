// How ReST policies are measured: greedy decoding scored by the training reward (the number the
// Improve filter optimises, and the validation signal that picks checkpoints), the task's own
// verifier (exact match — what a proxy reward can drift away from), an optional monitor reward,
// the answer length (the first symptom of a reward that longer outputs game), and Best-of-N.
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Verifier } from '../../rewards/verifier.js';
import type { Problem } from '../../data/tasks/task.js';
import { bestOfNGroups } from '../../rewards/best-of-n.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { firstLine } from './rewards.js';
import { sampleAndVerify, type SampleSettings, type ScoredSample } from '../trainer/task-eval.js';

export interface PolicyScores {
  /** Mean raw reward of the outputs. */
  reward: number;
  /** Share the task's verifier accepts (exact match for g2p). */
  exact: number;
  /** Mean monitor reward, when one is given (e.g. 1 − PER while training on a proxy). */
  monitor: number | null;
  /** Mean whitespace tokens in the answer line (phonemes for g2p). */
  length: number;
  problems: number;
}

export interface EvalSpec {
  tokenizer: Tokenizer;
  verifier: Verifier;
  reward: RewardFn;
  monitor?: RewardFn | null;
  /** Temperature and seed are used by Best-of-N; greedy decoding ignores them. */
  sampling: SampleSettings;
}

/** Calls a RewardFn on verified samples, keeping its notes; a sample it could not score (an LLM judge's failure) is NaN and marked in `unscored`. */
export async function rewardSamples(reward: RewardFn, scored: readonly ScoredSample[]): Promise<{ rewards: number[]; notes: unknown[]; unscored: boolean[] }> {
  const notes: unknown[] = new Array(scored.length);
  const unscored = new Array<boolean>(scored.length).fill(false);
  const rewards = await reward(scored.map((s) => s.problem.prompt), scored.map((s) => s.text), {
    promptIds: scored.map((s) => s.problem.id), completionTokens: scored.map((s) => s.sample.tokens),
    finishReasons: scored.map((s) => s.sample.finishReason), notes, unscored,
  });
  return { rewards, notes, unscored };
}

/** The mean of the scored values: an unscored (NaN) reward is left out of a policy's measure, not counted as 0. */
const mean = (xs: readonly number[]) => {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : 0;
};
const answerLength = (text: string) => firstLine(text).split(/\s+/).filter(Boolean).length;

async function summarise(chosen: readonly ScoredSample[], rewards: readonly number[], spec: EvalSpec): Promise<PolicyScores> {
  const monitor = spec.monitor ? mean((await rewardSamples(spec.monitor, chosen)).rewards) : null;
  return {
    reward: mean(rewards), exact: mean(chosen.map((s) => (s.verdict.correct ? 1 : 0))), monitor,
    length: mean(chosen.map((s) => answerLength(s.text))), problems: chosen.length,
  };
}

/** Greedy decoding, one output per problem. */
export async function evaluatePolicy(model: Transformer, problems: readonly Problem[], spec: EvalSpec): Promise<PolicyScores> {
  const scored = await sampleAndVerify(model, spec.tokenizer, problems, spec.verifier, 1, { ...spec.sampling, temperature: 0 });
  return summarise(scored, (await rewardSamples(spec.reward, scored)).rewards, spec);
}

/**
 * Best-of-N: n samples per problem at the sampling temperature, the one the reward ranks highest
 * answers (ties: the more likely sample). With a reference-based reward this is an oracle bound.
 */
export async function evaluateBestOfN(model: Transformer, problems: readonly Problem[], spec: EvalSpec, n: number): Promise<PolicyScores> {
  const scored = await sampleAndVerify(model, spec.tokenizer, problems, spec.verifier, n, spec.sampling);
  const { rewards } = await rewardSamples(spec.reward, scored);
  const logp = scored.map((s) => s.sample.logprobs.reduce((a, b) => a + b, 0));
  const pick = bestOfNGroups(rewards, n, logp);
  return summarise(pick.map((i) => scored[i]!), pick.map((i) => rewards[i]!), spec);
}
