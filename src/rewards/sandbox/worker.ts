// The child side of runInSandbox (sandbox.ts). It runs in its own Node process that the parent
// started with the permission model (no fs beyond this file, no child processes, no workers, no
// addons), string compilation disabled for the whole process, a small heap, an empty env and
// /dev/null for stdin. Two vm realms live here besides this one: the sample's (sample-realm.ts),
// where the untrusted code runs with no handle on `process`, `require` or `import`, and the
// judge's (judge-realm.ts), where the tests run and compare. They never share an object: a test
// calls the sample's functions through stubs, and arguments and results cross as data
// (crossing.ts). The parent enforces the wall clock; the vm timeout here only makes the common
// case (a plain infinite loop) end with a readable message instead of a kill.
//
// Protocol: the payload arrives as JSON on fd 3 (stdin stays closed); the result leaves as one
// JSON line on stdout, tagged with a nonce the untrusted code never sees, so nothing it prints
// could pass for a verdict even if it found a way to print.
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import vm from 'node:vm';
import { CrossingError, toWire } from './crossing.js';
import { JUDGE_BOOTSTRAP, type JudgeControl } from './judge-realm.js';
import { SAMPLE_BOOTSTRAP, type SampleControl } from './sample-realm.js';

export interface WorkerPayload {
  code: string;
  tests: string[];
  entry: string | null;
  timeoutMs: number;
  nonce: string;
}

export type WorkerStatus = 'pass' | 'fail' | 'error' | 'timeout' | 'forbidden';

export interface WorkerReport {
  nonce: string;
  status: WorkerStatus;
  detail: string;
  passedTests: number;
  totalTests: number;
}

/** Longest detail reported; the parent caps stdout as well, this keeps a verdict readable. */
const DETAIL_CHARS = 600;

// Dynamic import() is the one way out of a vm context that needs no leaked object: Node rejects
// it with an error from *this* realm (whose constructor chain reaches a Function that compiles
// in this realm), and Node 20 offers no hook that keeps the rejection inside the context
// (importModuleDynamically needs --experimental-vm-modules). So code that mentions the keyword
// `import` never runs. The check errs on the safe side: `import` inside a string or a comment,
// or as a property name, is refused too. A keyword cannot be spelled with escapes, and a token
// glued to a preceding identifier character would be part of a longer identifier.
const IMPORT_KEYWORD = /(?<![\w$])import(?![\w$])/;

interface Realm<C> { context: vm.Context; ctl: C; names: Set<string> }

type Outcome = { ok: true; value: unknown } | { ok: false; kind: 'timeout' | 'compile' | 'throw'; message: string };

async function main(): Promise<void> {
  const payload = JSON.parse(await readPayload()) as WorkerPayload;
  report(payload.nonce, run(payload));
  process.exit(0);
}

