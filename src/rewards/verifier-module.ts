// A user's own verifier as a plain JavaScript module, for answers no named matcher can grade
// (a proof checker, a unit-test runner, a call to an external tool). The module exports
// `verify(problem, completion)`, named or as the default export, sync or async, returning a
// boolean, a reward in [0, 1], or a Verdict-like object.
import { loadUserFunction } from './user-module.js';
import type { Verdict, VerifiedProblem, Verifier } from './verifier.js';

type VerifyFn = (problem: VerifiedProblem, completion: string) => unknown;

/** Imports the module at `path` (relative to the working directory) and wraps its `verify`. */
export async function loadVerifierModule(path: string): Promise<Verifier> {
  const { fn, name, where } = await loadUserFunction<VerifyFn>(path, 'verifier', 'verify', 'problem, completion');
  return {
    name,
    async verify(problem, completion) {
      const out = await fn(problem, completion);
      return toVerdict(out, `${where}: verify() for problem "${problem.id}"`);
    },
  };
}

/** Normalises what a user function returned; anything else is the module's bug, so say so. */
export function toVerdict(out: unknown, where: string): Verdict {
  if (typeof out === 'boolean') return { correct: out, reward: out ? 1 : 0 };
  if (typeof out === 'number') {
    if (!Number.isFinite(out)) throw new Error(`${where}: returned ${out}; expected a finite reward`);
    return { correct: out >= 1, reward: out };
  }
  if (out !== null && typeof out === 'object' && typeof (out as Verdict).correct === 'boolean') {
    const v = out as Partial<Verdict> & { correct: boolean };
    if (v.reward !== undefined && (typeof v.reward !== 'number' || !Number.isFinite(v.reward))) {
      throw new Error(`${where}: returned reward ${String(v.reward)}; expected a finite number`);
    }
    const verdict: Verdict = { correct: v.correct, reward: v.reward ?? (v.correct ? 1 : 0) };
    if (v.extracted !== undefined) verdict.extracted = v.extracted === null ? null : String(v.extracted);
    if (v.detail !== undefined) verdict.detail = String(v.detail);
    return verdict;
  }
  const shown = out === undefined ? 'undefined' : JSON.stringify(out)?.slice(0, 80) ?? String(out);
  throw new Error(`${where}: returned ${shown}; expected a boolean, a number, or {correct: boolean, reward?, extracted?, detail?}`);
}
