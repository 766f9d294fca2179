import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { pythonRuntime } from '../../rewards/python/runtime.js';
import { loadCodeTask, loadCodeTaskInput, readCodeProblems } from './code-task.js';

const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/python-problems.jsonl', import.meta.url));
const dir = tempDir('code-task-');
const file = (name: string, records: unknown[]) => {
  const p = join(dir, name);
  writeFileSync(p, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return p;
};
const why = await pythonRuntime().then(() => null, (e: Error) => e.message);

describe('readCodeProblems (python)', () => {
  test('the committed fixture: assert-style and stdin/stdout problems, each with a reference', () => {
    const ps = readCodeProblems(FIXTURE, 'python');
    assert.equal(ps.length, 8);
    const formats = ps.map((p) => (p.tests as { format: string }).format);
    assert.deepEqual(formats, ['assert', 'assert', 'assert', 'assert', 'assert', 'io', 'io', 'io']);
    assert.ok(ps.every((p) => typeof p.reference === 'string'));
    const pal = ps.find((p) => p.id === 'py-is-palindrome')!;
    assert.deepEqual(pal.tests, { format: 'assert', code: "assert is_palindrome('level')\nassert not is_palindrome('levels')\nassert is_palindrome('')", entryPoint: 'is_palindrome' });
    const fizz = ps.find((p) => p.id === 'py-fizzbuzz')!;
    assert.equal((fizz.tests as { cases: { output: string }[] }).cases[0]!.output, '1\n2\nFizz\n4\nBuzz', 'a list of lines is one output');
    assert.equal(ps.find((p) => p.id === 'py-answer')!.meta!['note'] !== undefined, true, 'unknown keys go to meta');
  });

  test('HumanEval\'s own field names are read', () => {
    const p = readCodeProblems(file('he.jsonl', [{ task_id: 'HumanEval/0', prompt: 'def f(x):\n', canonical_solution: '    return x\n', test: 'def check(c):\n    assert c(1) == 1\n', entry_point: 'f' }]), 'python')[0]!;
    assert.equal(p.id, 'HumanEval/0');
    assert.equal(p.reference, '    return x\n');
    assert.deepEqual(p.tests, { format: 'assert', code: 'def check(c):\n    assert c(1) == 1\n', entryPoint: 'f' });
  });

  test('every bad record is refused naming the file, the line and the field', () => {
    const bad = (records: unknown[], re: RegExp, language: 'python' | 'javascript' = 'python') => assert.throws(() => readCodeProblems(file('bad.jsonl', records), language), re);
    const ok = { prompt: 'p', tests: 'assert f(1) == 1', entry_point: 'f' };
    bad([ok, { prompt: 'q', tests: 'assert f(1) == 1' }], /bad\.jsonl:2: field "entry_point": expected the name of the function the tests call, got nothing/);
    bad([{ prompt: 'q', entry_point: 'f' }], /bad\.jsonl:1: field "tests": missing; expected tests with entry_point/);
    bad([{ prompt: 'q', inputs: ['1'], outputs: ['1', '2'] }], /field "outputs": expected a list of 1 outputs, one per input/);
    bad([{ prompt: 'q', inputs: [], outputs: [] }], /field "inputs": expected a non-empty list of strings/);
    bad([{ ...ok, inputs: ['1'], outputs: ['1'] }], /bad\.jsonl:1: give either tests with entry_point, or inputs with outputs, not both/);
    bad([{ ...ok, id: 'a' }, { ...ok, prompt: 'q', id: 'a' }], /bad\.jsonl:2: field "id": duplicate id "a" \(first used on line 1\)/);
    bad([{ ...ok, prompt: '' }], /field "prompt": expected a non-empty string/);
    bad([{ prompt: 'q', inputs: ['1'], outputs: ['1'] }], /field "inputs": stdin\/stdout cases are for --language python/, 'javascript');
    bad([{ prompt: 'q', tests: [] }], /field "tests": expected JavaScript assert statements/, 'javascript');
  });
});

describe('loadCodeTask', () => {
  test('a split fixed by each problem (not the seed), a separate test file, and options checked by name', async () => {
    const t = await loadCodeTask(FIXTURE, { language: 'python', testFraction: 0.25, seed: 3 });
    const again = await loadCodeTask(FIXTURE, { language: 'python', testFraction: 0.25, seed: 4 });
    assert.deepEqual([t.train.length + t.test.length, t.verifier.name, t.name], [8, 'python', 'python-problems']);
    assert.ok(t.test.length > 0 && t.train.length > 0);
    assert.deepEqual(again.test.map((p) => p.id), t.test.map((p) => p.id), 'another seed, the same split (issue 16: a hash of each problem)');
    assert.equal(t.train.filter((p) => t.test.some((q) => q.id === p.id)).length, 0);
    const train = file('train.jsonl', [{ prompt: 'a', tests: 'assert f() == 1', entry_point: 'f' }]);
    const test2 = file('test.jsonl', [{ prompt: 'b', inputs: ['1'], outputs: ['1'] }]);
    const sep = await loadCodeTask(train, { language: 'python', testPath: test2 });
    assert.deepEqual([sep.train.length, sep.test.length], [1, 1]);
    await assert.rejects(loadCodeTask(train, { language: 'python', testPath: train }), /the same prompt is also in the training file/);
    await assert.rejects(loadCodeTask(train, { language: 'python', timeoutMs: 10 }), /code task .*train\.jsonl: option "timeoutMs" must be an integer in \[50, 600000\], got 10/);
    await assert.rejects(loadCodeTask(train, { language: 'python', testPath: test2, testFraction: 0.2 }), /either testPath or testFraction/);
    await assert.rejects(loadCodeTask(train, { language: 'ruby' as 'python' }), /language must be python or javascript, got "ruby"/);
  });

  test('as a command gives it: task options, and no matcher, verifier module or built-in task beside --language', async () => {
    const t = await loadCodeTaskInput({ task: FIXTURE, taskOpts: 'testFraction=0.5,timeoutMs=3000', language: 'python', seed: 1 });
    assert.deepEqual(t.test.map((p) => p.id), (await loadCodeTask(FIXTURE, { language: 'python', testFraction: 0.5 })).test.map((p) => p.id), 'testFraction from --task-opts');
    assert.ok(t.test.length > (await loadCodeTask(FIXTURE, { language: 'python', testFraction: 0.1 })).test.length);
    await assert.rejects(loadCodeTaskInput({ task: 'program', language: 'python', seed: 0 }), /--language python reads a task file \(\.jsonl or \.json\) of programming problems, got --task program/);
    await assert.rejects(loadCodeTaskInput({ task: FIXTURE, matcher: 'exact', language: 'python', seed: 0 }), /give it without --matcher/);
    await assert.rejects(loadCodeTaskInput({ task: FIXTURE, taskOpts: 'digits=2', language: 'python', seed: 0 }), /unknown option "digits"/);
  });

  test('javascript problems are graded by the program verifier', async () => {
    const js = file('js.jsonl', [{ prompt: '// add(a, b)\n', tests: ['assert.equal(add(1, 2), 3)'], entry_point: 'add' }, { prompt: '// two\n', tests: 'assert.equal(two(), 2)' }]);
    const t = await loadCodeTask(js, { language: 'javascript', testFraction: 0 });
    assert.equal(t.verifier.name, 'program');
    const [add] = t.train;
    assert.equal(add!.meta!['entry'], 'add');
    assert.equal((await t.verifier.verify(add!, 'function add(a, b) { return a + b; }')).correct, true);
    assert.equal((await t.verifier.verify(add!, 'function add(a, b) { return a - b; }')).correct, false);
  });
});

describe('the fixture\'s references', { skip: why === null ? false : `python3 is not available: ${why}` }, () => {
  test('every reference passes its own tests in the sandbox; a wrong one does not', async () => {
    const t = await loadCodeTask(FIXTURE, { language: 'python', testFraction: 0 });
    const verdicts = await Promise.all(t.train.map((p) => t.verifier.verify(p, p.reference!)));
    assert.deepEqual(verdicts.map((v, i) => `${t.train[i]!.id}: ${v.detail!.split(' [')[0]!.split(':')[0]}`), t.train.map((p) => `${p.id}: pass`));
    assert.equal((await t.verifier.verify(t.train.find((p) => p.id === 'py-add')!, '    return a - b\n')).correct, false);
  });
});
