// The binary verifier of ReST-EM's code setting for Python (Singh et al. 2023 use APPS; HumanEval
// and MBPP are Python too): read the program out of a completion, run it against the problem's
// tests in the Python sandbox (python-sandbox.ts), reward 1 when every test holds. The verdict's
// detail names the status, the reason and the walls that were in force. Task files of Python
// problems are read by data/tasks/code-task.ts.
import { binaryVerdict, type Verdict, type VerifiedProblem, type Verifier } from '../verifier.js';
import { runPythonIo, runPythonTests, type IoCase, type PythonSandboxOptions } from './python-sandbox.js';

/** What a Python problem holds in `tests`: test code with its entry point, or stdin/stdout cases. */
export type PythonTests =
  | { format: 'assert'; code: string; entryPoint: string }
  | { format: 'io'; cases: IoCase[] };

export type PythonVerifierOptions = PythonSandboxOptions;

// A fence tagged python (or untagged); a ```js block is not an answer to a Python problem.
const FENCE = /```[ \t]*(?:python3?|py)?[ \t]*\r?\n([\s\S]*?)(?:```|$)/i;
// HumanEval's stop sequences: a completion that continues the prompt's function ends where
// top-level code begins again.
const STOPS = ['\nclass', '\ndef', '\n#', '\nif', '\nprint', '\n```'];

const defines = (code: string, entry: string) => new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${entry}[ \\t]*\\(`, 'm').test(code);

/**
 * The program in a completion. A ```python (or untagged) fence wins; when the prompt defines the
 * entry point and the fenced code does not, the fence is the body and the prompt goes first.
 * Without a fence, a prompt that defines the entry point is continued (HumanEval: prompt plus
 * completion up to the first stop sequence); otherwise the completion is the whole program.
 * Null when there is nothing to run.
 */
export function extractPython(prompt: string, completion: string, tests: PythonTests): string | null {
  const entry = tests.format === 'assert' ? tests.entryPoint : null;
  const fenced = FENCE.exec(completion);
  if (fenced && fenced[1]!.trim() !== '') {
    const code = fenced[1]!;
    return entry !== null && !defines(code, entry) && defines(prompt, entry) ? `${prompt}${code}` : code;
  }
  if (entry !== null && defines(prompt, entry)) {
    const cut = Math.min(...STOPS.map((s) => completion.indexOf(s)).filter((i) => i >= 0), completion.length);
    return `${prompt}${completion.slice(0, cut)}`;
  }
  return completion.trim() === '' ? null : completion;
}

/** The problem's tests, checked: a task that hands over anything else has a bug, so this throws naming it. */
export function pythonTestsOf(problem: VerifiedProblem): PythonTests {
  const t = problem.tests as Partial<PythonTests> | undefined;
  const bad = (what: string) => new Error(`python verifier: problem "${problem.id}" ${what}`);
  if (t?.format === 'assert') {
    if (typeof t.code !== 'string' || t.code.trim() === '') throw bad('needs tests.code, the Python test code');
    if (typeof t.entryPoint !== 'string' || !/^[A-Za-z_]\w*$/.test(t.entryPoint)) throw bad(`needs tests.entryPoint, a Python identifier, got ${JSON.stringify(t.entryPoint)}`);
    return t as PythonTests;
  }
  if (t?.format === 'io') {
    const ok = Array.isArray(t.cases) && t.cases.length > 0 && t.cases.every((c) => typeof c?.input === 'string' && typeof c?.output === 'string');
    if (!ok) throw bad('needs tests.cases, a non-empty list of {input, output} strings');
    return t as PythonTests;
  }
  throw bad(`needs tests of format "assert" or "io", got ${JSON.stringify(problem.tests)?.slice(0, 80) ?? 'nothing'}`);
}

/** A verifier that runs each completion's Python against the problem's tests. */
export function createPythonVerifier(opts: PythonVerifierOptions = {}): Verifier {
  return {
    name: 'python',
    async verify(problem: VerifiedProblem, completion: string): Promise<Verdict> {
      const tests = pythonTestsOf(problem);
      const code = extractPython(problem.prompt, completion, tests);
      if (code === null) return binaryVerdict(false, null, 'no Python code in the completion');
      const r = tests.format === 'assert'
        ? await runPythonTests(code, tests.code, tests.entryPoint, opts)
        : await runPythonIo(code, tests.cases, opts);
      return binaryVerdict(r.passed, code, `${r.status}: ${r.detail} [isolation: ${r.isolation.join(', ')}]`);
    },
  };
}
