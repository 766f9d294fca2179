import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from '../datasets/dataset-error.js';
import { loadUserTask, readUserProblems } from './user-task.js';
import { makeMatcher } from '../../rewards/matchers.js';

const dir = mkdtempSync(join(tmpdir(), 'alignkit-user-task-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const jsonl = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function failsWith(p: Promise<unknown> | (() => unknown), expected: string | RegExp): Promise<DatasetError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof DatasetError, `expected a DatasetError, got ${String(err)}`);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    return err;
  }
  assert.fail('expected a DatasetError');
}

test('reads {prompt, answer} records with optional id, reference and extra keys', async () => {
  const p = file('math.jsonl', jsonl(
    { prompt: '2+2=', answer: 4, reference: '2+2=4\n#### 4' },
    { id: 'q-7', prompt: '3*3=', answer: '9', level: 'easy' },
  ) + '\n' + jsonl({ prompt: '1+0=', answer: '1', meta: { level: 'hard' } }));
  const task = await loadUserTask(p, { matcher: 'numeric', testFraction: 0 });
  assert.equal(task.name, 'math');
  assert.equal(task.verifier.name, 'numeric');
  assert.deepEqual(task.test, []);
  assert.deepEqual(task.train, [
    { id: 'math:1', prompt: '2+2=', answer: '4', reference: '2+2=4\n#### 4', meta: { line: 1 } },
    { id: 'q-7', prompt: '3*3=', answer: '9', meta: { level: 'easy', line: 2 } },
    { id: 'math:4', prompt: '1+0=', answer: '1', meta: { level: 'hard', line: 4 } },
  ]);
  assert.equal((await task.verifier.verify(task.train[1]!, ' 9.0')).correct, true);
});

test('errors name the file, the line and the field', async () => {
  const cases: [string, string, string][] = [
    ['bad-json.jsonl', jsonl({ prompt: 'a', answer: '1' }, { prompt: 'b', answer: '2' }) + '{"prompt": "c",\n', ':3: invalid JSON ('],
    ['no-prompt.jsonl', jsonl({ prompt: 'a', answer: '1' }, { answer: '2' }), ':2: field "prompt": missing, expected a string'],
    ['num-prompt.jsonl', jsonl({ prompt: 5, answer: '1' }), ':1: field "prompt": expected a string, got number'],
    ['no-answer.jsonl', jsonl({ prompt: 'a', answer: '1' }, { prompt: 'b' }), ':2: field "answer": missing, expected "answer" (or "tests" graded by a verifier module)'],
    ['obj-answer.jsonl', jsonl({ prompt: 'a', answer: { x: 1 } }), ':1: field "answer": expected a string or a number, got object'],
    ['array.jsonl', jsonl({ prompt: 'a', answer: '1' }, ['b', '2']), ':2: expected a JSON object per record, got array'],
    ['dup-id.jsonl', jsonl({ id: 'x', prompt: 'a', answer: '1' }, { prompt: 'b', answer: '2' }, { id: 'x', prompt: 'c', answer: '3' }), ':3: field "id": duplicate id "x" (first used on line 1)'],
    ['bad-ref.jsonl', jsonl({ prompt: 'a', answer: '1', reference: ['1'] }), ':1: field "reference": expected a string, got array'],
    ['tests-only.jsonl', jsonl({ prompt: 'a', tests: ['assert f(1) == 2'] }), ':1: field "answer": missing; the "exact" matcher compares completions with "answer" (records with only "tests" need a verifier module)'],
  ];
  for (const [name, content, tail] of cases) {
    const p = file(name, content);
    // JSON.parse's own wording differs between Node versions: match only up to it.
    const err = await failsWith(loadUserTask(p), tail.endsWith('(') ? new RegExp(`^${escape(p + tail)}`) : p + tail);
    assert.equal(err.line, Number(/^:(\d+)/.exec(tail)![1]), name);
  }
  const dup = file('dup-prompt.jsonl', jsonl({ prompt: 'a', answer: '1' }, { prompt: 'b', answer: '2' }, { prompt: 'a', answer: '1' }));
  await failsWith(loadUserTask(dup, { repeats: 'error' }), `${dup}:3: field "prompt": the same prompt as line 1; each problem once`);
  const numeric = file('text-answer.jsonl', jsonl({ prompt: 'a', answer: '4' }, { prompt: 'b', answer: 'four' }));
  await failsWith(loadUserTask(numeric, { matcher: 'numeric' }), `${numeric}:2: field "answer": expected a number for the "numeric" matcher, got "four"`);
  const regex = file('bad-regex.jsonl', jsonl({ prompt: 'a', answer: '(unclosed' }));
  await failsWith(loadUserTask(regex, { matcher: 'regex' }), new RegExp(`^${escape(regex)}:1: field "answer": invalid regular expression`));
  await failsWith(loadUserTask(file('empty.jsonl', '\n\n')), /empty\.jsonl: empty file \(no records\)$/);
  await failsWith(loadUserTask(join(dir, 'missing.jsonl')), /missing\.jsonl: no such file$/);
  await failsWith(loadUserTask(file('data.csv', 'a,b\n')), /data\.csv: unsupported file extension "\.csv"; expected \.jsonl or \.json$/);
  await failsWith(() => readUserProblems(file('arr.json', '[\n  {"prompt": "a", "answer": "1"},\n  {"prompt": ""}\n]\n')), /arr\.json:3: field "prompt": expected a non-empty string$/);
});

