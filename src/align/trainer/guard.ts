// Training stops at the first NaN or infinite loss or gradient (issue 16): an update from such a
// gradient turns every weight it touches into NaN, and a run that goes on trains nothing while
// its checkpoints fill with the damage. Every trainer's loop (sft, trainInBlocks for reward and
// DPO, runBlocks for PPO/GRPO/RLOO, ReST's Improve step) runs each step through guardedStep. The
// gradient is caught where every trainer clips it (nn/clip.ts), before the update; the step's
// losses are checked here. The error ends the stage in progress, so its checkpoint is never
// written and the run store keeps the last completed stage's: the last good one.
import { NonFiniteGradientError } from '../../nn/index.js';

export class TrainingDivergedError extends Error {
  constructor(readonly step: number, message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }
}

export interface StepGuard {
  /** The trainer, for the message: 'sft', 'dpo', 'ppo', … */
  who: string;
  /** The step running (1-based, as logged). */
  step: number;
  /** The checkpoint a resume would continue from, or null when this run has none yet. */
  lastGood: string | null;
}

const LOSS_KEY = /(^l|L)oss$/;

/** The numbers of a log whose key is a loss (loss, policyLoss, valueLoss, evalLoss, …). */
export function lossesOf(log: object): Record<string, number> {
  return Object.fromEntries(Object.entries(log).filter((e): e is [string, number] => LOSS_KEY.test(e[0]) && typeof e[1] === 'number'));
}

function diverged(g: StepGuard, what: string): TrainingDivergedError {
  const keep = g.lastGood ? `the last good checkpoint, ${g.lastGood}, is kept` : 'no checkpoint of this run was written yet';
  return new TrainingDivergedError(g.step, `${g.who}: training diverged at step ${g.step}: ${what}. The run stops here and ${keep}; `
    + 'a lower --lr, or a look at the data, may avoid it');
}

/**
 * Runs one step; a non-finite gradient (thrown by clipGradNorm) or a non-finite loss among
 * `losses(out)` becomes a TrainingDivergedError naming the step, and the parameter or the loss.
 */
export async function guardedStep<T>(g: StepGuard, run: () => T | Promise<T>, losses: (out: T) => Record<string, number | undefined>): Promise<T> {
  let out: T;
  try {
    out = await run();
  } catch (err) {
    if (err instanceof NonFiniteGradientError) throw diverged(g, err.message);
    throw err;
  }
  for (const [k, v] of Object.entries(losses(out))) {
    if (v !== undefined && !Number.isFinite(v)) throw diverged(g, `${k} is ${v}`);
  }
  return out;
}
