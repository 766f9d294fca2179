// The Python sandbox on honest and plainly wrong programs: both task shapes, every status, and
// the walls named in each result. Skipped, saying why, where no python3 can be run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runPythonIo, runPythonTests, sameOutput, type PythonStatus } from './python-sandbox.js';
import { pythonRuntime } from './runtime.js';

const why = await pythonRuntime().then(() => null, (e: Error) => e.message);
const skip = why === null ? false : `python3 is not available: ${why}`;

const CHECK = `
METADATA = {}

def check(candidate):
    assert candidate(2, 3) == 5
    assert candidate(-1, 1) == 0
    assert candidate(0.5, 0.25) == 0.75
`;
const opts = { timeoutMs: 1500 };
const expectTests = async (code: string, want: PythonStatus, tests = CHECK, entry = 'add') => {
  const r = await runPythonTests(code, tests, entry, opts);
  assert.equal(r.status, want, `status ${r.status} (${r.detail})`);
  assert.equal(r.passed, want === 'pass');
  assert.ok(r.isolation.includes('rlimits'), r.isolation.join(', '));
  return r;
};

describe('runPythonTests: assert-style tests (HumanEval, MBPP)', { skip }, () => {
  test('a correct function passes; the result names the walls in force', async () => {
    const r = await expectTests('def add(a, b):\n    return a + b\n', 'pass');
    assert.match(r.detail, /3 calls/);
  });

  test('a wrong function fails with the tests\' line', async () => {
    const r = await expectTests('def add(a, b):\n    return a * b\n', 'fail');
    assert.match(r.detail, /assertion failed \(tests line 5\)/);
  });

  test('MBPP-style top-level asserts call the entry point by name', async () => {
    await expectTests('def add(a, b):\n    return a + b\n', 'pass', 'assert add(1, 2) == 3\nassert add(2, 2) == 4\n');
    await expectTests('def add(a, b):\n    return 3\n', 'fail', 'assert add(1, 2) == 3\nassert add(2, 2) == 4\n');
  });

  test('answers cross as plain data: tuples, dicts, sets, floats, None, bytes, big ints, helpers and imports', async () => {
    const code = `import math, collections, itertools, functools, heapq, re, fractions
class Box:
    def __init__(self, v): self.v = v
def helper(x):
    return Box(x).v
def f(n):
    c = collections.Counter('abca')
    return (helper(n), {'a': c['a'], 1: None}, {1, 2}, math.sqrt(4.0), b'\\x00x', n ** 80 + 1, [re.sub('b', 'c', 'ab')], str(fractions.Fraction(1, 3)))`;
    // Integers past 2^53 cross both ways exactly.
    const tests = `def check(candidate):
    assert candidate(7) == (7, {'a': 2, 1: None}, {1, 2}, 2.0, b'\\x00x', 7 ** 80 + 1, ['ac'], '1/3')
    assert candidate(3 ** 60)[0] == 3 ** 60
    assert type(candidate(1)[0]) is int`;
    await expectTests(code, 'pass', tests, 'f');
  });

  test('printing while serving calls costs nothing: stdout is drained, not judged', async () => {
    await expectTests('def add(a, b):\n    print("debug " * 50000)\n    return a + b\n', 'pass');
  });

  test('a raised exception reaches the tests as a builtin exception; keyword arguments cross', async () => {
    const code = 'def f(x, *, strict=False):\n    if x < 0:\n        raise ValueError("negative")\n    return x if not strict else -x\n';
    const tests = 'def check(candidate):\n    try:\n        candidate(-1)\n        assert False\n    except ValueError as e:\n        assert str(e) == "negative"\n    assert candidate(2, strict=True) == -2\n';
    await expectTests(code, 'pass', tests, 'f');
  });

  test('no compile, a failure while loading, a missing entry point and tests that never call it are errors', async () => {
    assert.match((await expectTests('def add(a, b) return a + b', 'error')).detail, /does not compile: SyntaxError/);
    assert.match((await expectTests('raise RuntimeError("boom")\n', 'error')).detail, /raised while loading: RuntimeError: boom/);
    assert.match((await expectTests('def plus(a, b):\n    return a + b\n', 'error')).detail, /does not define add\(\)/);
    assert.match((await expectTests('def add(a, b):\n    return a + b\n', 'error', 'x = 1\n')).detail, /never called add/);
  });

  test('a loop is a timeout, an allocation past the limit is memory', async () => {
    await expectTests('def add(a, b):\n    while True:\n        pass\n', 'timeout');
    await expectTests('def add(a, b):\n    return len(bytearray(2 ** 34))\n', 'memory');
  });

  test('bad arguments throw before anything runs', async () => {
    await assert.rejects(runPythonTests('x', CHECK, 'add; import os'), /entry must be a Python identifier/);
    await assert.rejects(runPythonTests('x', '  ', 'add'), /tests must not be empty/);
    await assert.rejects(runPythonTests('x', CHECK, 'add', { timeoutMs: 0 }), /timeoutMs/);
    await assert.rejects(runPythonTests('x', CHECK, 'add', { memoryMb: 8 }), /memoryMb/);
    await assert.rejects(runPythonIo('x', []), /cases must be a non-empty array/);
  });
});

describe('runPythonIo: stdin/stdout cases (APPS)', { skip }, () => {
  const SUM = 'a, b = map(int, input().split())\nprint(a + b)\n';
  const CASES = [{ input: '2 3\n', output: '5\n' }, { input: '-1 1\n', output: '0' }];

  test('a program that prints every expected output passes', async () => {
    const r = await runPythonIo(SUM, CASES, opts);
    assert.equal(r.status, 'pass', r.detail);
    assert.match(r.detail, /2\/2 cases/);
    assert.ok(r.isolation.length > 0);
  });

  test('a wrong output fails, naming the case, what was expected and what was printed', async () => {
    const r = await runPythonIo('a, b = map(int, input().split())\nprint(a - b)\n', CASES, opts);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'case 1/2: expected "5\\n", got "-1\\n"');
  });

  test('a runtime error fails, a syntax error is an error, a loop times out', async () => {
    const crash = await runPythonIo('print(int(input()) // 0)\n', CASES, opts);
    assert.equal(crash.status, 'fail');
    assert.match(crash.detail, /exit status 1: ValueError|ZeroDivisionError/);
    assert.equal((await runPythonIo('print(', CASES, opts)).status, 'error');
    assert.equal((await runPythonIo('while True: pass', CASES, opts)).status, 'timeout');
  });

  test('outputs compare line by line, ignoring trailing spaces and blank lines', () => {
    assert.ok(sameOutput('5  \n\n', '5'));
    assert.ok(sameOutput('1\r\n2\r\n', '1\n2\n'));
    assert.ok(!sameOutput('1 2', '1  2'));
    assert.ok(!sameOutput('', '0'));
  });
});
