// Runs model-written Python against a task's tests (issue 16, part 2), in the two shapes the
// benchmarks use. Assert-style (HumanEval's `check(candidate)`, MBPP's `assert f(x) == y`): the
// sample serves its entry point from one confined process and the tests run in another, calling
// it through a stub; answers cross as data, so the sample never sees an expected value and no
// object of its making reaches an assertion. Stdin/stdout (APPS): the sample runs as a program
// per case and this process compares what it printed with the expected output. Either way the
// judgement is made where the sample cannot reach: a sentinel it prints, `exit(0)` before the
// tests, a patched `assert` or `sys.modules`, an `__eq__` that always holds, all change nothing.
// Every process is confined (confine-source.ts) and killed with its group when done.
import { defaultLimiter, type Limiter } from '../sandbox/limiter.js';
import { startConfined, type ConfinedProcess, type Limits, type Message } from './confined-process.js';
import { pythonRuntime, type PythonRuntime } from './runtime.js';

export type PythonStatus = 'pass' | 'fail' | 'timeout' | 'memory' | 'error';

export interface PythonResult {
  passed: boolean;
  /**
   * pass: every test held (every case printed its output). fail: a test failed, the program
   * raised or printed something else. timeout: the wall clock or the CPU limit ran out.
   * memory: the address-space limit stopped it. error: the code does not compile, fails while
   * loading, or lacks the entry point (or the tests never call it).
   */
  status: PythonStatus;
  detail: string;
  /** The walls in force for this run (runtime.ts), for the verdict. */
  isolation: string[];
  /** From the first spawn to the last exit; time queued for a slot is not counted. */
  durationMs: number;
}

export interface PythonSandboxOptions {
  /** Wall clock per run: the whole test script, or one stdin/stdout case. HumanEval's harness allows 3 s. */
  timeoutMs?: number;
  /** Address space of each process; 256 MB holds any answer a short problem asks for. */
  memoryMb?: number;
  /** The interpreter (a command or path); default $ALIGNKIT_PYTHON, python3 or /usr/bin/python3. */
  python?: string;
  /** A runtime to use as it is instead of the probed one (runtime.ts); tests use it to take walls away. */
  runtime?: PythonRuntime;
  limiter?: Limiter;
}

export interface IoCase { input: string; output: string }

/** Python start-up under a namespace wrapper is not the sample's fault. */
const STARTUP_GRACE_MS = 1000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Run { rt: PythonRuntime; limits: Limits; timeoutMs: number }

async function prepare(opts: PythonSandboxOptions): Promise<Run> {
  const timeoutMs = opts.timeoutMs ?? 4000;
  const memoryMb = opts.memoryMb ?? 256;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`python sandbox: timeoutMs must be a positive number, got ${timeoutMs}`);
  if (!(Number.isInteger(memoryMb) && memoryMb >= 64)) throw new RangeError(`python sandbox: memoryMb must be an integer >= 64, got ${memoryMb}`);
  const rt = opts.runtime ?? await pythonRuntime(opts.python);
  const limits: Limits = { cpuSeconds: Math.ceil(timeoutMs / 1000) + 1, memoryBytes: memoryMb * 2 ** 20, fileBytes: 4 * 2 ** 20, processes: 8 };
  return { rt, limits, timeoutMs };
}

/** Runs `tests` (Python; `check(candidate)` is called when the tests define it) against `entry` of `code`. */
export async function runPythonTests(code: string, tests: string, entry: string, opts: PythonSandboxOptions = {}): Promise<PythonResult> {
  if (typeof code !== 'string' || typeof tests !== 'string') throw new TypeError('runPythonTests: code and tests must be strings');
  if (!IDENTIFIER.test(entry)) throw new TypeError(`runPythonTests: entry must be a Python identifier, got ${JSON.stringify(entry)}`);
  if (tests.trim() === '') throw new RangeError('runPythonTests: tests must not be empty');
  const run = await prepare(opts);
  return (opts.limiter ?? defaultLimiter()).run(() => assertRun(run, code, tests, entry));
}

