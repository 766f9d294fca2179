// Named answer matchers for user tasks, so a JSONL of {prompt, answer} needs no code to become a
// ReST-EM task. Each is a binary verifier over `problem.answer`; the grading rules are the usual
// ones of math-eval harnesses (exact string, numeric with tolerance, regex, last number).
import { binaryVerdict, type Verdict, type VerifiedProblem, type Verifier } from './verifier.js';

export const MATCHER_NAMES = ['exact', 'numeric', 'regex', 'last-number'] as const;
export type MatcherName = (typeof MATCHER_NAMES)[number];

export interface MatcherOptions {
  /** exact, regex: compare case-insensitively. */
  ignoreCase?: boolean;
  /** numeric: absolute tolerance; |x − y| ≤ atol + rtol·|y| as numpy.isclose. Default 0. */
  atol?: number;
  /** numeric: relative tolerance. Default 1e-9: absorbs float printing noise, never a real error. */
  rtol?: number;
  /**
   * numeric, regex: a regular expression that finds the answer in the completion; its first
   * capture group (or the whole match) is the extracted answer. Without it, numeric reads the whole
   * trimmed completion and regex treats each gold answer as the pattern to match.
   */
  extract?: string;
  /** regex: flags for the gold-answer patterns (e.g. "s"); "i" is added by ignoreCase. */
  flags?: string;
}

export interface Matcher extends Verifier {
  name: MatcherName;
  /** Why a gold answer cannot be graded by this matcher (not a number, invalid regex), or null. */
  checkAnswer(answer: string): string | null;
}

const KNOWN_OPTIONS: Record<MatcherName, readonly (keyof MatcherOptions)[]> = {
  exact: ['ignoreCase'],
  numeric: ['atol', 'rtol', 'extract'],
  regex: ['ignoreCase', 'extract', 'flags'],
  'last-number': [],
};

const OPTION_TYPES: Record<keyof MatcherOptions, 'boolean' | 'number' | 'string'> = {
  ignoreCase: 'boolean', atol: 'number', rtol: 'number', extract: 'string', flags: 'string',
};

// A numeric literal: optional sign (not a hyphen inside a word or after a digit, as in "3-2"),
// thousands separators in groups of three, decimals and an exponent.
const NUMBER = String.raw`(?:(?<![\w)])[-+])?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?`;
const NUMBER_GLOBAL = new RegExp(NUMBER, 'g');
const NUMBER_WHOLE = new RegExp(`^${NUMBER}$`);

/** The numeric literals in a text, left to right, as written. */
export function findNumbers(text: string): string[] {
  return text.match(NUMBER_GLOBAL) ?? [];
}

/** The value of a text that is exactly one number (after trimming; "1,234" is 1234), else null. */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (!NUMBER_WHOLE.test(t)) return null;
  const x = Number(t.replace(/,/g, ''));
  return Number.isFinite(x) ? x : null;
}

