import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTask, listTasks, registerTask, unregisterTask } from './registry.js';
import { readOptions } from './task-options.js';

const dir = mkdtempSync(join(tmpdir(), 'alignkit-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the built-in tasks are registered and built by name', async () => {
  assert.deepEqual(listTasks().map((t) => t.name), ['arithmetic', 'g2p', 'user', 'program']);
  const a = await getTask('arithmetic', { trainSize: 10, testSize: 5, digits: 1 });
  assert.equal(a.name, 'arithmetic');
  assert.equal(a.train.length, 10);
  assert.equal(a.test.length, 5);
  const v = await a.verifier.verify(a.train[0]!, a.train[0]!.reference!);
  assert.equal(v.correct, true);
  const g = await getTask('g2p', { trainSize: 20, testSize: 5 });
  assert.equal(g.train.length, 20);
  const p = join(dir, 'qa.jsonl');
  writeFileSync(p, '{"prompt": "Capital of France?", "answer": "Paris"}\n');
  const u = await getTask('user', { path: p, testFraction: 0 });
  assert.equal(u.train[0]!.answer, 'Paris');
});

test('unknown tasks and options fail with what is known', async () => {
  await assert.rejects(getTask('chess'), { message: 'unknown task "chess"; known tasks: arithmetic, g2p, user, program' });
  await assert.rejects(getTask('arithmetic', { digits: 0 }), /arithmetic: option "digits" must be an integer in \[1, 6\], got 0/);
  await assert.rejects(getTask('user', {}), /task "user": option "path" must be the path of a \.jsonl or \.json file, got undefined/);
  await assert.rejects(getTask('user', { path: 'x.jsonl', matchr: 'exact' }), /task "user": unknown option "matchr"/);
});

test('registerTask adds a task once, and unregisterTask removes it', async () => {
  registerTask('toy', () => ({ name: 'toy', verifier: { name: 'accept-all', verify: () => ({ correct: true, reward: 1 }) }, train: [], test: [] }));
  try {
    assert.equal((await getTask('toy')).name, 'toy');
    assert.throws(() => registerTask('toy', () => { throw new Error('never'); }), /task "toy" is already registered/);
    assert.throws(() => registerTask('program', () => { throw new Error('never'); }), /task "program" is already registered/);
  } finally {
    assert.equal(unregisterTask('toy'), true);
  }
  assert.throws(() => registerTask('My Task', () => { throw new Error('never'); }), /name must be kebab-case/);
});

test('readOptions fills defaults and names the bad option', () => {
  const specs = { n: { kind: 'integer', default: 3, min: 1 }, mode: { kind: 'string', default: 'a', oneOf: ['a', 'b'] } } as const;
  type O = { n: number; mode: string };
  assert.deepEqual(readOptions<O>('t', undefined, specs as never), { n: 3, mode: 'a' });
  assert.deepEqual(readOptions<O>('t', { mode: 'b' }, specs as never), { n: 3, mode: 'b' });
  assert.throws(() => readOptions<O>('t', { n: 1.5 }, specs as never), { message: 't: option "n" must be an integer >= 1, got 1.5' });
  assert.throws(() => readOptions<O>('t', { mode: 'c' }, specs as never), { message: 't: option "mode" must be one of a, b, got "c"' });
});
