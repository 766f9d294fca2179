// state.json: the stages a run has completed, in order, with what each returned. It is the commit
// record of the run: a stage counts as done exactly when it is listed here, and the file is only
// ever replaced whole (writeJsonAtomic), so a kill leaves the old list or the new one.
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../io/checkpoint.js';
import { RunStoreError, STATE_FILE, checkStageName } from './run-layout.js';

export const STATE_VERSION = 1;

export interface CompletedStage {
  stage: string;
  /** What the stage returned to `completeStage` (null when nothing), e.g. `{ passAt1: 0.42 }`. */
  result: unknown;
  /** ISO time of completion. */
  at: string;
}

export interface RunState {
  /** Format of this file; bumped when its shape changes so that old runs are read correctly. */
  version: number;
  completed: CompletedStage[];
}

export function readRunState(dir: string): RunState {
  const file = join(dir, STATE_FILE);
  const v = readJson(file, 'run state') as Partial<RunState> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RunStoreError(file, 'expected an object {version, completed}');
  if (v.version !== STATE_VERSION) {
    throw new RunStoreError(file, `field "version" is ${JSON.stringify(v.version)}, this alignkit reads version ${STATE_VERSION}`);
  }
  if (!Array.isArray(v.completed)) throw new RunStoreError(file, 'field "completed" must be an array of {stage, result, at}');
  const seen = new Set<string>();
  v.completed.forEach((c: Partial<CompletedStage>, i) => {
    const where = `completed[${i}]`;
    if (typeof c !== 'object' || c === null || typeof c.stage !== 'string' || typeof c.at !== 'string') {
      throw new RunStoreError(file, `${where} must be {stage: string, result, at: string}, got ${JSON.stringify(c)}`);
    }
    checkStageName(c.stage, `${file}: ${where}`);
    if (seen.has(c.stage)) throw new RunStoreError(file, `${where}: stage "${c.stage}" is listed twice`);
    seen.add(c.stage);
  });
  return { version: v.version, completed: v.completed as CompletedStage[] };
}

export function writeRunState(dir: string, state: RunState): void {
  writeJsonAtomic(join(dir, STATE_FILE), state);
}