/** Builds a matcher by name; throws on an unknown name or an option the matcher does not take. */
export function makeMatcher(name: string, opts: MatcherOptions = {}): Matcher {
  if (!(MATCHER_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown matcher "${name}"; known matchers: ${MATCHER_NAMES.join(', ')}`);
  }
  const m = name as MatcherName;
  for (const [key, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (!(KNOWN_OPTIONS[m] as readonly string[]).includes(key)) {
      const known = KNOWN_OPTIONS[m].length ? KNOWN_OPTIONS[m].join(', ') : '(none)';
      throw new Error(`matcher "${m}": unknown option "${key}"; known options: ${known}`);
    }
    const expected = OPTION_TYPES[key as keyof MatcherOptions];
    const ok = expected === 'boolean' ? typeof v === 'boolean'
      : expected === 'string' ? typeof v === 'string' : typeof v === 'number' && Number.isFinite(v) && v >= 0;
    if (!ok) throw new Error(`matcher "${m}": option "${key}" must be ${expected === 'number' ? 'a number >= 0' : `a ${expected}`}, got ${JSON.stringify(v)}`);
  }
  switch (m) {
    case 'exact': return exactMatcher(opts);
    case 'numeric': return numericMatcher(opts);
    case 'regex': return regexMatcher(opts);
    case 'last-number': return lastNumberMatcher();
  }
}

function goldOf(problem: VerifiedProblem, matcher: string): string {
  if (typeof problem.answer !== 'string') {
    throw new Error(`matcher "${matcher}": problem "${problem.id}" has no "answer" to compare with`);
  }
  return problem.answer;
}

function compileOption(matcher: string, option: string, source: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new Error(`matcher "${matcher}": option "${option}" is not a valid regular expression (${(err as Error).message})`);
  }
}

function extractWith(re: RegExp, completion: string): string | null {
  const hit = re.exec(completion);
  return hit ? (hit[1] ?? hit[0]) : null;
}

function exactMatcher(opts: MatcherOptions): Matcher {
  const norm = (s: string) => (opts.ignoreCase ? s.trim().toLowerCase() : s.trim());
  return {
    name: 'exact',
    checkAnswer: () => null,
    verify(problem, completion): Verdict {
      const gold = goldOf(problem, 'exact');
      const got = completion.trim();
      return binaryVerdict(norm(got) === norm(gold), got);
    },
  };
}

function numericMatcher(opts: MatcherOptions): Matcher {
  const atol = opts.atol ?? 0, rtol = opts.rtol ?? 1e-9;
  const extract = opts.extract !== undefined ? compileOption('numeric', 'extract', opts.extract) : null;
  return {
    name: 'numeric',
    checkAnswer: (answer) => (parseNumber(answer) === null ? `expected a number for the "numeric" matcher, got ${JSON.stringify(answer)}` : null),
    verify(problem, completion): Verdict {
      const gold = parseNumber(goldOf(problem, 'numeric'));
      const text = extract ? extractWith(extract, completion) : completion;
      if (text === null) return binaryVerdict(false, null, `no match for /${opts.extract}/`);
      const x = parseNumber(text);
      if (x === null) return binaryVerdict(false, null, `not a number: ${JSON.stringify(text.trim().slice(0, 40))}`);
      if (gold === null) return binaryVerdict(false, String(x), `gold answer ${JSON.stringify(problem.answer)} is not a number`);
      return binaryVerdict(Math.abs(x - gold) <= atol + rtol * Math.abs(gold), String(x));
    },
  };
}

function regexMatcher(opts: MatcherOptions): Matcher {
  const flags = (opts.flags ?? '').replace(/[gy]/g, '') + (opts.ignoreCase && !opts.flags?.includes('i') ? 'i' : '');
  compileOption('regex', 'flags', '', flags);
  const extract = opts.extract !== undefined ? compileOption('regex', 'extract', opts.extract, opts.ignoreCase ? 'i' : '') : null;
  // The same gold pattern is checked against N samples per problem: compile it once.
  const cache = new Map<string, RegExp>();
  const patternOf = (answer: string): RegExp => {
    let re = cache.get(answer);
    if (!re) cache.set(answer, (re = new RegExp(answer, flags)));
    return re;
  };
  return {
    name: 'regex',
    checkAnswer(answer) {
      if (extract) return null;
      try {
        patternOf(answer);
        return null;
      } catch (err) {
        return `invalid regular expression (${(err as Error).message})`;
      }
    },
    verify(problem, completion): Verdict {
      const gold = goldOf(problem, 'regex');
      if (extract) {
        const got = extractWith(extract, completion);
        if (got === null) return binaryVerdict(false, null, `no match for /${opts.extract}/`);
        const norm = (s: string) => (opts.ignoreCase ? s.trim().toLowerCase() : s.trim());
        return binaryVerdict(norm(got) === norm(gold), got.trim());
      }
      let re: RegExp;
      try {
        re = patternOf(gold);
      } catch (err) {
        return binaryVerdict(false, null, `gold answer is not a valid regular expression (${(err as Error).message})`);
      }
      const hit = re.exec(completion);
      return binaryVerdict(hit !== null, hit ? hit[0] : null);
    },
  };
}

function lastNumberMatcher(): Matcher {
  return {
    name: 'last-number',
    checkAnswer: (answer) => (parseNumber(answer) === null ? `expected a number for the "last-number" matcher, got ${JSON.stringify(answer)}` : null),
    verify(problem, completion): Verdict {
      const gold = parseNumber(goldOf(problem, 'last-number'));
      const last = findNumbers(completion).at(-1);
      if (last === undefined) return binaryVerdict(false, null, 'no number in the completion');
      const x = parseNumber(last)!;
      if (gold === null) return binaryVerdict(false, String(x), `gold answer ${JSON.stringify(problem.answer)} is not a number`);
      return binaryVerdict(x === gold, String(x));
    },
  };
}
