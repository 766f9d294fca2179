// Shape and split of the built-in program problems. That every reference passes its own tests
// (and a do-nothing stub fails them) is checked in program-task.test.ts, which runs the sandbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROGRAM_TEST_FRACTION, programProblems, programSplit, programSplitOf } from './programs.js';

test('20 to 40 problems with unique ids, each with 3 to 5 tests', () => {
  const ps = programProblems();
  assert.ok(ps.length >= 20 && ps.length <= 40, `${ps.length} problems`);
  assert.equal(new Set(ps.map((p) => p.id)).size, ps.length);
  for (const p of ps) {
    assert.ok(p.tests.length >= 3 && p.tests.length <= 5, `${p.id}: ${p.tests.length} tests`);
    for (const t of p.tests) assert.ok(t.includes(`${p.meta.entry}(`), `${p.id}: test ${t} does not call ${p.meta.entry}`);
  }
});

test('a prompt is "// signature: description" and the reference defines that signature', () => {
  for (const p of programProblems()) {
    assert.equal(p.id, `program-${p.meta.entry}`);
    assert.match(p.prompt, /^\/\/ [A-Za-z]\w*\([\w, ]*\): .+\n$/, p.id);
    assert.ok(p.prompt.startsWith(`// ${p.meta.signature}: `), p.id);
    assert.ok(p.reference.startsWith(`function ${p.meta.signature} {\n`), p.id);
    assert.ok(p.reference.endsWith('\n}'), p.id);
  }
  const add = programProblems()[0]!;
  assert.equal(add.prompt + add.reference, '// add(a, b): the sum of the numbers a and b\nfunction add(a, b) {\n  return a + b;\n}');
});

test('the split is fixed by id: disjoint, complete, both sides non-empty, same on every call', () => {
  const { train, test: held } = programSplit();
  const all = programProblems().map((p) => p.id);
  assert.ok(train.length > 0 && held.length > 0);
  assert.deepEqual([...train, ...held].map((p) => p.id).sort(), [...all].sort());
  assert.equal(new Set([...train, ...held].map((p) => p.id)).size, all.length);
  assert.deepEqual(programSplit(), { train, test: held });
  for (const p of held) assert.equal(programSplitOf(p.id), 'test');
  assert.equal(PROGRAM_TEST_FRACTION, 0.25);
  // Pinned so a change to the table or the hash that moves problems across sides is noticed.
  assert.deepEqual(held.map((p) => p.meta.entry), ['reverseString', 'isPalindrome', 'abs', 'average', 'evens', 'repeatString', 'toFahrenheit']);
});

test('a larger test fraction only moves problems from train to test', () => {
  const small = new Set(programSplit(0.25).test.map((p) => p.id));
  const big = new Set(programSplit(0.5).test.map((p) => p.id));
  for (const id of small) assert.ok(big.has(id), id);
  assert.equal(programSplit(0).test.length, 0);
  assert.throws(() => programSplit(1), /testFraction must be in \[0, 1\), got 1/);
});

test('programProblems returns fresh objects', () => {
  const a = programProblems();
  a[0]!.tests.push('assert(false)');
  assert.equal(programProblems()[0]!.tests.length, 3);
});
