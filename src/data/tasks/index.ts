// Tasks for training with a verifier (ReST-EM, ReST, GRPO): problems with answers and worked
// solutions, split into train and test, and the verifier that grades completions.
export type { Problem, Task } from './task.js';
export type { Verdict, Verifier } from '../../rewards/verifier.js';
export {
  ARITHMETIC_DEFAULTS, arithmeticProblems, arithmeticSplitOf, arithmeticTask, arithmeticVerifier, extractAnswer, generateArithmetic,
  type ArithmeticDifficulty, type ArithmeticOptions, type ArithmeticProblem, type ArithmeticTask, type Op,
} from './builtin/arithmetic.js';
export {
  G2P_DEFAULTS, cmudictEntries, extractPhonemes, g2pPerVerifier, g2pProblem, g2pSplitOf, g2pTask, g2pVerifier,
  normalizePhonemes, phonemeErrorRate, stripStress, type G2pOptions,
} from './builtin/g2p.js';
export { loadUserTask, readUserProblems, type UserTaskOptions } from './user-task.js';
export { getTask, listTasks, registerTask, unregisterTask, type TaskFactory } from './registry.js';
export { readOptions, type OptionSpec, type OptionSpecs } from './task-options.js';
export { CODE_LANGUAGES, languageOption, loadCodeTask, loadCodeTaskInput, readCodeProblems, type CodeLanguage, type CodeTaskOptions } from './code-task.js';
