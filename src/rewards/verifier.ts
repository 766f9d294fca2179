// The contract between a verifier and a trainer. ReST-EM (Singh et al. 2023, "Beyond Human Data")
// needs only a binary verifier: sample N completions per problem, keep those it accepts,
// fine-tune, repeat. ReST (Gulcehre et al. 2023) and GRPO want a graded reward; both read the
// same Verdict, so one verifier serves every trainer.

/** What a verifier says about one completion. */
export interface Verdict {
  correct: boolean;
  /** 1 or 0 for a binary verifier; a graded one (e.g. 1 − phoneme error rate) may use [0, 1]. */
  reward: number;
  /** The answer read out of the completion (null when none could be read), for majority voting. */
  extracted?: string | null;
  /** Why, for a person inspecting the grown data: "no '#### <number>' line", "expected 31". */
  detail?: string;
}

/**
 * What a verifier may read of a problem. Tasks (data/tasks/task.ts) add a worked reference and
 * group problems into train and test; a verifier needs only these fields.
 */
export interface VerifiedProblem {
  /** Stable across runs, so grown samples and eval results can be joined back to the problem. */
  id: string;
  /** The text the model continues; `prompt + completion` is what it sees. */
  prompt: string;
  /** The gold final answer, when the task has one (a program task may have tests instead). */
  answer?: string;
  /** Test cases for a program task (typically string[]); their shape is the verifier's business. */
  tests?: unknown;
  meta?: Record<string, unknown>;
}

export interface Verifier {
  name: string;
  verify(problem: VerifiedProblem, completion: string): Verdict | Promise<Verdict>;
}

/** A 1/0 verdict; the common case. */
export function binaryVerdict(correct: boolean, extracted?: string | null, detail?: string): Verdict {
  const v: Verdict = { correct, reward: correct ? 1 : 0 };
  if (extracted !== undefined) v.extracted = extracted;
  if (detail !== undefined) v.detail = detail;
  return v;
}
