// Synthetic arithmetic word problems with worked scratchpad solutions, GSM8K-style (Cobbe et al.
// 2021: one equation a line, then "#### <answer>"), scaled down so a tiny character-level model
// can learn the format from a few hundred examples yet still get sums wrong: the regime where
// ReST-EM's sample-filter-finetune loop has something to improve. Texts are short and drawn from
// a small vocabulary on purpose; the difficulty lives in the numbers.
import { binaryVerdict, type Verdict, type Verifier } from '../../../rewards/verifier.js';
import type { Problem, Task } from '../task.js';
import { mulberry32 } from '../../prng.js';
import { fnv1a32, hashUnit } from './hash.js';
import { readOptions, type OptionSpecs } from '../task-options.js';

export interface ArithmeticOptions {
  /** Selects the problem stream; problem i of seed s is the same on every machine. */
  seed: number;
  /** 500 worked examples: enough for a small model to learn the format, not the arithmetic. */
  trainSize: number;
  /** 200 held-out problems: pass@1 then moves in steps of 0.5%. */
  testSize: number;
  /** Digits of every number in the prompt (the start amount and each operand). */
  digits: number;
  /** Operations per problem (+ or −); each is one scratchpad line. */
  steps: number;
  /** Allow additions that carry and subtractions that borrow; false makes every column independent. */
  carries: boolean;
}

const OPTION_SPECS: OptionSpecs<ArithmeticOptions> = {
  seed: { kind: 'integer', default: 0, min: 0, max: 2 ** 32 - 1 },
  trainSize: { kind: 'integer', default: 500, min: 0, max: 1_000_000 },
  testSize: { kind: 'integer', default: 200, min: 0, max: 1_000_000 },
  digits: { kind: 'integer', default: 2, min: 1, max: 6 },
  steps: { kind: 'integer', default: 2, min: 1, max: 5 },
  carries: { kind: 'boolean', default: true },
};

export const ARITHMETIC_DEFAULTS: Readonly<ArithmeticOptions> = Object.freeze(
  readOptions<ArithmeticOptions>('arithmetic', {}, OPTION_SPECS),
);

/** Share of equations that belong to the test side; a quarter keeps small problem spaces usable on both sides. */
const TEST_SHARE = 0.25;
/** Draws in a row without a new problem after which the space counts as exhausted. */
const MAX_MISSES = 20_000;

// A deliberately small vocabulary: the model should spend its capacity on numbers, not words.
const PEOPLE: readonly (readonly [string, string])[] = [['Tom', 'He'], ['Sam', 'He'], ['Ben', 'He'], ['Ann', 'She'], ['Mia', 'She'], ['Eva', 'She']];
const THINGS = ['apples', 'pens', 'cards', 'eggs', 'coins', 'books', 'shells', 'stamps'];
const ADD_VERBS = ['buys', 'gets', 'finds'];
const SUB_VERBS = ['sells', 'loses', 'gives away'];

export type Op = '+' | '-';

export interface ArithmeticProblem extends Problem {
  answer: string;
  reference: string;
  meta: { seed: number; index: number; equation: string; digits: number; steps: number; carries: boolean };
}

export type ArithmeticDifficulty = Pick<ArithmeticOptions, 'digits' | 'steps' | 'carries'>;

/**
 * Problem `index` of stream `seed`: a pure function of its arguments. The id names both, so any
 * problem in a run log can be regenerated.
 */
export function generateArithmetic(seed: number, index: number, difficulty: Partial<ArithmeticDifficulty> = {}): ArithmeticProblem {
  const d = readOptions<ArithmeticDifficulty>('arithmetic', difficulty, {
    digits: OPTION_SPECS.digits, steps: OPTION_SPECS.steps, carries: OPTION_SPECS.carries,
  });
  return generate(seed, index, d);
}

function generate(seed: number, index: number, { digits, steps, carries }: ArithmeticDifficulty): ArithmeticProblem {
  const rand = mulberry32(fnv1a32(`arithmetic:${seed}:${index}`));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const [name, pronoun] = pick(PEOPLE);
  const thing = pick(THINGS);

  // "has 1 apples" reads wrong, so the start amount is at least 2.
  const start = uniform(rand, Math.max(2, lowest(digits)), 10 ** digits - 1);
  let cur = start;
  const clauses: string[] = [], lines: string[] = [];
  let equation = String(start);
  for (let s = 0; s < steps; s++) {
    const first: Op = rand() < 0.5 ? '+' : '-';
    const second: Op = first === '+' ? '-' : '+';
    let op = first;
    let n = operand(rand, cur, digits, op, carries);
    if (n === null) n = operand(rand, cur, digits, (op = second), carries);
    // One of the two always exists: "+" fails only on a 9 in the top column (no carries) and
    // "−" only when cur is smaller than every operand or has a 0 there.
    if (n === null) throw new Error(`arithmetic: no operand for ${cur} with digits=${digits}, carries=${carries} (a bug)`);
    const next = op === '+' ? cur + n : cur - n;
    clauses.push(`${pick(op === '+' ? ADD_VERBS : SUB_VERBS)} ${n}`);
    lines.push(`${cur} ${op} ${n} = ${next}`);
    equation += `${op}${n}`;
    cur = next;
  }
  const actions = clauses.length === 1 ? clauses[0]! : `${clauses.slice(0, -1).join(', ')} and ${clauses.at(-1)!}`;
  const answer = String(cur);
  return {
    id: `arithmetic-s${seed}-${index}`,
    prompt: `${name} has ${start} ${thing}. ${pronoun} ${actions}. How many now?\n`,
    answer,
    reference: `${lines.join('\n')}\n#### ${answer}`,
    meta: { seed, index, equation, digits, steps, carries },
  };
}

