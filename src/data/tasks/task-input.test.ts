// A task named on the command line: built-in names with k=v options, files with a matcher or a
// verifier module, and the run's seed passed only to tasks that draw at random.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { describeTask, loadTaskInput, parseTaskOpts } from './task-input.js';

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

test('--test-data replaces the held-out split of a task file or a built-in task, and says where the problems came from', async () => {
  const root = tempDir('task-input-test-data-');
  const train = join(root, 'qa.jsonl'), test = join(root, 'qa-test.jsonl');
  writeFileSync(train, Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `${i}+${i}=`, answer: 2 * i })).join('\n') + '\n');
  writeFileSync(test, ['{"prompt": "20+20=", "answer": 40}', '{"prompt": "30+30=", "answer": 60}'].join('\n') + '\n');
  const t = await loadTaskInput({ task: train, matcher: 'numeric', testData: test, seed: 0 });
  assert.deepEqual([t.train.length, t.test.map((p) => p.prompt)], [10, ['20+20=', '30+30=']], 'every problem of the task file trains');
  assert.equal(describeTask(t), `task qa: 10 training and 2 test problems (user task from ${train}, graded by numeric; test problems from ${test})`);
  const arith = await loadTaskInput({ task: 'arithmetic', taskOpts: 'digits=1,trainSize=6,testSize=2', testData: test, seed: 0 });
  assert.deepEqual(arith.test.map((p) => p.prompt), ['20+20=', '30+30=']);
  assert.equal((await arith.verifier.verify(arith.test[0]!, 'The answer is 40.\n#### 40')).correct, true, "the built-in task's verifier grades them");
  await assert.rejects(loadTaskInput({ task: train, testData: test, taskOpts: 'testFraction=0.2', seed: 0 }), /--test-data .*: give it or --task-opts testFraction=…, not both/);
  await assert.rejects(loadTaskInput({ task: train, testData: train, seed: 0 }), /field "prompt": the same prompt is also in the training file/);
});
