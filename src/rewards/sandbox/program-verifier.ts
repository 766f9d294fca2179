// The binary verifier of ReST-EM's code setting (Singh et al. 2023, §4: "a solution is correct
// if it passes all the test cases"): read the function out of a completion, run the problem's
// assertions against it in the sandbox, reward 1 or 0. The 'program' task that pairs it with the
// built-in problems is data/tasks/builtin/program-task.ts.
import type { Limiter } from './limiter.js';
import { runInSandbox } from './sandbox.js';
import { binaryVerdict, type VerifiedProblem, type Verdict, type Verifier } from '../verifier.js';

export interface ProgramVerifierOptions {
  /** Per completion, for the code and all its tests; the sandbox's 2 s default suits short functions. */
  timeoutMs?: number;
  /** V8 heap of each sandbox; 64 MB by default. */
  memoryMb?: number;
  /** Shared slots for sandbox processes; defaults to one per core. */
  limiter?: Limiter;
}

// A fence with a JavaScript tag or none; a ```python block is not an answer to a JS problem.
const FENCE = /```[ \t]*(?:js|javascript|jsx|mjs|cjs|node)?[ \t]*\r?\n([\s\S]*?)(?:```|$)/i;
// A named declaration: prose such as "this function adds" must not count as the start of code.
const DECLARATION = /(?<![\w$.])(?:async\s+)?function\b\s*\*?\s*[A-Za-z_$][\w$]*\s*\(/g;

/**
 * The code in a completion: the first ```js (or untagged) fenced block; else the first named
 * function declaration up to its matching close brace, together with any declarations that
 * directly follow it (helpers written after, or before, the function the tests call). Null when
 * there is neither.
 */
export function extractProgram(completion: string): string | null {
  const fenced = FENCE.exec(completion);
  if (fenced && fenced[1]!.trim() !== '') return fenced[1]!.trim();
  DECLARATION.lastIndex = 0;
  const first = DECLARATION.exec(completion);
  if (!first) return null;
  let end = declarationEnd(completion, first.index + first[0].length - 1);
  if (end < 0) return null;
  for (;;) {
    const gap = /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/.exec(completion.slice(end))![0].length;
    DECLARATION.lastIndex = end + gap;
    const next = DECLARATION.exec(completion);
    if (!next || next.index !== end + gap) break;
    const e = declarationEnd(completion, next.index + next[0].length - 1);
    if (e < 0) break;
    end = e;
  }
  return completion.slice(first.index, end);
}

/** Index just past the body of the function whose parameter list opens at `paren`, or -1. */
function declarationEnd(src: string, paren: number): number {
  const close = matchBracket(src, paren);
  if (close < 0) return -1;
  let j = close + 1;
  while (j < src.length && /\s/.test(src[j]!)) j++;
  if (src[j] !== '{') return -1;
  const end = matchBracket(src, j);
  return end < 0 ? -1 : end + 1;
}

const CLOSER: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
// After these a '/' starts a regular expression, not a division.
const BEFORE_REGEX = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^']);
const KEYWORDS_BEFORE_REGEX = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await']);

/**
 * Index of the bracket closing the one at `open`, or -1 if the text ends first. Skips strings,
 * comments, regular expressions and template literals (with `${}` nesting), which may hold
 * brackets of their own. A lexer, not a parser: enough for code a model writes.
 */
function matchBracket(src: string, open: number): number {
  // Expected closers; 'tpl' marks a `${` whose `}` resumes the template literal around it.
  const stack: string[] = [];
  let prev = '';
  let word = '';
  let i = open;
  const n = src.length;
  const skipTemplate = (from: number): number => {
    for (let k = from; k < n; k++) {
      if (src[k] === '\\') { k++; continue; }
      if (src[k] === '`') return k;
      if (src[k] === '$' && src[k + 1] === '{') { stack.push('tpl'); return k + 1; }
    }
    return n;
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '/') { const e = src.indexOf('\n', i); i = e < 0 ? n : e; continue; }
    if (c === '/' && src[i + 1] === '*') { const e = src.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < n && src[k] !== c && src[k] !== '\n') k += src[k] === '\\' ? 2 : 1;
      i = k + 1; prev = 'a'; word = ''; continue;
    }
    if (c === '`') {
      const k = skipTemplate(i + 1);
      i = k + 1; prev = src[k] === '`' ? 'a' : '{'; word = ''; continue;
    }
    if (c === '/' && (BEFORE_REGEX.has(prev) || KEYWORDS_BEFORE_REGEX.has(word))) {
      let k = i + 1, inClass = false;
      for (; k < n && src[k] !== '\n'; k++) {
        if (src[k] === '\\') { k++; continue; }
        if (src[k] === '[') inClass = true;
        else if (src[k] === ']') inClass = false;
        else if (src[k] === '/' && !inClass) break;
      }
      i = k + 1; prev = 'a'; word = ''; continue;
    }
    if (/[\w$]/.test(c)) {
      let k = i;
      while (k < n && /[\w$]/.test(src[k]!)) k++;
      word = src.slice(i, k); prev = 'a'; i = k; continue;
    }
    word = '';
    if (c in CLOSER) stack.push(CLOSER[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      const want = stack.pop();
      if (want === 'tpl' && c === '}') { const k = skipTemplate(i + 1); i = k + 1; prev = src[k] === '`' ? 'a' : '{'; continue; }
      if (want !== c) return -1;
      if (stack.length === 0) return i;
    }
    prev = c;
    i++;
  }
  return -1;
}

function testsOf(problem: VerifiedProblem): string[] | string {
  const t = problem.tests;
  if (typeof t === 'string' || (Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string'))) return t;
  throw new Error(`program verifier: problem "${problem.id}" needs tests as a string or a non-empty array of strings, got ${JSON.stringify(t) ?? String(t)}`);
}

/** A verifier that runs each completion's code against `problem.tests`; `problem.meta.entry`, when set, must be defined. */
export function createProgramVerifier(opts: ProgramVerifierOptions = {}): Verifier {
  return {
    name: 'program',
    async verify(problem: VerifiedProblem, completion: string): Promise<Verdict> {
      const tests = testsOf(problem);
      const code = extractProgram(completion);
      if (code === null) return binaryVerdict(false, null, 'no ```js block or function declaration in the completion');
      const entry = typeof problem.meta?.entry === 'string' ? problem.meta.entry : undefined;
      const r = await runInSandbox(code, tests, { ...opts, ...(entry !== undefined ? { entry } : {}) });
      return binaryVerdict(r.passed, code, `${r.status}: ${r.detail}`);
    },
  };
}

/** The verifier with the sandbox's defaults. */
export const programVerifier: Verifier = createProgramVerifier();
