// A task file of program problems in a named language, graded by running each completion in a
// sandbox (issue 16: `alignkit rest-em --task file.jsonl --language python`). Records, one per
// line of a .jsonl file (or a JSON array):
//   python, assert-style (HumanEval, MBPP): {prompt, tests, entry_point}; `tests` is Python code
//     (HumanEval's `check(candidate)` is called when defined) or a list of assert lines; HumanEval's
//     own names `test` and `task_id` are read too;
//   python, stdin/stdout (APPS): {prompt, inputs, outputs}, lists of equal length; an output may be
//     a list of lines;
//   javascript: {prompt, tests, entry_point?} with JS assert statements (the program verifier).
// `id`, `reference` (a worked solution; HumanEval's `canonical_solution`) and `meta` are optional;
// other keys go to meta. Every problem with the file is a DatasetError naming its line and field.
import { basename, extname } from 'node:path';
import { optionalChoice } from '../../config/index.js';
import { createProgramVerifier } from '../../rewards/sandbox/program-verifier.js';
import { createPythonVerifier, type PythonTests } from '../../rewards/python/python-verifier.js';
import type { Verifier } from '../../rewards/verifier.js';
import { DatasetError } from '../datasets/dataset-error.js';
import { typeName } from '../datasets/formats.js';
import { splitByHash } from '../split-dataset.js';
import { parseTaskOpts } from './task-input.js';
import { readOptions, type OptionSpecs } from './task-options.js';
import type { Problem, Task } from './task.js';
import { checkDisjoint, readValues, splitKey } from './user-task.js';

export const CODE_LANGUAGES = ['python', 'javascript'] as const;
export type CodeLanguage = (typeof CODE_LANGUAGES)[number];

/** The option a command declares to read a task file as program problems. */
export const languageOption = () => optionalChoice(CODE_LANGUAGES,
  'for a task file of programming problems, run in a sandbox: python ({prompt, tests, entry_point} or {prompt, inputs, outputs}) or javascript');

export interface CodeTaskOptions {
  language: CodeLanguage;
  /** Defaults to the file name without its extension. */
  name?: string | undefined;
  /** A separate file of test problems; without it `testFraction` of the file is held out. */
  testPath?: string | undefined;
  /** Held out by a seeded shuffle when there is no `testPath`. Default 0.1. */
  testFraction?: number | undefined;
  seed?: number | undefined;
  /** Per completion (Python: per test run or per stdin case). Default 4000 ms for Python, 2000 for JavaScript. */
  timeoutMs?: number | undefined;
  /** Python: address space per process; JavaScript: V8 heap. Default 256 MB and 64 MB. */
  memoryMb?: number | undefined;
  /** The python3 to run samples with (default $ALIGNKIT_PYTHON, python3 or /usr/bin/python3). */
  python?: string | undefined;
}

type TaskOpts = Omit<CodeTaskOptions, 'language'>;
const OPTION_SPECS: OptionSpecs<TaskOpts> = {
  name: { kind: 'string', default: undefined },
  testPath: { kind: 'string', default: undefined },
  testFraction: { kind: 'number', default: undefined, min: 0, max: 0.9 },
  seed: { kind: 'integer', default: undefined },
  timeoutMs: { kind: 'integer', default: undefined, min: 50, max: 600_000 },
  memoryMb: { kind: 'integer', default: undefined, min: 16, max: 65_536 },
  python: { kind: 'string', default: undefined },
};

const KNOWN_KEYS = new Set(['id', 'task_id', 'prompt', 'tests', 'test', 'entry_point', 'inputs', 'outputs', 'reference', 'canonical_solution', 'meta']);

