import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VerifiedProblem } from '../verifier.js';
import { createPythonVerifier, extractPython, pythonTestsOf, type PythonTests } from './python-verifier.js';
import { pythonRuntime } from './runtime.js';

const why = await pythonRuntime().then(() => null, (e: Error) => e.message);
const skip = why === null ? false : `python3 is not available: ${why}`;

const PROMPT = 'def add(a, b):\n    """The sum of a and b."""\n';
const ASSERT: PythonTests = { format: 'assert', code: 'def check(candidate):\n    assert candidate(2, 3) == 5\n', entryPoint: 'add' };
const IO: PythonTests = { format: 'io', cases: [{ input: '2 3\n', output: '5\n' }] };

describe('extractPython', () => {
  test('a python fence wins; a fence that lacks the entry point is the body of the prompt\'s function', () => {
    assert.equal(extractPython(PROMPT, 'Sure:\n```python\ndef add(a, b):\n    return a + b\n```\nDone.', ASSERT), 'def add(a, b):\n    return a + b\n');
    assert.equal(extractPython(PROMPT, '```\n    return a + b\n```', ASSERT), `${PROMPT}    return a + b\n`);
    assert.equal(extractPython('Read two numbers.', '```py\nprint(1)\n```', IO), 'print(1)\n');
  });

  test('without a fence, a prompt that defines the entry point is continued up to HumanEval\'s stop sequences', () => {
    assert.equal(extractPython(PROMPT, '    return a + b\n\ndef test():\n    pass\n', ASSERT), `${PROMPT}    return a + b\n`);
    assert.equal(extractPython(PROMPT, '    return a + b\nprint(add(1, 2))', ASSERT), `${PROMPT}    return a + b`);
    assert.equal(extractPython(PROMPT, '    return a + b', ASSERT), `${PROMPT}    return a + b`);
  });

  test('otherwise the completion is the program; nothing at all is null', () => {
    assert.equal(extractPython('Write add.', 'def add(a, b): return a + b', ASSERT), 'def add(a, b): return a + b');
    assert.equal(extractPython('Read two numbers.', 'print(sum(map(int, input().split())))', IO), 'print(sum(map(int, input().split())))');
    assert.equal(extractPython('Read two numbers.', '  \n', IO), null);
  });
});

describe('pythonTestsOf', () => {
  test('a malformed problem is the task\'s bug and throws naming the problem', () => {
    const p = (tests: unknown): VerifiedProblem => ({ id: 'p1', prompt: 'x', tests });
    assert.throws(() => pythonTestsOf(p(undefined)), /problem "p1" needs tests of format "assert" or "io"/);
    assert.throws(() => pythonTestsOf(p({ format: 'assert', code: '', entryPoint: 'f' })), /needs tests.code/);
    assert.throws(() => pythonTestsOf(p({ format: 'assert', code: 'x', entryPoint: 'f()' })), /entryPoint, a Python identifier, got "f\(\)"/);
    assert.throws(() => pythonTestsOf(p({ format: 'io', cases: [{ input: 1, output: '' }] })), /needs tests.cases/);
    assert.deepEqual(pythonTestsOf(p(IO)), IO);
  });
});

describe('createPythonVerifier', { skip }, () => {
  const v = createPythonVerifier({ timeoutMs: 2000 });
  test('reward 1 for a correct completion, with the program and the walls in the verdict', async () => {
    const r = await v.verify({ id: 'add', prompt: PROMPT, tests: ASSERT }, '    return a + b\n');
    assert.equal(r.correct, true);
    assert.equal(r.reward, 1);
    assert.equal(r.extracted, `${PROMPT}    return a + b\n`);
    assert.match(r.detail!, /^pass: 1 calls \[isolation: .*rlimits.*\]$/);
    assert.equal(v.name, 'python');
  });

  test('reward 0 for a wrong program, a wrong output, and a completion with no code', async () => {
    const wrong = await v.verify({ id: 'add', prompt: PROMPT, tests: ASSERT }, '    return a - b\n');
    assert.deepEqual([wrong.correct, wrong.reward], [false, 0]);
    assert.match(wrong.detail!, /^fail: assertion failed/);
    const io = await v.verify({ id: 'sum', prompt: 'Read two numbers, print their sum.', tests: IO }, 'print(6)');
    assert.match(io.detail!, /^fail: expected "5\\n", got "6\\n"/);
    assert.deepEqual(await v.verify({ id: 'sum', prompt: 'x', tests: IO }, ''), { correct: false, reward: 0, extracted: null, detail: 'no Python code in the completion' });
  });
});
