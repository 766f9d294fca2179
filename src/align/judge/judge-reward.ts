// An LLM judge (score mode) as a RewardFn: the reward of a completion is the judge's score mapped
// to [0, 1], (s − min)/(max − min), so ReST's thresholds and the online trainers read it like a
// verifier's. A completion whose answers never parsed gets NaN and is marked in meta.unscored:
// the caller leaves it out (README, "Judges", says what each trainer does); a caller that cannot
// leave samples out gets an error, never a stand-in score.
import type { LlmJudge } from '../../rewards/judge/index.js';
import { checkRewardInputs, type RewardFn } from '../trainer/reward-fn.js';

/** `reference(promptId)`: the reference (or answer) of the row the prompt came from, for templates with {reference}. */
export function judgeReward(judge: LlmJudge, reference: (promptId: string) => string | undefined = () => undefined): RewardFn {
  if (judge.template.mode !== 'score') throw new Error(`--judge-mode ${judge.template.mode}: a judge used as a reward must score (--judge-mode score); pair judges label preference pairs`);
  const { min, max } = judge.options;
  return async (prompts, completions, meta) => {
    checkRewardInputs('judgeReward', prompts, completions, meta);
    const scores = await judge.score(completions.map((c, i) => ({ prompt: prompts[i]!, completion: c, reference: reference(meta.promptIds[i]!) })));
    return scores.map((s, i) => {
      if (meta.notes) meta.notes[i] = { judge: s };
      if (s !== null) return (s - min) / (max - min);
      if (!meta.unscored) throw new Error(`judge: no answer to completion ${i} parsed after ${judge.options.retries + 1} asks (recorded in ${judge.options.failuresFile}), and this caller cannot leave a sample out`);
      meta.unscored[i] = true;
      return NaN;
    });
  };
}
