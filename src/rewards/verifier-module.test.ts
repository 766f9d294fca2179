import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVerifierModule } from './verifier-module.js';

const dir = mkdtempSync(join(tmpdir(), 'alignkit-verifier-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mod = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const problem = { id: 'q1', prompt: '2+2=', answer: '4' };

test('a named verify export returning a boolean', async () => {
  const v = await loadVerifierModule(mod('named.mjs', 'export function verify(p, c) { return c.trim() === p.answer; }'));
  assert.equal(v.name, 'module:named.mjs');
  assert.deepEqual(await v.verify(problem, ' 4'), { correct: true, reward: 1 });
  assert.deepEqual(await v.verify(problem, '5'), { correct: false, reward: 0 });
});

test('a default export, async, returning a verdict object and a name', async () => {
  const v = await loadVerifierModule(mod('default.mjs', [
    'export const name = "parity";',
    'export default async (p, c) => ({ correct: Number(c) % 2 === 0, extracted: c.trim(), detail: "even?" });',
  ].join('\n')));
  assert.equal(v.name, 'parity');
  assert.deepEqual(await v.verify(problem, '8'), { correct: true, reward: 1, extracted: '8', detail: 'even?' });
});

test('a CommonJS module returning a graded reward', async () => {
  const v = await loadVerifierModule(mod('graded.cjs', 'module.exports = { verify: (p, c) => c.length / 4 };'));
  assert.deepEqual(await v.verify(problem, 'ab'), { correct: false, reward: 0.5 });
  assert.deepEqual(await v.verify(problem, 'abcd'), { correct: true, reward: 1 });
});

test('clear errors for a missing file, a broken module, no verify, a bad return value', async () => {
  await assert.rejects(loadVerifierModule(join(dir, 'nope.mjs')), { message: `verifier module ${join(dir, 'nope.mjs')}: no such file` });
  await assert.rejects(loadVerifierModule(mod('broken.mjs', 'export function verify( {')), /broken\.mjs: failed to load \(/);
  await assert.rejects(
    loadVerifierModule(mod('noverify.mjs', 'export const check = () => true; export const n = 1;')),
    /noverify\.mjs: expected an export "verify\(problem, completion\)", named or default; found check \(function\), n \(number\)/,
  );
  const bad = await loadVerifierModule(mod('bad.mjs', 'export const verify = () => "yes";'));
  await assert.rejects(Promise.resolve(bad.verify(problem, '4')), /bad\.mjs: verify\(\) for problem "q1": returned "yes"; expected a boolean, a number, or \{correct/);
});