/** Reads and checks the problems of one file for `language`. */
export function readCodeProblems(path: string, language: CodeLanguage): Problem[] {
  const stem = basename(path, extname(path));
  const ids = new Map<string, number>();
  return readValues(path).map(({ line, value }) => {
    const fail = (field: string | undefined, detail: string): never => {
      throw new DatasetError(path, detail, field === undefined ? { line } : { line, field });
    };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(undefined, `expected a JSON object per record, got ${typeName(value)}`);
    const r = value as Record<string, unknown>;
    if (typeof r.prompt !== 'string' || r.prompt.trim() === '') fail('prompt', `expected a non-empty string, got ${JSON.stringify(r.prompt) ?? 'nothing'}`);
    const idKey = r.id !== undefined ? 'id' : 'task_id';
    const rawId = r[idKey];
    let id = `${stem}:${line}`;
    if (rawId !== undefined) {
      if (!((typeof rawId === 'string' && rawId !== '') || Number.isInteger(rawId))) fail(idKey, `expected a non-empty string or an integer, got ${JSON.stringify(rawId)}`);
      id = String(rawId);
      if (ids.has(id)) fail(idKey, `duplicate id ${JSON.stringify(id)} (first used on line ${ids.get(id)})`);
      ids.set(id, line);
    }
    const refKey = r.reference !== undefined ? 'reference' : 'canonical_solution';
    if (r[refKey] !== undefined && typeof r[refKey] !== 'string') fail(refKey, `expected a string, got ${typeName(r[refKey])}`);
    if (r.meta !== undefined && (r.meta === null || typeof r.meta !== 'object' || Array.isArray(r.meta))) fail('meta', `expected an object, got ${typeName(r.meta)}`);
    const { tests, entry } = language === 'python' ? pythonTests(r, fail) : javascriptTests(r, fail);
    const extra = Object.fromEntries(Object.entries(r).filter(([k]) => !KNOWN_KEYS.has(k)));
    const meta: Record<string, unknown> = { ...extra, ...(r.meta as Record<string, unknown> | undefined), line, language, ...(entry ? { entry } : {}) };
    const p: Problem = { id, prompt: r.prompt as string, tests, meta };
    if (typeof r[refKey] === 'string') p.reference = r[refKey] as string;
    return p;
  });
}

type Fail = (field: string | undefined, detail: string) => never;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function pythonTests(r: Record<string, unknown>, fail: Fail): { tests: PythonTests; entry?: string } {
  const testKey = r.tests !== undefined ? 'tests' : 'test';
  const hasTests = r[testKey] !== undefined, hasIo = r.inputs !== undefined || r.outputs !== undefined;
  if (hasTests && hasIo) fail(undefined, 'give either tests with entry_point, or inputs with outputs, not both');
  if (hasIo) {
    const inputs = r.inputs, outputs = r.outputs;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string')) fail('inputs', `expected a non-empty list of strings (one stdin per case), got ${JSON.stringify(inputs)?.slice(0, 80) ?? 'nothing'}`);
    if (!Array.isArray(outputs) || outputs.length !== (inputs as unknown[]).length) fail('outputs', `expected a list of ${(inputs as unknown[]).length} outputs, one per input, got ${JSON.stringify(outputs)?.slice(0, 80) ?? 'nothing'}`);
    const cases = (outputs as unknown[]).map((o, i) => {
      const output = Array.isArray(o) && o.every((x) => typeof x === 'string') ? o.join('\n') : o;
      if (typeof output !== 'string') fail(`outputs[${i}]`, `expected a string or a list of lines, got ${typeName(o)}`);
      return { input: (inputs as string[])[i]!, output: output as string };
    });
    return { tests: { format: 'io', cases } };
  }
  if (!hasTests) fail('tests', 'missing; expected tests with entry_point (assert-style) or inputs with outputs (stdin/stdout)');
  const t = r[testKey];
  const code = typeof t === 'string' ? t : Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string') ? t.join('\n') : null;
  if (code === null || code.trim() === '') fail(testKey, `expected Python test code, or a non-empty list of assert lines, got ${JSON.stringify(t)?.slice(0, 80)}`);
  const entry = r.entry_point;
  if (typeof entry !== 'string' || !/^[A-Za-z_]\w*$/.test(entry)) fail('entry_point', `expected the name of the function the tests call, got ${JSON.stringify(entry) ?? 'nothing'}`);
  return { tests: { format: 'assert', code: code as string, entryPoint: entry as string }, entry: entry as string };
}

