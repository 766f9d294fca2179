// A task from a person's own file: JSON Lines (or a JSON array) of {prompt, answer} graded by a
// named matcher, or {prompt, tests} graded by their verifier module; `id` and `reference` (a
// worked solution for SFT) are optional. Every problem with the file is reported as a
// DatasetError naming the file, the line and the field, as for training datasets.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { JsonlError, parseJsonl } from '../../io/jsonl.js';
import { makeMatcher, type Matcher, type MatcherOptions } from '../../rewards/matchers.js';
import { loadVerifierModule } from '../../rewards/verifier-module.js';
import type { Verifier } from '../../rewards/verifier.js';
import type { Problem, Task } from './task.js';
import { DatasetError } from '../datasets/dataset-error.js';
import { parseJsonArray } from '../datasets/json-array.js';
import { typeName, type SourcedValue } from '../datasets/formats.js';
import { splitByHash } from '../split-dataset.js';

export interface UserTaskOptions {
  /** Defaults to the file name without its extension. */
  name?: string;
  /** A named matcher (exact, numeric, regex, last-number); 'exact' when neither it nor `verifier` is given. */
  matcher?: string;
  matcherOptions?: MatcherOptions;
  /** Path of a JS module exporting verify(problem, completion); needed for records with only `tests`. */
  verifier?: string;
  /** A separate file of test problems; without it `testFraction` of the file is held out. */
  testPath?: string;
  /** Held out by a hash of each problem (its id if the file gives one, else its prompt) when there is no `testPath`. Default 0.1. */
  testFraction?: number;
  /**
   * A prompt on several lines: 'keep' each line as a problem (as a TRL dataset would, so a prompt
   * asked twice weighs twice), all copies on the same side of the split; 'error' refuses the file.
   */
  repeats?: 'keep' | 'error';
  /** Accepted as before, but no longer moves the split: that is fixed by each problem (issue 16). */
  seed?: number;
}

const KNOWN_KEYS = new Set(['id', 'prompt', 'answer', 'tests', 'reference', 'meta']);

/** Reads and validates the problems of one file. `matcher`, when given, must be able to grade every answer. */
export function readUserProblems(path: string, matcher?: Matcher, repeats: 'keep' | 'error' = 'keep'): Problem[] {
  const values = readValues(path);
  const problems: Problem[] = [];
  const firstLineOfId = new Map<string, number>();
  // A repeated prompt weighs one problem twice; a caller that wants each problem once says 'error'.
  const firstLineOfPrompt = new Map<string, number>();
  const stem = basename(path, extname(path));
  for (const { line, value } of values) {
    const fail = (field: string | undefined, detail: string): never => {
      throw new DatasetError(path, detail, field === undefined ? { line } : { line, field });
    };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(undefined, `expected a JSON object per record, got ${typeName(value)}`);
    const r = value as Record<string, unknown>;

    if (r.prompt === undefined) fail('prompt', 'missing, expected a string');
    if (typeof r.prompt !== 'string') fail('prompt', `expected a string, got ${typeName(r.prompt)}`);
    if ((r.prompt as string).trim() === '') fail('prompt', 'expected a non-empty string');
    const firstPrompt = firstLineOfPrompt.get(r.prompt as string);
    if (firstPrompt !== undefined && repeats === 'error') fail('prompt', `the same prompt as line ${firstPrompt}; each problem once`);
    if (firstPrompt === undefined) firstLineOfPrompt.set(r.prompt as string, line);

    let answer: string | undefined;
    if (r.answer !== undefined && r.answer !== null) {
      if (typeof r.answer === 'number' && Number.isFinite(r.answer)) answer = String(r.answer);
      else if (typeof r.answer === 'string') answer = r.answer;
      else fail('answer', `expected a string or a number, got ${typeName(r.answer)}`);
    }
    const hasTests = r.tests !== undefined && r.tests !== null;
    if (Array.isArray(r.tests) && r.tests.length === 0) fail('tests', 'expected at least one test, got an empty list');
    if (answer === undefined && !hasTests) fail('answer', 'missing, expected "answer" (or "tests" graded by a verifier module)');
    if (matcher) {
      if (answer === undefined) fail('answer', `missing; the "${matcher.name}" matcher compares completions with "answer" (records with only "tests" need a verifier module)`);
      const bad = matcher.checkAnswer(answer!);
      if (bad) fail('answer', bad);
    }

    let id = `${stem}:${line}`;
    if (r.id !== undefined) {
      if (typeof r.id === 'string' && r.id !== '') id = r.id;
      else if (typeof r.id === 'number' && Number.isInteger(r.id)) id = String(r.id);
      else fail('id', `expected a non-empty string or an integer, got ${JSON.stringify(r.id)}`);
      const first = firstLineOfId.get(id);
      if (first !== undefined) fail('id', `duplicate id ${JSON.stringify(id)} (first used on line ${first})`);
      firstLineOfId.set(id, line);
    }
    if (r.reference !== undefined && typeof r.reference !== 'string') fail('reference', `expected a string, got ${typeName(r.reference)}`);
    if (r.meta !== undefined && (r.meta === null || typeof r.meta !== 'object' || Array.isArray(r.meta))) fail('meta', `expected an object, got ${typeName(r.meta)}`);

    // Keys this format does not know (difficulty, source, language) go to meta, where a verifier
    // module can read them; an explicit "meta" wins on a clash.
    const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !KNOWN_KEYS.has(k)));
    const meta = { ...extra, ...(r.meta as Record<string, unknown> | undefined), line };
    const p: Problem = { id, prompt: r.prompt as string, meta };
    if (answer !== undefined) p.answer = answer;
    if (hasTests) p.tests = r.tests;
    if (typeof r.reference === 'string') p.reference = r.reference;
    problems.push(p);
  }
  return problems;
}