test('records with tests are graded by a verifier module', async () => {
  const data = file('prog.jsonl', jsonl(
    { id: 'inc', prompt: 'def f(x):', tests: [['1', '2'], ['5', '6']] },
    { id: 'dbl', prompt: 'def g(x):', tests: [['2', '4']] },
  ));
  const mod = file('run-tests.mjs', 'export function verify(p, c) { return p.tests.every(([x, y]) => c.replaceAll("x", x).trim() === y); }');
  const task = await loadUserTask(data, { verifier: mod, testFraction: 0.5, seed: 1 });
  assert.equal(task.verifier.name, 'module:run-tests.mjs');
  assert.equal(task.train.length + task.test.length, 2);
  assert.equal(task.train.length, 1);
  const inc = [...task.train, ...task.test].find((p) => p.id === 'inc')!;
  assert.deepEqual(inc.tests, [['1', '2'], ['5', '6']]);
  assert.equal(inc.answer, undefined);
  await failsWith(loadUserTask(file('empty-tests.jsonl', jsonl({ prompt: 'a', tests: [] })), { verifier: mod }), /empty-tests\.jsonl:1: field "tests": expected at least one test, got an empty list$/);
  await assert.rejects(loadUserTask(data, { verifier: join(dir, 'nope.mjs') }), /verifier module .*nope\.mjs: no such file/);
});

test('options: a separate test file must not overlap; bad or conflicting options', async () => {
  const train = file('tr.jsonl', jsonl({ prompt: 'a', answer: '1' }, { id: 'k', prompt: 'b', answer: '2' }));
  const test1 = file('te.jsonl', jsonl({ prompt: 'c', answer: '3' }));
  const task = await loadUserTask(train, { testPath: test1, matcher: 'exact', matcherOptions: { ignoreCase: true } });
  assert.deepEqual(task.test.map((p) => p.id), ['te:1']);
  assert.equal(task.train.length, 2);
  const sameId = file('te-id.jsonl', jsonl({ prompt: 'c', answer: '3' }, { id: 'k', prompt: 'z', answer: '3' }));
  await failsWith(loadUserTask(train, { testPath: sameId }), `${sameId}:2: field "id": id "k" is also in the training file ${train} (line 2); train and test must not overlap`);
  const samePrompt = file('te-prompt.jsonl', jsonl({ prompt: 'a', answer: '1' }));
  await failsWith(loadUserTask(train, { testPath: samePrompt }), `${samePrompt}:1: field "prompt": the same prompt is also in the training file ${train} (line 1); train and test must not overlap`);
  await assert.rejects(loadUserTask(train, { matcher: 'exact', verifier: 'v.mjs' }), /give either a matcher \("exact"\) or a verifier module \(v\.mjs\), not both/);
  await assert.rejects(loadUserTask(train, { matcher: 'fuzzy' }), /unknown matcher "fuzzy"; known matchers: exact, numeric, regex, last-number/);
  await assert.rejects(loadUserTask(train, { testFraction: 1 }), /option "testFraction" must be a number in \[0, 1\), got 1/);
  assert.equal(makeMatcher('exact').checkAnswer('x'), null);
});

test('a prompt repeated over lines is kept, once per line, and its copies stay on one side of the split', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => ({ prompt: `q${i % 10}`, answer: String(i % 10) }));
  const p = file('repeats.jsonl', jsonl(...lines));
  const task = await loadUserTask(p, { testFraction: 0.3, seed: 1 });
  assert.equal(task.train.length + task.test.length, 40);
  assert.equal(new Set([...task.train, ...task.test].map((x) => x.id)).size, 40, 'each line its own id');
  const trainPrompts = new Set(task.train.map((x) => x.prompt));
  assert.ok(task.test.length > 0 && task.test.every((x) => !trainPrompts.has(x.prompt)), 'no prompt on both sides');
  assert.equal(task.test.length % 4, 0, 'each held-out prompt with all four of its copies');
});

test('the held-out problems are fixed by each problem (its id, else its prompt), not by the seed or the line order (issue 16)', async () => {
  const records = Array.from({ length: 60 }, (_, i) => ({ prompt: `${i}+1=`, answer: i + 1, ...(i % 3 === 0 ? { id: `p${i}` } : {}) }));
  const a = await loadUserTask(file('split-a.jsonl', jsonl(...records)), { matcher: 'numeric', testFraction: 0.25, seed: 1 });
  const b = await loadUserTask(file('split-b.jsonl', jsonl(...[...records].reverse())), { matcher: 'numeric', testFraction: 0.25, seed: 2 });
  const prompts = (ps: { prompt: string }[]) => ps.map((p) => p.prompt).sort();
  assert.deepEqual(prompts(b.test), prompts(a.test), 'another seed and the reverse order hold out the same problems');
  assert.ok(a.test.length > 5 && a.test.length < 25, `${a.test.length} of 60 held out at 0.25`);
  // An explicit id keeps a problem's side when its prompt is edited.
  const edited = records.map((r) => ('id' in r ? { ...r, prompt: `${r.prompt} (edited)` } : r));
  const c = await loadUserTask(file('split-c.jsonl', jsonl(...edited)), { matcher: 'numeric', testFraction: 0.25 });
  assert.deepEqual(c.test.map((p) => p.id).filter((id) => id.startsWith('p')).sort(), a.test.map((p) => p.id).filter((id) => id.startsWith('p')).sort());
  assert.match(a.description!, /0\.25 held out by a hash of each problem's id or prompt/);
});