function javascriptTests(r: Record<string, unknown>, fail: Fail): { tests: string[]; entry?: string } {
  if (r.inputs !== undefined || r.outputs !== undefined) fail('inputs', 'stdin/stdout cases are for --language python; JavaScript problems give tests');
  const t = r.tests;
  const tests = typeof t === 'string' ? [t] : t;
  if (!Array.isArray(tests) || tests.length === 0 || !tests.every((x) => typeof x === 'string' && x.trim() !== '')) {
    fail('tests', `expected JavaScript assert statements (a string or a non-empty list), got ${JSON.stringify(t)?.slice(0, 80) ?? 'nothing'}`);
  }
  const entry = r.entry_point;
  if (entry !== undefined && (typeof entry !== 'string' || !IDENTIFIER.test(entry))) fail('entry_point', `expected a JavaScript identifier, got ${JSON.stringify(entry)}`);
  return { tests: tests as string[], ...(typeof entry === 'string' ? { entry } : {}) };
}

function verifierFor(o: CodeTaskOptions): Verifier {
  const limits = { ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.memoryMb !== undefined ? { memoryMb: o.memoryMb } : {}) };
  if (o.language === 'javascript') return createProgramVerifier(limits);
  return createPythonVerifier({ ...limits, ...(o.python !== undefined ? { python: o.python } : {}) });
}

/** Loads a file of program problems: a train/test split and the sandboxed verifier for its language. */
export async function loadCodeTask(path: string, opts: CodeTaskOptions): Promise<Task> {
  if (!(CODE_LANGUAGES as readonly string[]).includes(opts.language)) throw new Error(`code task ${path}: language must be ${CODE_LANGUAGES.join(' or ')}, got ${JSON.stringify(opts.language)}`);
  const { language, ...rest } = opts;
  const o: CodeTaskOptions = { language, ...readOptions<TaskOpts>(`code task ${path}`, rest, OPTION_SPECS) };
  if (o.testPath !== undefined && o.testFraction !== undefined) throw new Error(`code task ${path}: give either testPath or testFraction, not both`);
  const problems = readCodeProblems(path, language);
  let train: Problem[], test: Problem[];
  if (o.testPath !== undefined) {
    train = problems;
    test = readCodeProblems(o.testPath, language);
    checkDisjoint(train, path, test, o.testPath);
  } else {
    // As a user task file: a fixed function of each problem (its id, else its prompt), not of the seed.
    ({ train, eval: test } = splitByHash(problems, (p) => splitKey(p, path), o.testFraction ?? 0.1));
  }
  const verifier = verifierFor(o);
  return { name: o.name ?? basename(path, extname(path)), verifier, train, test, description: `${language} problems from ${path}, run in a sandbox by the ${verifier.name} verifier` };
}

/** As a command gives it: --task FILE --language L [--task-opts k=v,...], with the run's seed unless the options set one. */
export async function loadCodeTaskInput(t: { task: string; taskOpts?: string; matcher?: string | undefined; verifier?: string | undefined; testData?: string | undefined; language: CodeLanguage; seed: number }): Promise<Task> {
  if (t.matcher !== undefined || t.verifier !== undefined) {
    throw new Error(`--language ${t.language} grades problems by running their tests; give it without --${t.matcher !== undefined ? 'matcher' : 'verifier'}`);
  }
  if (!/\.(jsonl|json)$/i.test(t.task)) throw new Error(`--language ${t.language} reads a task file (.jsonl or .json) of programming problems, got --task ${t.task}`);
  return loadCodeTask(t.task, { seed: t.seed, ...(t.testData !== undefined ? { testPath: t.testData } : {}), ...parseTaskOpts(t.taskOpts), language: t.language } as CodeTaskOptions);
}
