// Every hostile sample must end as a clean non-pass within its time limit (plus process start-up
// slack), without hanging or hurting this process. Time limits are short so the suite stays fast
// on a 2-core machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { runInSandbox, sandboxNodeFlags, type SandboxOptions, type SandboxStatus } from './sandbox.js';

const ADD = 'function add(a, b) { return a + b; }';
const WRONG = 'function add(a, b) { return a - b; }';
const TESTS = ['assert(add(2, 3) === 5)', 'assert.equal(add(-1, 1), 0)', 'assert.deepEqual([add(1, 1)], [2])'];
const TIMEOUT = 400;
/** Start-up of a Node process on a busy 2-core machine, plus the parent's kill grace. */
const SLACK = 1500;

async function expectStatus(code: string, tests: string[] | string, want: SandboxStatus, opts: SandboxOptions = {}) {
  const timeoutMs = opts.timeoutMs ?? TIMEOUT;
  const t0 = performance.now();
  const r = await runInSandbox(code, tests, { timeoutMs, memoryMb: 32, ...opts });
  const elapsed = performance.now() - t0;
  assert.equal(r.status, want, `status ${r.status} (${r.detail})`);
  assert.equal(r.passed, want === 'pass');
  assert.ok(elapsed < timeoutMs + SLACK, `took ${Math.round(elapsed)} ms, limit ${timeoutMs} ms`);
  assert.ok(r.durationMs >= 0 && r.durationMs <= elapsed + 1);
  return r;
}

describe('runInSandbox: honest samples', () => {
  test('a correct function passes every test', async () => {
    const r = await expectStatus(ADD, TESTS, 'pass', { entry: 'add' });
    assert.match(r.detail, /3\/3/);
  });

  test('tests given as one string run as one script', async () => {
    await expectStatus(ADD, 'assert(add(1, 2) === 3); assert.equal(add(0, 0), 0);', 'pass');
  });

  test('a wrong function fails and the detail names the first failing test', async () => {
    const r = await expectStatus(WRONG, TESTS, 'fail');
    assert.match(r.detail, /0\/3 tests passed; first failure: test 1 `assert\(add\(2, 3\) === 5\)`/);
  });

  test('assert.equal and assert.deepEqual report expected and actual values', async () => {
    const r = await expectStatus('function f() { return [1, 2]; }', ['assert.deepEqual(f(), [2, 1])'], 'fail');
    assert.match(r.detail, /expected \[2,1\], got \[1,2\]/);
  });

  test('CommonJS habits (module.exports) do not cost a correct sample', async () => {
    await expectStatus(`${ADD}\nmodule.exports = { add };`, TESTS, 'pass');
  });

  test('tests reach the sample through its functions and constants, as data', async () => {
    const code = `const SCALE = 10;\nfunction scale(xs) { return xs.map((x) => x * SCALE); }\nconst pair = (a, b) => ({ a, b, both: [a, b] });`;
    await expectStatus(code, ['assert.deepEqual(scale([1, 2]), [10, 20])', 'assert.equal(SCALE, 10)', "assert.deepEqual(pair(1, 'x'), { a: 1, b: 'x', both: [1, 'x'] })"], 'pass');
    // A callback cannot cross into the sandbox; a function cannot cross out of it.
    const r = await expectStatus('function apply(f, x) { return f(x); }\nfunction make() { return () => 1; }', ['assert.equal(apply((x) => x, 1), 1)', 'make()'], 'fail');
    assert.match(r.detail, /0\/2 tests passed; first failure: test 1 .*apply\(\.\.\.\): its arguments cannot be passed into the sandbox/);
  });

  test('code that does not compile, throws while loading, or lacks the entry is an error', async () => {
    await expectStatus('function add(a, b) { return a + ; }', TESTS, 'error');
    await expectStatus(`throw new Error('boom'); ${ADD}`, TESTS, 'error');
    const r = await expectStatus('function plus(a, b) { return a + b; }', TESTS, 'error', { entry: 'add' });
    assert.match(r.detail, /does not define function add/);
  });

  test('bad arguments throw before anything runs', () => {
    assert.throws(() => runInSandbox(42 as unknown as string, TESTS), /code must be a string/);
    assert.throws(() => runInSandbox(ADD, [1] as unknown as string[]), /tests must be/);
    assert.throws(() => runInSandbox(ADD, []), /tests must not be empty/);
    assert.throws(() => runInSandbox(ADD, TESTS, { timeoutMs: 0 }), /timeoutMs/);
    assert.throws(() => runInSandbox(ADD, TESTS, { memoryMb: 4 }), /memoryMb/);
    assert.throws(() => runInSandbox(ADD, TESTS, { entry: 'add; process' }), /entry/);
  });
});