const lowest = (digits: number) => (digits === 1 ? 1 : 10 ** (digits - 1));
const uniform = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** A `digits`-digit operand for `cur op n`, or null when none fits the rules. */
function operand(rand: () => number, cur: number, digits: number, op: Op, carries: boolean): number | null {
  const lo = lowest(digits), hi = 10 ** digits - 1;
  if (carries) {
    if (op === '+') return uniform(rand, lo, hi);
    return cur >= lo ? uniform(rand, lo, Math.min(hi, cur)) : null;
  }
  // Column by column, so no column carries (digit sum ≤ 9) or borrows (digit ≤ cur's digit).
  let n = 0;
  for (let i = 0, p = 1; i < digits; i++, p *= 10) {
    const c = Math.floor(cur / p) % 10;
    const max = op === '+' ? 9 - c : c;
    const min = i === digits - 1 ? 1 : 0;
    if (max < min) return null;
    n += uniform(rand, min, max) * p;
  }
  return n;
}

/**
 * Which side an equation belongs to. It depends on the numbers and operations only (not the
 * seed, the names or the objects), so no run trains on an equation that any run tests on.
 */
export function arithmeticSplitOf(equation: string): 'train' | 'test' {
  return hashUnit(`arithmetic:${equation}`) < TEST_SHARE ? 'test' : 'train';
}

/** Train and test problems from stream `seed`, each side deduplicated by prompt. */
export function arithmeticProblems(opts: Partial<ArithmeticOptions> = {}): { train: ArithmeticProblem[]; test: ArithmeticProblem[] } {
  const o = readOptions<ArithmeticOptions>('arithmetic', opts, OPTION_SPECS);
  const out = { train: [] as ArithmeticProblem[], test: [] as ArithmeticProblem[] };
  const want = { train: o.trainSize, test: o.testSize };
  const seen = { train: new Set<string>(), test: new Set<string>() };
  // Small spaces (one 1-digit step has ~120 equations) run dry: once MAX_MISSES draws in a row
  // bring nothing new, stop and say so rather than spin.
  let misses = 0;
  for (let i = 0; out.train.length < want.train || out.test.length < want.test; i++) {
    if (misses >= MAX_MISSES) {
      throw new Error(
        `arithmetic: found only ${out.train.length}/${want.train} train and ${out.test.length}/${want.test} test distinct problems ` +
        `(none new in the last ${MAX_MISSES} draws) with digits=${o.digits}, steps=${o.steps}, carries=${o.carries}; ask for fewer, or raise digits or steps`,
      );
    }
    misses++;
    const p = generate(o.seed, i, o);
    const side = arithmeticSplitOf(p.meta.equation);
    if (out[side].length >= want[side] || seen[side].has(p.prompt)) continue;
    seen[side].add(p.prompt);
    out[side].push(p);
    misses = 0;
  }
  return out;
}

/** The first "#### <integer>" in a completion, as written; null when there is none. */
export function extractAnswer(completion: string): string | null {
  const m = /####\s*(-?\d+)/.exec(completion);
  return m ? m[1]! : null;
}

/** Correct iff the first "#### <integer>" equals the answer (as an integer: "031" is 31). */
export const arithmeticVerifier: Verifier = {
  name: 'arithmetic-final-answer',
  verify(problem: Problem, completion: string): Verdict {
    const got = extractAnswer(completion);
    if (got === null) return binaryVerdict(false, null, "no '#### <number>' line");
    const value = String(Number(got));
    const ok = problem.answer !== undefined && value === String(Number(problem.answer));
    return binaryVerdict(ok, value, ok ? undefined : `expected ${problem.answer}`);
  },
};

export interface ArithmeticTask extends Task {
  train: ArithmeticProblem[];
  test: ArithmeticProblem[];
}

export function arithmeticTask(opts: Partial<ArithmeticOptions> = {}): ArithmeticTask {
  const o = readOptions<ArithmeticOptions>('arithmetic', opts, OPTION_SPECS);
  const { train, test } = arithmeticProblems(o);
  return {
    name: 'arithmetic',
    verifier: arithmeticVerifier,
    train,
    test,
    description: `arithmetic word problems: seed ${o.seed}, ${o.digits}-digit numbers, ${o.steps} step(s), carries ${o.carries ? 'allowed' : 'never'}`,
  };
}
