// `alignkit kto`, `orpo`, `cpo` and `simpo` end to end on a tiny model: TRL's option names, the
// unpaired format and a pair file unpaired for KTO, one run layout, and the errors met first.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig, saveModelDir, Transformer } from '../../../model/index.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { cpoCommand } from './cpo.js';
import { ktoCommand } from './kto.js';
import { orpoCommand } from './orpo.js';
import { simpoCommand } from './simpo.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-pref-cli-'));
const lm = join(root, 'lm'), prefs = join(root, 'prefs.jsonl'), unpaired = join(root, 'unpaired.jsonl');
const quietConsole = { log: console.log, error: console.error };

before(() => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  const S = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'];
  writeFileSync(prefs, S.map((s) => JSON.stringify({ prompt: `${s}:`, chosen: ` a good ${s}`, rejected: ` a bad ${s}` })).join('\n') + '\n');
  writeFileSync(unpaired, S.map((s, i) => JSON.stringify({ prompt: `${s}:`, completion: i % 3 ? ` a good ${s}` : ` a bad ${s}`, label: i % 3 !== 0 })).join('\n') + '\n');
  console.log = () => {};
  console.error = () => {};
});
after(() => {
  Object.assign(console, quietConsole);
  rmSync(root, { recursive: true, force: true });
});

const small = ['--steps', '3', '--batch-size', '4', '--quiet', '--eval-fraction', '0.25', '--learning_rate', '1e-2'];
const runConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;

test('alignkit kto on unpaired records and on a pair file, with TRL\'s weights', async () => {
  const a = join(root, 'kto'), b = join(root, 'kto-pairs');
  assert.equal(await ktoCommand.run(['--model', lm, '--data', unpaired, '--out', a, ...small, '--desirable_weight', '1.5']), 0);
  assert.ok(existsSync(join(a, 'model', 'model.safetensors')) && existsSync(join(a, 'checkpoints', 'reference-logps', 'logps.json')));
  assert.equal(runConfig(a)['desirableWeight'], 1.5);
  assert.equal(await ktoCommand.run(['--model', lm, '--data', prefs, '--out', b, ...small, '--loss_type', 'apo_zero_unpaired']), 0);
  const refs = JSON.parse(readFileSync(join(b, 'checkpoints', 'reference-logps', 'logps.json'), 'utf8')) as { train: { chosen: number[] } };
  assert.equal(refs.train.chosen.length, 12, 'six training pairs, each a desirable and an undesirable example');
});

test('alignkit orpo, cpo and simpo: no reference stage, the policy in <out>/model', async () => {
  for (const [cmd, extra] of [[orpoCommand, ['--beta', '0.2']], [cpoCommand, ['--loss_type', 'ipo', '--cpo_alpha', '0.5']], [simpoCommand, ['--simpo_gamma', '1.0']]] as const) {
    const out = join(root, cmd.name);
    assert.equal(await cmd.run(['--model', lm, '--data', prefs, '--out', out, ...small, ...extra]), 0);
    assert.ok(existsSync(join(out, 'model', 'model.safetensors')), cmd.name);
    assert.equal(existsSync(join(out, 'checkpoints', 'reference-logps')), false, `${cmd.name}: no reference`);
    assert.equal(runConfig(out)['command'], cmd.name);
  }
  assert.deepEqual([runConfig(join(root, 'simpo'))['lossType'], runConfig(join(root, 'simpo'))['cpoAlpha'], runConfig(join(root, 'simpo'))['beta']], ['simpo', 0, 2]);
  assert.equal(runConfig(join(root, 'cpo'))['lossType'], 'ipo');
});

test('the preference commands name what is wrong with their input', async () => {
  const bad = join(root, 'bad.jsonl');
  writeFileSync(bad, JSON.stringify({ prompt: 'a', completion: 'b', label: 'yes' }) + '\n');
  await assert.rejects(ktoCommand.run(['--model', lm, '--data', bad, '--out', join(root, 'x')]), /bad\.jsonl:1: field "label": expected a boolean, got string/);
  await assert.rejects(ktoCommand.run(['--model', lm, '--data', prefs, '--batch-size', '1']), /--batch-size 1: expected an integer ≥ 2/);
  await assert.rejects(cpoCommand.run(['--model', lm, '--data', prefs, '--loss_type', 'kto']), /--loss_type kto: expected one of sigmoid, hinge, ipo, simpo/);
  await assert.rejects(orpoCommand.run(['--model', lm, '--data', unpaired, '--out', join(root, 'x')]), /"unpaired-preference" format; expected preference records/);
  assert.equal(existsSync(join(root, 'x')), false, 'nothing is written before the inputs are known to be good');
});
