// The child side of runInSandbox (sandbox.ts). It runs in its own Node process that the parent
// started with the permission model (no fs beyond this file, no child processes, no workers, no
// addons), string compilation disabled for the whole process, a small heap, an empty env and
// /dev/null for stdin. Here the untrusted code runs in a vm context of its own: a realm whose
// globals are only what BOOTSTRAP leaves, with no handle on this realm's `process`, `require`
// or `import`. The parent enforces the wall clock; the vm timeout here only makes the common
// case (a plain infinite loop) end with a readable message instead of a kill.
//
// Protocol: the payload arrives as JSON on fd 3 (stdin stays closed); the result leaves as one
// JSON line on stdout, tagged with a nonce the untrusted code never sees, so nothing it prints
// could pass for a verdict even if it found a way to print.
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import vm from 'node:vm';

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

// Runs inside the context before any untrusted code, so every name it captures is the realm's
// original. It returns the control object the worker keeps; untrusted code never gets a
// reference to it. Names that would hand out a capability throw and are remembered even when
// the caller catches, so a sample that probes and recovers still ends as 'forbidden'.
const BOOTSTRAP = String.raw`'use strict';
(() => {
  const g = globalThis;
  const { defineProperty, freeze, keys, getPrototypeOf, is } = Object;
  const hasOwn = Object.prototype.hasOwnProperty;
  const isArray = Array.isArray;
  const stringify = JSON.stringify;
  let forbidden = null;
  let lastFailure = null;
  class ForbiddenError extends Error {}
  ForbiddenError.prototype.name = 'ForbiddenError';
  class AssertionError extends Error {}
  AssertionError.prototype.name = 'AssertionError';

  const deny = (what) => {
    if (forbidden === null) forbidden = what;
    throw new ForbiddenError(what + ' is not available in the sandbox');
  };
  for (const name of ['require', 'process', 'fetch', 'WebSocket', 'XMLHttpRequest', 'Deno', 'Bun']) {
    defineProperty(g, name, { get: () => deny(name), configurable: true });
  }
  // codeGeneration: {strings: false} already makes these throw; the stand-ins only record the try.
  const denyFunction = function Function() { deny('Function'); };
  denyFunction.prototype = Function.prototype;
  defineProperty(g, 'Function', { value: denyFunction, writable: true, configurable: true });
  defineProperty(g, 'eval', { value: function evaluate() { deny('eval'); }, writable: true, configurable: true });
  for (const sample of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    const proto = getPrototypeOf(sample);
    const what = proto.constructor.name;
    const stand = proto === Function.prototype ? denyFunction : function () { deny(what); };
    if (stand !== denyFunction) stand.prototype = proto;
    defineProperty(proto, 'constructor', { value: stand, writable: true, configurable: true });
  }
  // Memory outside the V8 heap escapes --max-old-space-size; the parent's RSS watchdog is the
  // backstop, and without these constructors a sample cannot reach such memory at all.
  for (const name of ['ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics', 'WebAssembly',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    delete g[name];
  }

  const show = (v) => {
    try {
      const s = typeof v === 'string' ? stringify(v) : typeof v === 'object' && v !== null ? stringify(v) : String(v);
      return typeof s === 'string' ? (s.length > 200 ? s.slice(0, 200) + '...' : s) : String(v);
    } catch { return '(unprintable)'; }
  };
  const fail = (msg, fallback) => {
    lastFailure = new AssertionError(typeof msg === 'string' ? msg : fallback);
    throw lastFailure;
  };
  const deepEqual = (a, b, depth) => {
    if (is(a, b) || a === b) return true;
    if (depth > 64 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (isArray(a) !== isArray(b) || getPrototypeOf(a) !== getPrototypeOf(b)) return false;
    const ka = keys(a), kb = keys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i++) {
      const k = ka[i];
      if (!hasOwn.call(b, k) || !deepEqual(a[k], b[k], depth + 1)) return false;
    }
    return true;
  };
  function assert(cond, msg) { if (!cond) fail(msg, 'assertion failed'); }
  assert.ok = assert;
  assert.equal = assert.strictEqual = (actual, expected, msg) => {
    if (!(is(actual, expected) || actual === expected)) fail(msg, 'expected ' + show(expected) + ', got ' + show(actual));
  };
  assert.notEqual = assert.notStrictEqual = (actual, expected, msg) => {
    if (is(actual, expected) || actual === expected) fail(msg, 'expected anything but ' + show(expected));
  };
  assert.deepEqual = assert.deepStrictEqual = (actual, expected, msg) => {
    if (!deepEqual(actual, expected, 0)) fail(msg, 'expected ' + show(expected) + ', got ' + show(actual));
  };
  assert.throws = (fn, msg) => {
    try { fn(); } catch { return; }
    fail(msg, 'expected the call to throw');
  };
  // Frozen and non-writable: a sample that redefines assert must not turn failures into passes.
  freeze(assert);
  defineProperty(g, 'assert', { value: assert, writable: false, enumerable: false, configurable: false });

  const noop = () => {};
  const stub = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop, dir: noop, table: noop });
  defineProperty(g, 'console', { value: stub, writable: true, configurable: true });
  // Harmless CommonJS habits ("module.exports = add") should not cost a correct sample.
  const mod = { exports: {} };
  defineProperty(g, 'module', { value: mod, writable: true, configurable: true });
  defineProperty(g, 'exports', { value: mod.exports, writable: true, configurable: true });

  return freeze({ forbidden: () => forbidden, lastFailure: () => lastFailure });
})()`;