/** The records of a .jsonl or .json task file, each with its line; every problem with the file is a DatasetError. */
export function readValues(path: string): SourcedValue[] {
  const ext = extname(path).toLowerCase();
  if (ext !== '.jsonl' && ext !== '.json') throw new DatasetError(path, `unsupported file extension "${ext}"; expected .jsonl or .json`);
  if (!existsSync(path)) throw new DatasetError(path, 'no such file');
  if (statSync(path).isDirectory()) throw new DatasetError(path, 'is a directory; expected a .jsonl or .json file');
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new DatasetError(path, 'empty file (no records)');
  if (ext === '.json' && text.trimStart().startsWith('[')) return parseJsonArray(text, path);
  try {
    return parseJsonl(text, path);
  } catch (err) {
    if (!(err instanceof JsonlError)) throw err;
    // JsonlError's message already starts with "file:line: "; DatasetError adds it again.
    const prefix = `${err.file}:${err.line}: `;
    throw new DatasetError(path, err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message, { line: err.line });
  }
}

/** What fixes a problem's side of the split: the id the file gave it, else its prompt (the default id moves with its line). */
export function splitKey(p: Problem, path: string): string {
  return p.id === `${basename(path, extname(path))}:${p.meta?.line as number}` ? `prompt:${p.prompt}` : `id:${p.id}`;
}

// A test problem that is also a training problem measures memory, not skill: the same prompt, or
// the same id given explicitly, on both sides is an error.
export function checkDisjoint(train: readonly Problem[], trainPath: string, test: readonly Problem[], testPath: string): void {
  const lineOf = (p: Problem) => p.meta?.line as number;
  const byPrompt = new Map(train.map((p) => [p.prompt, lineOf(p)]));
  const byId = new Map(train.map((p) => [p.id, lineOf(p)]));
  const testStem = basename(testPath, extname(testPath));
  for (const p of test) {
    const at = (field: string, what: string, trainLine: number | undefined) => new DatasetError(
      testPath, `${what} is also in the training ${trainLine === undefined ? `problems of ${trainPath}` : `file ${trainPath} (line ${trainLine})`}; train and test must not overlap`, { line: lineOf(p), field },
    );
    if (!p.id.startsWith(`${testStem}:`) && byId.has(p.id)) throw at('id', `id ${JSON.stringify(p.id)}`, byId.get(p.id));
    if (byPrompt.has(p.prompt)) throw at('prompt', 'the same prompt', byPrompt.get(p.prompt));
  }
}

// Options may come from a CLI or a config file untyped; check them before touching the file.
function checkOptions(path: string, opts: UserTaskOptions): void {
  const o = opts as Record<string, unknown>;
  const bad = (key: string, expected: string) => {
    throw new Error(`user task ${path}: option "${key}" must be ${expected}, got ${JSON.stringify(o[key])}`);
  };
  if (o.repeats !== undefined && o.repeats !== 'keep' && o.repeats !== 'error') bad('repeats', '"keep" or "error"');
  for (const key of ['name', 'matcher', 'verifier', 'testPath']) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) bad(key, 'a non-empty string');
  }
  if (o.matcherOptions !== undefined && (o.matcherOptions === null || typeof o.matcherOptions !== 'object' || Array.isArray(o.matcherOptions))) bad('matcherOptions', 'an object');
  const f = o.testFraction;
  if (f !== undefined && !(typeof f === 'number' && f >= 0 && f < 1)) bad('testFraction', 'a number in [0, 1)');
  if (o.seed !== undefined && !Number.isInteger(o.seed)) bad('seed', 'an integer');
}

/** Loads a user task: problems, a train/test split, and the matcher or module that grades them. */
export async function loadUserTask(path: string, opts: UserTaskOptions = {}): Promise<Task> {
  checkOptions(path, opts);
  if (opts.matcher !== undefined && opts.verifier !== undefined) {
    throw new Error(`user task ${path}: give either a matcher ("${opts.matcher}") or a verifier module (${opts.verifier}), not both`);
  }
  if (opts.matcherOptions !== undefined && opts.verifier !== undefined) {
    throw new Error(`user task ${path}: matcherOptions apply to a named matcher, not to the verifier module ${opts.verifier}`);
  }
  const matcher = opts.verifier === undefined ? makeMatcher(opts.matcher ?? 'exact', opts.matcherOptions) : undefined;
  const verifier: Verifier = matcher ?? (await loadVerifierModule(opts.verifier!));

  const problems = readUserProblems(path, matcher, opts.repeats);
  let train: Problem[], test: Problem[];
  if (opts.testPath !== undefined) {
    if (opts.testFraction !== undefined) throw new Error(`user task ${path}: give either testPath or testFraction, not both`);
    train = problems;
    test = readUserProblems(opts.testPath, matcher, opts.repeats);
    checkDisjoint(train, path, test, opts.testPath);
  } else {
    // Split by prompt (the first copy's id or prompt fixing the side), so that the copies of a
    // repeated prompt never sit on both sides.
    const byPrompt = new Map<string, Problem[]>();
    for (const p of problems) byPrompt.set(p.prompt, [...(byPrompt.get(p.prompt) ?? []), p]);
    const s = splitByHash([...byPrompt.values()], (g) => splitKey(g[0]!, path), opts.testFraction ?? 0.1);
    train = s.train.flat();
    test = s.eval.flat();
  }
  return {
    name: opts.name ?? basename(path, extname(path)),
    verifier,
    train,
    test,
    description: `user task from ${path}, graded by ${verifier.name}; ${opts.testPath !== undefined ? `test problems from ${opts.testPath}`
      : `${opts.testFraction ?? 0.1} held out by a hash of each problem's id or prompt`}`,
  };
}