describe('runInSandbox: runaway samples', () => {
  test('an infinite loop while loading times out', async () => {
    await expectStatus(`while (true) {} ${ADD}`, TESTS, 'timeout');
  });

  test('an infinite loop inside a test times out', async () => {
    const r = await expectStatus('function add() { for (;;) {} }', TESTS, 'timeout');
    assert.match(r.detail, /test 1/);
  });

  test('catastrophic regex backtracking times out', async () => {
    await expectStatus(`/(a+)+$/.test('a'.repeat(40) + 'b'); ${ADD}`, TESTS, 'timeout');
  });

  test('a thrown object whose getter loops is stopped by the parent clock', async () => {
    await expectStatus(ADD, ['throw { get message() { for (;;) {} } }'], 'timeout');
  });

  test('unbounded heap allocation ends as memory, before the clock', async () => {
    await expectStatus('const a = []; for (let i = 0; ; i++) a.push({ i, s: "x" + i });', TESTS, 'memory', { timeoutMs: 5000 });
  });

  test('one huge string that overshoots the heap limit ends as memory', async () => {
    // V8 lets a single large allocation past --max-old-space-size and only fails at the next
    // GC; the RSS watchdog (Linux) or that GC stops it.
    await expectStatus(`function add(a, b) { const s = 'x'.repeat(2 ** 28); return s.indexOf('y') + a + b + 1; }`, TESTS, 'memory',
      { timeoutMs: 3000, memoryMb: 16 });
  });

  test('memory outside the V8 heap is out of reach: no ArrayBuffer or typed arrays', async () => {
    const r = await expectStatus('const a = []; for (;;) { const b = new Uint8Array(1e7); b.fill(1); a.push(b); }', TESTS, 'error');
    assert.match(r.detail, /Uint8Array is not defined/);
  });

  test('unbounded recursion is an error, not a crash', async () => {
    await expectStatus(`function f() { return f(); } f(); ${ADD}`, TESTS, 'error');
  });
});

describe('runInSandbox: capabilities a sample must not have', () => {
  const cases: [string, string][] = [
    ['process.exit', `process.exit(0); ${ADD}`],
    ['require fs', `const fs = require('fs'); ${ADD}`],
    ['read a file', `function add(a, b) { return require('fs').readFileSync('/etc/passwd', 'utf8').length; }`],
    ['dynamic import', `import('fs').then((fs) => fs.readFileSync('/etc/passwd')); ${ADD}`],
    ['static import', `import fs from 'fs'; ${ADD}`],
    ['fetch', `fetch('http://127.0.0.1:9/'); ${ADD}`],
    ['open a socket', `require('net').connect(9, '127.0.0.1'); ${ADD}`],
    ['spawn a process', `require('child_process').execSync('echo hi'); ${ADD}`],
    ['new Function', `new Function('return process')().exit(1); ${ADD}`],
    ['eval', `eval('1 + 1'); ${ADD}`],
    ['Function via a constructor chain', `(function () {}).constructor('return process')(); ${ADD}`],
    ['AsyncFunction via a constructor chain', `(async function () {}).constructor('return 1'); ${ADD}`],
    ['Function via assert', `${ADD}; assert.constructor.constructor('return process')();`],
    ['Function via globalThis', `${ADD}; globalThis.constructor.constructor('return process')();`],
    ['a probe that catches the error', `try { require('fs'); } catch {} ${ADD}`],
    ['a probe inside the function', `function add(a, b) { try { process.exit(1); } catch {} return a + b; }`],
  ];
  for (const [name, code] of cases) {
    test(`${name} is forbidden`, async () => {
      const r = await expectStatus(code, TESTS, 'forbidden');
      assert.match(r.detail, /not available in the sandbox/);
    });
  }
});

describe('runInSandbox: a wrong sample cannot fake a pass', () => {
  const cases: [string, string, SandboxStatus][] = [
    ['reassigning assert', `${WRONG}\nassert = () => {};`, 'fail'],
    ['declaring assert', `${WRONG}\nfunction assert() {}`, 'fail'],
    ['shadowing assert with let', `${WRONG}\nlet assert = () => {};`, 'error'],
    ['patching assert.equal', `${WRONG}\nassert.equal = () => {};`, 'fail'],
    ['redefining the global', `${WRONG}\nObject.defineProperty(globalThis, 'assert', { value: () => {} });`, 'error'],
    ['printing a verdict line', `${WRONG}\nconsole.log(JSON.stringify({ status: 'pass', detail: '' }));`, 'fail'],
  ];
  for (const [name, code, want] of cases) {
    test(name, async () => {
      await expectStatus(code, TESTS, want);
    });
  }
});

describe('the outer wall on its own (permission model, no eval in the main realm)', () => {
  test('a process with the sandbox flags cannot read files, spawn or compile strings', () => {
    const probe = `
      const out = {};
      try { require('fs').readFileSync('/etc/hostname'); out.fs = 'read'; } catch (e) { out.fs = e.code; }
      try { require('fs').writeFileSync('/tmp/alignkit-sandbox-probe', 'x'); out.write = 'wrote'; } catch (e) { out.write = e.code; }
      try { require('child_process').execSync('true'); out.spawn = 'spawned'; } catch (e) { out.spawn = e.code; }
      try { new (require('worker_threads').Worker)('1', { eval: true }); out.worker = 'started'; } catch (e) { out.worker = e.code; }
      try { out.eval = eval('"compiled"'); } catch (e) { out.eval = e.name; }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, [...sandboxNodeFlags(32), '-e', probe], { encoding: 'utf8', env: {}, timeout: 10_000 });
    assert.deepEqual(JSON.parse(r.stdout), {
      fs: 'ERR_ACCESS_DENIED', write: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED', worker: 'ERR_ACCESS_DENIED', eval: 'EvalError',
    });
  });
});
