// The 'program' task: the built-in JavaScript problems (programs.ts) graded by the sandboxed
// program verifier (rewards/sandbox/program-verifier.ts), split by a hash of each problem's id.
import { createProgramVerifier } from '../../../rewards/sandbox/program-verifier.js';
import { programSplit, PROGRAM_TEST_FRACTION } from './programs.js';
import { readOptions, type OptionSpecs } from '../task-options.js';
import type { Task } from '../task.js';

export interface ProgramTaskOptions {
  /** Share of problems held out, by a hash of the id. */
  testFraction: number;
  /** Per-completion sandbox budget in ms. */
  timeoutMs: number;
  /** Per-completion V8 heap in MB. */
  memoryMb: number;
}

const OPTION_SPECS: OptionSpecs<ProgramTaskOptions> = {
  testFraction: { kind: 'number', default: PROGRAM_TEST_FRACTION, min: 0, max: 0.9 },
  timeoutMs: { kind: 'integer', default: 2000, min: 50, max: 60_000 },
  memoryMb: { kind: 'integer', default: 64, min: 16, max: 4096 },
};

export function programTask(opts: Partial<ProgramTaskOptions> = {}): Task {
  const o = readOptions<ProgramTaskOptions>('program', opts, OPTION_SPECS);
  const { train, test } = programSplit(o.testFraction);
  return {
    name: 'program',
    verifier: createProgramVerifier({ timeoutMs: o.timeoutMs, memoryMb: o.memoryMb }),
    train,
    test,
    description: `short JavaScript functions checked by assertions in a sandboxed process (${o.timeoutMs} ms, ${o.memoryMb} MB); ${o.testFraction} held out by id hash`,
  };
}
