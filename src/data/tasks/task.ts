// What a task is: problems with answers (and, for the human-data baseline, worked references)
// split into train and test, and the verifier that grades completions for them. ReST-EM, ReST,
// GRPO and evaluation all read this shape; the verifier contract itself is rewards/verifier.ts.
import type { VerifiedProblem, Verifier } from '../../rewards/verifier.js';

/** One problem. `prompt + completion` is the text the model sees. */
export interface Problem extends VerifiedProblem {
  /**
   * Built-in tasks end the prompt with "\n" so that `prompt + reference` is exactly a training
   * text; a user task's prompt is used as written.
   */
  prompt: string;
  /**
   * A worked solution written as a human annotator would: the SFT data and the human-data
   * baseline that ReST-EM is compared against (the paper's "fine-tuned on human data" row).
   */
  reference?: string;
}

/** Problems and the verifier that judges completions for them; train and test never overlap. */
export interface Task {
  name: string;
  verifier: Verifier;
  train: Problem[];
  test: Problem[];
  /** One line on where the problems come from, for run logs. */
  description?: string;
}
