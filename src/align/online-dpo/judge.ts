// Who decides which completion of a pair is better, each step of online DPO: a reward (a reward
// model, a verifier, or both: the higher score wins, a tie goes to the first, as TRL), or a
// pairwise judge — any function that reads the prompt and both completions and names the better
// one (a rule, a person's script) loaded from a JS module, or an LLM judge behind an
// OpenAI-compatible endpoint (align/judge/; README, "Judges"). A judge may leave a pair undecided
// (null): that prompt's pair is left out of the step.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RewardFn } from '../trainer/reward-fn.js';

/** For each prompt, the index (0 or 1) of the better of its two completions, or null when undecided. */
export type PairJudge = (prompts: string[], pairs: [string, string][]) => Promise<(number | null)[]> | (number | null)[];

export type PairLabeller = { kind: 'reward'; reward: RewardFn } | { kind: 'judge'; judge: PairJudge; name: string };

/** Checks a judge's answer: one 0, 1 or null (undecided) per pair. */
export function checkVerdicts(owner: string, v: unknown, n: number): (0 | 1 | null)[] {
  if (!Array.isArray(v) || v.length !== n) throw new RangeError(`${owner}: the judge returned ${Array.isArray(v) ? `${v.length} values` : typeof v}, expected an array of ${n} indices (0 or 1)`);
  v.forEach((x, i) => { if (x !== 0 && x !== 1 && x !== null) throw new RangeError(`${owner}: verdict ${i} is ${String(x)}, expected 0 (the first completion is better), 1, or null (undecided: the pair is left out)`); });
  return v as (0 | 1 | null)[];
}

/**
 * A judge from a module exporting `judge(prompt, a, b)` (→ 0 or 1, sync or async) or
 * `judgePairs(prompts, pairs)` (→ an array): the first for simple rules, the second for judges that
 * batch their calls.
 */
export async function loadJudgeModule(file: string): Promise<PairJudge> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(resolve(file)).href) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`--judge ${file}: cannot load it (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof mod['judgePairs'] === 'function') return mod['judgePairs'] as PairJudge;
  const one = mod['judge'];
  if (typeof one !== 'function') throw new Error(`--judge ${file}: exports neither judge(prompt, a, b) nor judgePairs(prompts, pairs)`);
  return async (prompts, pairs) => Promise.all(pairs.map(([a, b], i) => (one as (p: string, a: string, b: string) => unknown)(prompts[i]!, a, b))) as Promise<number[]>;
}

/** Scores of pairs laid out (2i, 2i + 1): whether each pair's first completion wins; a tie goes to it, as TRL. */
export function pairWinners(scores: readonly number[]): boolean[] {
  if (scores.length % 2 !== 0) throw new RangeError(`pairWinners: ${scores.length} scores do not make pairs`);
  return Array.from({ length: scores.length / 2 }, (_, i) => scores[2 * i]! >= scores[2 * i + 1]!);
}
