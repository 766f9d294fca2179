// Evaluating a policy on verifiable problems: greedy pass@1, and from k samples at a temperature
// the unbiased pass@k (Chen et al. 2021) and majority-vote accuracy maj@k (Wang et al. 2023,
// self-consistency), as ReST-EM reports them.
import { generate, type Sample, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Verdict, Verifier } from '../../rewards/verifier.js';
import type { Problem } from '../../data/tasks/task.js';
import { majorityVote, passAtK } from '../../rewards/pass-at-k.js';
import type { Generator } from './generator/generator.js';

export interface SampleSettings {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  /** Sequences decoded together. */
  batchSize: number;
  /**
   * Where the samples come from: default this process (generate). A remote generator serves the
   * policy last pushed to it, so give it only where that policy is the one sampled from.
   */
  generator?: Generator;
}

export interface ScoredSample { problem: Problem; sample: Sample; text: string; verdict: Verdict }

/** One completion of prompt `promptIndex`, decoded without specials. */
export interface Completion { promptIndex: number; sample: Sample; text: string }

/**
 * n completions per prompt, prompt-major (completion j of prompt i at i·n + j); temperature 0
 * decodes greedily. A prompt marked in `chat` is a chat-template render, whose control tokens are
 * parsed as such; other prompts are plain text.
 */
export function sampleCompletions(model: Transformer, tok: Tokenizer, prompts: readonly string[], n: number, s: SampleSettings, chat: readonly boolean[] = []): Completion[] {
  const samples = generate(model, prompts.map((p, i) => tok.encode(p, { parseSpecial: chat[i] === true })), {
    maxNewTokens: s.maxNewTokens, temperature: s.temperature, topK: s.topK, n, seed: s.seed, batchSize: s.batchSize,
    stopTokens: tok.eos !== null ? [tok.eos] : [],
  });
  return samples.map((sample) => ({ promptIndex: sample.promptIndex, sample, text: tok.decode(sample.tokens, { skipSpecial: true }) }));
}

/** sampleCompletions from s.generator (this process when none is given). */
export async function drawCompletions(model: Transformer, tok: Tokenizer, prompts: readonly string[], n: number, s: SampleSettings, chat: readonly boolean[] = []): Promise<Completion[]> {
  if (!s.generator) return sampleCompletions(model, tok, prompts, n, s, chat);
  const samples = await s.generator.sample(model, tok, prompts.map((p, i) => tok.encode(p, { parseSpecial: chat[i] === true })), n, s);
  return samples.map((sample) => ({ promptIndex: sample.promptIndex, sample, text: sample.text ?? tok.decode(sample.tokens, { skipSpecial: true }) }));
}

/** Samples n completions per problem and verifies each (verifiers may be asynchronous). */
export async function sampleAndVerify(model: Transformer, tok: Tokenizer, problems: readonly Problem[], verifier: Verifier,
  n: number, s: SampleSettings): Promise<ScoredSample[]> {
  const done = await drawCompletions(model, tok, problems.map((p) => p.prompt), n, s);
  return Promise.all(done.map(async ({ promptIndex, sample, text }) => {
    const problem = problems[promptIndex]!;
    return { problem, sample, text, verdict: await verifier.verify(problem, text) };
  }));
}

export interface TaskScores {
  /** Greedy decoding, one sample per problem. */
  pass1: number;
  /** Unbiased pass@k from k samples per problem at the sampling temperature. */
  passAtK: number;
  /** Majority vote over the k samples' extracted answers. */
  majAtK: number;
  k: number;
  problems: number;
}

/**
 * Greedy pass@1, plus pass@k estimated from n ≥ k samples per problem and maj@k from the first
 * k of them (k = 0 skips sampling).
 */
export async function evaluateTask(model: Transformer, tok: Tokenizer, problems: readonly Problem[], verifier: Verifier,
  k: number, n: number, s: SampleSettings): Promise<TaskScores> {
  if (k > n) throw new RangeError(`evaluateTask: pass@${k} needs at least k samples per problem, got n = ${n}`);
  const greedy = await sampleAndVerify(model, tok, problems, verifier, 1, { ...s, temperature: 0 });
  const sampled = k > 0 ? await sampleAndVerify(model, tok, problems, verifier, n, s) : [];
  return scoreTask(problems, greedy, sampled, k, n);
}

/**
 * The scores of evaluateTask from its samples: `greedy` one per problem, `sampled` n per problem,
 * problem-major (sampleAndVerify's order). Empty `sampled` (k = 0) leaves pass@k and maj@k at 0.
 */
export function scoreTask(problems: readonly Problem[], greedy: readonly ScoredSample[], sampled: readonly ScoredSample[], k: number, n: number): TaskScores {
  const pass1 = greedy.filter((g) => g.verdict.correct).length / Math.max(problems.length, 1);
  let pk = 0, maj = 0;
  if (k > 0) {
    problems.forEach((p, i) => {
      const mine = sampled.slice(i * n, (i + 1) * n);
      pk += passAtK(n, mine.filter((m) => m.verdict.correct).length, k);
      const vote = majorityVote(mine.slice(0, k).map((m) => m.verdict.extracted ?? null));
      if (vote !== null && p.answer !== undefined && vote === String(p.answer)) maj++;
    });
  }
  const count = Math.max(problems.length, 1);
  return { pass1, passAtK: pk / count, majAtK: maj / count, k, problems: problems.length };
}