interface Control { forbidden(): unknown; lastFailure(): unknown }

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

  // A null-prototype sandbox object: with a plain {} the context's globalThis.constructor would be
  // this realm's Object, and its .constructor this realm's Function.
  const context = vm.createContext(Object.create(null), {
    name: 'sandbox',
    codeGeneration: { strings: false, wasm: false },
    // Promise jobs run inside runInContext and so count against its timeout.
    microtaskMode: 'afterEvaluate',
  });
  const ctl = new vm.Script(BOOTSTRAP, { filename: 'sandbox-bootstrap.js' }).runInContext(context) as Control;
  // Monotonic, like the clock vm's own timeout runs on.
  const deadline = performance.now() + p.timeoutMs;
  const forbidden = () => {
    const what = ctl.forbidden();
    return typeof what === 'string' ? `${what} is not available in the sandbox` : null;
  };

  const loaded = exec(context, p.code, 'solution.js', deadline, ctl);
  let f = forbidden();
  if (f) return result('forbidden', f);
  if (!loaded.ok) {
    if (loaded.kind === 'timeout') return result('timeout', `solution did not finish loading within ${p.timeoutMs} ms`);
    return result('error', `solution ${loaded.kind === 'compile' ? 'does not compile' : 'threw while loading'}: ${loaded.message}`);
  }
  if (p.entry !== null) {
    const kind = exec(context, `typeof ${p.entry}`, 'entry-check.js', deadline, ctl);
    f = forbidden();
    if (f) return result('forbidden', f);
    if (!kind.ok || kind.value !== 'function') return result('error', `solution does not define function ${p.entry}`);
  }

  let passed = 0;
  let firstFailure: string | null = null;
  for (let i = 0; i < total; i++) {
    const out = exec(context, p.tests[i]!, `test-${i + 1}.js`, deadline, ctl);
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

function exec(context: vm.Context, source: string, filename: string, deadline: number, ctl: Control): Outcome {
  let script: vm.Script;
  try {
    script = new vm.Script(source, { filename });
  } catch (err) {
    return { ok: false, kind: 'compile', message: describe(err) };
  }
  const left = Math.ceil(deadline - performance.now());
  if (left < 1) return { ok: false, kind: 'timeout', message: 'time limit reached' };
  try {
    // Only a primitive is ever read from `value` (the `typeof entry` check).
    const value: unknown = script.runInContext(context, { timeout: left, breakOnSigint: false });
    return { ok: true, value };
  } catch (err) {
    // vm makes its timeout error in the context's realm, so a sample could throw a look-alike;
    // the clock decides. A forged one gains nothing anyway: a timeout is not a pass.
    if (performance.now() >= deadline - 1) return { ok: false, kind: 'timeout', message: 'time limit reached' };
    const assertion = ctl.lastFailure() === err;
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
