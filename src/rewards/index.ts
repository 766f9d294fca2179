// `alignkit/rewards`: verifiers (named matchers, a user's module, JavaScript and Python programs run in a sandbox) and
// scorers (BLEU, chrF, edit distance, sentiment) — what ReST-EM's E-step filters with and what
// evaluation reports.
export { binaryVerdict, type Verdict, type VerifiedProblem, type Verifier } from './verifier.js';
export { MATCHER_NAMES, findNumbers, makeMatcher, parseNumber, type Matcher, type MatcherName, type MatcherOptions } from './matchers.js';
export { loadVerifierModule, toVerdict } from './verifier-module.js';
export { loadRewardModule, type RewardModule, type RowReward } from './reward-module.js';
export { majAtK, majorityVote, meanPassAtK, passAtK } from './pass-at-k.js';
export { bestOfN, bestOfNGroups } from './best-of-n.js';
export { levenshtein, tokenErrorRate } from './scorers/edit-distance.js';
export { unclippedRecall } from './scorers/unclipped-recall.js';
export { corpusBleu, sentenceBleu, tokenize13a, type BleuOptions, type BleuScore } from './scorers/bleu.js';
export { corpusChrf, sentenceChrf, type ChrfOptions, type ChrfScore } from './scorers/chrf.js';
export { afinnAnnotator, afinnScore, bradleyTerryAnnotator, vaderScore, type Annotator, type Judgement, type LabelledPair } from './scorers/sentiment.js';
export { createProgramVerifier, extractProgram, programVerifier, type ProgramVerifierOptions } from './sandbox/program-verifier.js';
export { runInSandbox, type SandboxOptions, type SandboxResult, type SandboxStatus } from './sandbox/sandbox.js';
export { createLimiter, defaultLimiter, type Limiter } from './sandbox/limiter.js';
export { createPythonVerifier, extractPython, pythonTestsOf, type PythonTests, type PythonVerifierOptions } from './python/python-verifier.js';
export { runPythonIo, runPythonTests, sameOutput, type IoCase, type PythonResult, type PythonSandboxOptions, type PythonStatus } from './python/python-sandbox.js';
export { pythonRuntime, PythonUnavailableError, type PythonRuntime } from './python/runtime.js';
export * from './judge/index.js';