/** Runs `code` as a program once per case, with the case's input on stdin; it passes when every output matches. */
export async function runPythonIo(code: string, cases: IoCase[], opts: PythonSandboxOptions = {}): Promise<PythonResult> {
  if (typeof code !== 'string') throw new TypeError('runPythonIo: code must be a string');
  if (!Array.isArray(cases) || cases.length === 0) throw new RangeError('runPythonIo: cases must be a non-empty array');
  const run = await prepare(opts);
  return (opts.limiter ?? defaultLimiter()).run(() => ioRun(run, code, cases));
}

/** Why a process that served or ran the sample ended early, from how it ended. */
function deathOf(p: ConfinedProcess, x: { code: number | null; signal: NodeJS.Signals | null; error?: string }, memoryMessage: boolean): { status: PythonStatus; detail: string } {
  if (x.error) return { status: 'error', detail: `python could not be started: ${x.error}` };
  // SIGXCPU at the soft CPU limit, SIGKILL at the hard one a second later (unless this side killed it).
  if (x.signal === 'SIGXCPU' || (x.signal === 'SIGKILL' && !p.killed())) return { status: 'timeout', detail: 'the CPU time limit ended it' };
  const last = p.stderr().trim().split('\n').pop()?.slice(0, 300) ?? '';
  if (memoryMessage || /^MemoryError\b/.test(last)) return { status: 'memory', detail: 'the memory limit stopped it (MemoryError)' };
  return { status: 'fail', detail: `it ended with ${x.signal ? `signal ${x.signal}` : `exit status ${x.code}`}${last ? `: ${last}` : ''}` };
}

function assertRun(run: Run, code: string, tests: string, entry: string): Promise<PythonResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sample = startConfined(run.rt, { mode: 'serve', code, entry }, run.limits);
    const checker = startConfined(run.rt, { mode: 'check', tests, entry }, run.limits);
    let isolation: string[] = [];
    let stage: 'starting' | 'loading' | 'serving' = 'starting';
    let waiting: string | null = null, replyDue = false, settled = false;
    const finish = (status: PythonStatus, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sample.kill();
      checker.kill();
      void Promise.all([sample.exited, checker.exited]).then(() =>
        resolve({ passed: status === 'pass', status, detail, isolation, durationMs: Math.round(performance.now() - t0) }));
    };
    const timer = setTimeout(() => finish('timeout', `killed after ${run.timeoutMs} ms (+${STARTUP_GRACE_MS} ms start-up grace)`), run.timeoutMs + STARTUP_GRACE_MS);
    const forward = (line: string) => { replyDue = true; sample.sendLine(line); };
    sample.onMessage((m, line) => {
      if (stage === 'starting') {
        if (!Array.isArray(m.ready)) return finish('error', 'the sample process did not start');
        isolation = m.ready.map(String);
        stage = 'loading';
      } else if (stage === 'loading') {
        if (m.load === 'memory' || m.load === 'error') return finish(m.load, String(m.detail));
        if (m.load !== 'ok') return finish('error', `the program did not load (its first message: ${JSON.stringify(m).slice(0, 120)})`);
        stage = 'serving';
        if (waiting) forward(waiting);
      } else if (replyDue) {
        // Lines the sample writes when no call is waiting are dropped; the one after a call is its answer.
        replyDue = false;
        if ('ok' in m) checker.sendLine(line);
        else checker.send(cleanReply(m));
      }
    });
    checker.onMessage((m, line) => {
      // Both processes start behind the same walls; the checker's list stands in until the sample's arrives.
      if (Array.isArray(m.ready)) { if (isolation.length === 0) isolation = m.ready.map(String); return; }
      if (m.call !== undefined) {
        if (stage === 'serving') forward(line);
        else waiting = line;
      } else if (typeof m.verdict === 'string') {
        finish(verdictStatus(m.verdict), String(m.detail ?? ''));
      }
    });
    void sample.exited.then((x) => {
      if (settled) return;
      const d = deathOf(sample, x, false);
      finish(stage === 'serving' ? d.status : d.status === 'fail' ? 'error' : d.status, `${stage === 'serving' ? 'while the tests ran' : 'while loading'}, ${d.detail}`);
    });
    void checker.exited.then((x) => {
      if (!settled) finish('error', `the test process ended without a verdict (${x.error ?? x.signal ?? `exit ${x.code}`}): ${checker.stderr().trim().split('\n').pop() ?? ''}`);
    });
  });
}

