// Verifiers and scorers: what ReST-EM's E-step filters with and what evaluation reports.
export { binaryVerdict, type Verdict, type VerifiedProblem, type Verifier } from './verifier.js';
export { MATCHER_NAMES, findNumbers, makeMatcher, parseNumber, type Matcher, type MatcherName, type MatcherOptions } from './matchers.js';
export { loadVerifierModule, toVerdict } from './verifier-module.js';
export { majAtK, majorityVote, meanPassAtK, passAtK } from './pass-at-k.js';
export { levenshtein, tokenErrorRate } from './scorers/edit-distance.js';
export { unclippedRecall } from './scorers/unclipped-recall.js';
