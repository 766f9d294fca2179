// The 'program' task: the built-in problems are a real oracle for the sandboxed verifier (each
// reference passes its own tests, a do-nothing stub passes none), and the task is known by name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { programVerifier } from '../../../rewards/sandbox/program-verifier.js';
import { programProblems } from './programs.js';
import { programTask } from './program-task.js';
import { getTask } from '../registry.js';

describe('the built-in program problems', () => {
  // The oracle for the built-in tasks: each reference passes its own tests, and a stub that
  // returns nothing passes none of the problems, so the tests discriminate.
  test('every built-in reference passes; a do-nothing stub fails every problem', async () => {
    const ps = programProblems();
    const good = await Promise.all(ps.map((p) => programVerifier.verify(p, p.reference)));
    ps.forEach((p, i) => assert.equal(good[i]!.correct, true, `${p.id}: ${good[i]!.detail}`));
    const stub = await Promise.all(ps.map((p) => programVerifier.verify(p, `function ${p.meta.signature} { return undefined; }`)));
    ps.forEach((p, i) => assert.match(stub[i]!.detail!, /^fail: /, p.id));
  });
});

describe('the program task', () => {
  test('is registered by name and splits the built-in problems', async () => {
    const t = await getTask('program', { testFraction: 0.25, timeoutMs: 1000 });
    assert.equal(t.name, 'program');
    assert.equal(t.verifier.name, 'program');
    assert.equal(t.train.length + t.test.length, programProblems().length);
    assert.deepEqual(programTask().test.map((p) => p.id), t.test.map((p) => p.id));
    assert.throws(() => programTask({ timeoutMs: 1 }), /program: option "timeoutMs" must be an integer in \[50, 60000\], got 1/);
  });
});
