// Which of two completions an LLM judge prefers, in either mode: a pair judge is asked directly;
// a score judge scores both, and the higher wins. Undecided (null): an answer that never parsed
// (recorded in the run's judge-failures.jsonl), or, with ties 'drop', equal scores.
import type { LlmJudge, PairItem } from '../../rewards/judge/index.js';

export type Verdict = 0 | 1 | null;

/** `ties`: 'first' gives a tie to the first completion (TRL's online DPO rule); 'drop' leaves it undecided. */
export async function orderPairs(judge: LlmJudge, items: readonly PairItem[], ties: 'first' | 'drop'): Promise<Verdict[]> {
  if (judge.template.mode === 'pair') return judge.pair(items);
  const s = await judge.score(items.flatMap((x) => [{ prompt: x.prompt, completion: x.a, reference: x.reference }, { prompt: x.prompt, completion: x.b, reference: x.reference }]));
  return items.map((_, i) => {
    const a = s[2 * i], b = s[2 * i + 1];
    if (a === null || a === undefined || b === null || b === undefined) return null;
    if (a === b) return ties === 'first' ? 0 : null;
    return a > b ? 0 : 1;
  });
}

/** An LLM judge as online DPO's pairwise judge (prompts[i] with pairs[i]). */
export function llmPairJudge(judge: LlmJudge): (prompts: string[], pairs: [string, string][]) => Promise<Verdict[]> {
  return (prompts, pairs) => orderPairs(judge, pairs.map(([a, b], i) => ({ prompt: prompts[i]!, a, b })), 'first');
}