// A stream, not readFileSync(3): libuv leaves fds above 2 in whatever blocking mode they came
// in, and a non-blocking one would fail with EAGAIN if the parent had not written yet.
function readPayload(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const input = new Socket({ fd: 3, readable: true, writable: false });
    input.on('data', (c: Buffer) => chunks.push(c));
    input.on('error', reject);
    input.on('end', () => {
      input.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function run(p: WorkerPayload): Omit<WorkerReport, 'nonce'> {
  const total = p.tests.length;
  const result = (status: WorkerStatus, detail: string, passedTests = 0) => ({ status, detail, passedTests, totalTests: total });
  if (IMPORT_KEYWORD.test(p.code)) return result('forbidden', 'import is not available in the sandbox (the code mentions `import`)');
  // Both realms exist before the sample's first line runs, so everything they capture is original.
  const judge = makeRealm<JudgeControl>('judge', JUDGE_BOOTSTRAP);
  const sample = makeRealm<SampleControl>('sandbox', SAMPLE_BOOTSTRAP);
  // Monotonic, like the clock vm's own timeout runs on.
  const deadline = performance.now() + p.timeoutMs;
  const forbidden = () => {
    const what = sample.ctl.forbidden();
    return typeof what === 'string' ? `${what} is not available in the sandbox` : null;
  };

  const loaded = exec(sample.context, p.code, 'solution.js', deadline);
  let f = forbidden();
  if (f) return result('forbidden', f);
  if (!loaded.ok) {
    if (loaded.kind === 'timeout') return result('timeout', `solution did not finish loading within ${p.timeoutMs} ms`);
    return result('error', `solution ${loaded.kind === 'compile' ? 'does not compile' : 'threw while loading'}: ${loaded.message}`);
  }
  if (p.entry !== null) {
    const kind = exec(sample.context, `typeof ${p.entry}`, 'entry-check.js', deadline);
    f = forbidden();
    if (f) return result('forbidden', f);
    if (!kind.ok || kind.value !== 'function') return result('error', `solution does not define function ${p.entry}`);
  }
  const linked = linkSample(p, sample, judge, deadline);
  f = forbidden();
  if (f) return result('forbidden', f);
  if (!linked) return result('timeout', `solution did not finish loading within ${p.timeoutMs} ms`);

  let passed = 0;
  let firstFailure: string | null = null;
  for (let i = 0; i < total; i++) {
    const out = exec(judge.context, p.tests[i]!, `test-${i + 1}.js`, deadline, judge.ctl.lastFailure);
    f = forbidden();
    if (f) return result('forbidden', f, passed);
    if (out.ok) { passed++; continue; }
    const where = `test ${i + 1} \`${clip(p.tests[i]!, 120)}\``;
    if (out.kind === 'timeout') return result('timeout', `${where} ran past the ${p.timeoutMs} ms limit (${passed}/${total} passed before it)`, passed);
    firstFailure ??= `${where}: ${out.message}`;
  }
  if (passed === total) return result('pass', `${passed}/${total} tests passed`, passed);
  return result('fail', `${passed}/${total} tests passed; first failure: ${firstFailure}`, passed);
}

function makeRealm<C>(name: string, bootstrap: string): Realm<C> {
  // A null-prototype sandbox object: with a plain {} the context's globalThis.constructor would be
  // this realm's Object, and its .constructor this realm's Function.
  const context = vm.createContext(Object.create(null), {
    name,
    codeGeneration: { strings: false, wasm: false },
    // Promise jobs run inside runInContext and so count against its timeout.
    microtaskMode: 'afterEvaluate',
  });
  const ctl = new vm.Script(bootstrap, { filename: `${name}-bootstrap.js` }).runInContext(context) as C;
  // Own and inherited, read before any sample code runs.
  const list = new vm.Script(`{ const n = []; for (let o = globalThis; o !== null; o = Object.getPrototypeOf(o)) n.push(...Object.getOwnPropertyNames(o)); n; }`)
    .runInContext(context) as string[];
  return { context, ctl, names: new Set([...list]) };
}

// A name a test uses that the judge lacks is the sample's to define: each function becomes a stub
// in the judge that calls across (crossing.ts), each primitive a copy. Names the sample's realm
// had before its code ran (console, process, Math) are not the sample's, except the entry.
// False when linking ran out of time (a getter that loops).
function linkSample(p: WorkerPayload, sample: Realm<SampleControl>, judge: Realm<JudgeControl>, deadline: number): boolean {
  const fns = new Map<string, unknown>();
  const call = (name: string, args: unknown[]): string => crossCall(name, fns.get(name), args, sample.ctl);
  for (const name of identifiersIn(p.tests)) {
    if (name !== p.entry && (judge.names.has(name) || sample.names.has(name))) continue;
    const kind = exec(sample.context, `typeof ${name}`, 'link.js', deadline);
    if (!kind.ok && kind.kind === 'timeout') return false;
    if (!kind.ok || kind.value === 'undefined') continue;
    const value = exec(sample.context, name, 'link.js', deadline);
    if (!value.ok && value.kind === 'timeout') return false;
    if (!value.ok) continue;
    if (typeof value.value === 'function') {
      fns.set(name, value.value);
      judge.ctl.defineFunction(name, call);
    } else if (typeof value.value !== 'object' || value.value === null) {
      judge.ctl.defineValue(name, toWire(value.value));
    }
  }
  return true;
}

/** Identifiers in the tests that are not property names; keywords among them fail to compile later and are skipped. */
function identifiersIn(tests: string[]): Set<string> {
  const out = new Set<string>();
  for (const t of tests) for (const m of t.matchAll(/(?<![\w$.])[A-Za-z_$][\w$]*/g)) out.add(m[0]);
  return out;
}

// One call of a sample's function from a test. Arguments go in and the result comes out as wire
// strings; a throw, or a result that is not data, becomes a failure message. It runs inside the
// judge's runInContext, so vm's timeout still stops a sample that loops here.
function crossCall(name: string, fn: unknown, args: unknown[], sample: SampleControl): string {
  let argv: unknown;
  try {
    argv = sample.decode(toWire(args));
  } catch (err) {
    return `!${name}(...): its arguments cannot be passed into the sandbox (${describe(err)})`;
  }
  let value: unknown;
  try {
    value = Reflect.apply(fn as (...a: unknown[]) => unknown, undefined, argv as unknown[]);
  } catch (err) {
    return `!${name}(...) threw ${describe(err)}`;
  }
  try {
    return `=${toWire(value)}`;
  } catch (err) {
    if (err instanceof CrossingError) return `!${name}(...) returned a value that cannot leave the sandbox: ${err.message}`;
    return `!${name}(...) returned a value whose getter threw ${describe(err)}`;
  }
}

function exec(context: vm.Context, source: string, filename: string, deadline: number, lastFailure?: () => unknown): Outcome {
  let script: vm.Script;
  try {
    script = new vm.Script(source, { filename });
  } catch (err) {
    return { ok: false, kind: 'compile', message: describe(err) };
  }
  const left = Math.ceil(deadline - performance.now());
  if (left < 1) return { ok: false, kind: 'timeout', message: 'time limit reached' };
  try {
    // Only primitives and the sample's functions are read from `value` (linkSample).
    const value: unknown = script.runInContext(context, { timeout: left, breakOnSigint: false });
    return { ok: true, value };
  } catch (err) {
    // vm makes its timeout error in the context's realm, so a sample could throw a look-alike;
    // the clock decides. A forged one gains nothing anyway: a timeout is not a pass.
    if (performance.now() >= deadline - 1) return { ok: false, kind: 'timeout', message: 'time limit reached' };
    const assertion = lastFailure !== undefined && lastFailure() === err;
    return { ok: false, kind: 'throw', message: assertion ? describe(err) : `threw ${describe(err)}` };
  }
}

/** Name and message of anything thrown, read defensively: it may be a hostile object from the sample. */
function describe(err: unknown): string {
  try {
    if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
      const e = err as { name?: unknown; message?: unknown };
      const name = typeof e.name === 'string' ? e.name : 'Error';
      const message = typeof e.message === 'string' ? e.message : '';
      return message ? `${name}: ${message}` : name;
    }
    return typeof err === 'string' ? JSON.stringify(err) : String(err);
  } catch {
    return '(an unreadable value)';
  }
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n)}...` : one;
}

function report(nonce: string, r: Omit<WorkerReport, 'nonce'>): void {
  const line: WorkerReport = { nonce, ...r, detail: clip(r.detail, DETAIL_CHARS) };
  writeSync(1, `${JSON.stringify(line)}\n`);
}

await main();
