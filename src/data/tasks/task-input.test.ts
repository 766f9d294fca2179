// A task named on the command line: built-in names with k=v options, files with a matcher or a
// verifier module, and the run's seed passed only to tasks that draw at random.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { loadTaskInput, parseTaskOpts } from './task-input.js';

test('parseTaskOpts reads k=v pairs as numbers, booleans and strings, and names a bad pair', () => {
  assert.deepEqual(parseTaskOpts('digits=2, carries=false,name=x'), { digits: 2, carries: false, name: 'x' });
  assert.deepEqual(parseTaskOpts(''), {});
  assert.throws(() => parseTaskOpts('trainSize'), /--task-opts: "trainSize" is not key=value/);
});

test('a built-in task takes its options and the run seed; the program task, which splits by id, takes the seed too', async () => {
  const a = await loadTaskInput({ task: 'arithmetic', taskOpts: 'digits=1,trainSize=6,testSize=2', seed: 3 });
  const b = await loadTaskInput({ task: 'arithmetic', taskOpts: 'digits=1,trainSize=6,testSize=2', seed: 4 });
  assert.equal(a.train.length, 6);
  assert.notDeepEqual(a.train.map((p) => p.prompt), b.train.map((p) => p.prompt), 'the seed draws other problems');
  const p = await loadTaskInput({ task: 'program', seed: 7 });
  assert.equal(p.name, 'program');
  await assert.rejects(loadTaskInput({ task: 'arithmetic', matcher: 'numeric', seed: 0 }), /--matcher grades the problems of a task file; the built-in task "arithmetic" has its own verifier/);
});

test('a task file is graded by its matcher', async () => {
  const file = join(tempDir('task-input-'), 'qa.jsonl');
  writeFileSync(file, ['{"prompt": "2+2=", "answer": "4"}', '{"prompt": "3+3=", "answer": "6"}'].join('\n') + '\n');
  const t = await loadTaskInput({ task: file, matcher: 'numeric', taskOpts: 'testFraction=0', seed: 0 });
  assert.equal(t.train.length, 2);
  const four = t.train.find((p) => p.answer === '4')!;
  assert.equal((await t.verifier.verify(four, '4.0')).correct, true, 'numeric: 4.0 is 4');
  assert.equal((await t.verifier.verify(four, '5')).correct, false);
});
