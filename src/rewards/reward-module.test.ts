// A user's reward module, as TRL's reward_funcs: the export found by either name, sync or async,
// called with the row's other fields, and every way it can go wrong named with the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../io/temp-dir.test.js';
import { loadRewardModule } from './reward-module.js';

const dir = tempDir('alignkit-reward-module-');
const mod = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('a named reward export sees the prompt, the completion and the row\'s fields', async () => {
  const m = await loadRewardModule(mod('named.mjs', 'export function reward(p, c, f) { return (c.trim() === String(f.answer) ? 1 : 0) + p.length / 100; }'));
  assert.equal(m.name, 'module:named.mjs');
  assert.equal(await m.score('2+2=', ' 4', { answer: 4 }), 1.04);
  assert.equal(await m.score('2+2=', '5', { answer: 4 }), 0.04);
});

test('a default export, async, with a name; a CommonJS-style object', async () => {
  const a = await loadRewardModule(mod('default.mjs', 'export const name = "length"; export default async (p, c) => -c.length;'));
  assert.equal(a.name, 'length');
  assert.equal(await a.score('x', 'abc', {}), -3);
  const b = await loadRewardModule(mod('object.mjs', 'export default { scale: 2, reward(p, c) { return this.scale * c.length; } };'));
  assert.equal(await b.score('x', 'ab', {}), 4);
});

test('a missing file, a module without reward, and a reward that is not a finite number are named', async () => {
  await assert.rejects(loadRewardModule(join(dir, 'none.mjs')), /reward module .*none\.mjs: no such file/);
  await assert.rejects(loadRewardModule(mod('other.mjs', 'export const verify = () => true;')), /expected an export "reward\(prompt, completion, fields\)", named or default; found verify \(function\)/);
  await assert.rejects(loadRewardModule(mod('broken.mjs', 'export function reward( {')), /reward module .*broken\.mjs: failed to load/);
  const nan = await loadRewardModule(mod('nan.mjs', 'export const reward = (p, c) => c === "" ? NaN : "high";'));
  await assert.rejects(nan.score('p', '', {}), /nan\.mjs: reward\(\) returned NaN; expected a finite number/);
  await assert.rejects(nan.score('p', 'x', {}), /nan\.mjs: reward\(\) returned "high"; expected a finite number/);
});