// An answer (`ok`) goes on as the sample wrote it: the checker decodes it by exact type, and
// anything malformed in it fails that call. Anything else is rebuilt from the fields it may have.
function cleanReply(m: Message): Message {
  if ('memory' in m) return { memory: 'MemoryError' };
  const r = m.raise;
  if (Array.isArray(r) && typeof r[0] === 'string' && IDENTIFIER.test(r[0])) return { raise: [r[0], String(r[1] ?? '').slice(0, 300)] };
  return { raise: ['RuntimeError', 'the program answered with something that is not a reply'] };
}

function verdictStatus(v: string): PythonStatus {
  return v === 'pass' || v === 'memory' || v === 'error' ? v : 'fail';
}

async function ioRun(run: Run, code: string, cases: IoCase[]): Promise<PythonResult> {
  const t0 = performance.now();
  let isolation: string[] = [];
  const result = (status: PythonStatus, detail: string): PythonResult => ({ passed: status === 'pass', status, detail, isolation, durationMs: Math.round(performance.now() - t0) });
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const r = await ioCase(run, code, c);
    isolation = r.isolation;
    const where = cases.length > 1 ? `case ${i + 1}/${cases.length}: ` : '';
    if (r.status !== 'pass') return result(r.status, `${where}${r.detail}`);
    if (!sameOutput(r.stdout, c.output)) return result('fail', `${where}expected ${show(c.output)}, got ${show(r.stdout)}`);
  }
  return result('pass', `${cases.length}/${cases.length} cases printed the expected output`);
}

function ioCase(run: Run, code: string, c: IoCase): Promise<{ status: PythonStatus; detail: string; stdout: string; isolation: string[] }> {
  return new Promise((resolve) => {
    // Room for the expected output and then some; a flood past it cannot match anyway.
    const cap = 2 * c.output.length + 64 * 1024;
    const p = startConfined(run.rt, { mode: 'io', code }, run.limits, { stdin: c.input, stdoutCap: cap });
    let isolation: string[] = [], compile: string | null = null, memory = false, timedOut = false;
    const timer = setTimeout(() => { timedOut = true; p.kill(); }, run.timeoutMs + STARTUP_GRACE_MS);
    p.onMessage((m) => {
      if (Array.isArray(m.ready) && isolation.length === 0) isolation = m.ready.map(String);
      else if (typeof m.compile === 'string') compile = m.compile;
      else if (m.memory !== undefined) memory = true;
    });
    void p.exited.then((x) => {
      clearTimeout(timer);
      const end = (status: PythonStatus, detail: string) => resolve({ status, detail, stdout: p.stdout(), isolation });
      if (timedOut) return end('timeout', `killed after ${run.timeoutMs} ms (+${STARTUP_GRACE_MS} ms start-up grace)`);
      if (p.overflowed()) return end('fail', `it printed more than ${cap} bytes`);
      if (isolation.length === 0) return end('error', `the Python process did not start: ${x.error ?? p.stderr().trim().split('\n').pop() ?? ''}`);
      if (compile !== null) return end('error', `does not compile: ${compile}`);
      if (x.code === 0) return end('pass', '');
      const d = deathOf(p, x, memory);
      end(d.status, d.detail);
    });
  });
}

/** APPS-style: line by line, ignoring trailing spaces and trailing blank lines. */
export function sameOutput(got: string, want: string): boolean {
  const lines = (s: string) => {
    const l = s.replace(/\r\n?/g, '\n').split('\n').map((x) => x.trimEnd());
    while (l.length > 0 && l[l.length - 1] === '') l.pop();
    return l;
  };
  const a = lines(got), b = lines(want);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function show(s: string): string {
  const j = JSON.stringify(s);
  return j.length > 120 ? `${j.slice(0, 120)}..."` : j;
}
