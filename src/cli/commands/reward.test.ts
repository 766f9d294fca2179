// `alignkit reward` end to end on a tiny model: the normalised final model, a resume that
// extends --steps, and the errors a person meets first.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { scoreTexts } from '../../align/reward/reward-model.js';
import { rewardCommand } from './reward.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-reward-cli-'));
const lm = join(root, 'lm'), prefs = join(root, 'prefs.jsonl');
const quietConsole = { log: console.log, error: console.error };

before(() => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  const S = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'], P = ['good', 'great', 'nice'], N = ['bad', 'awful', 'sad'];
  writeFileSync(prefs, S.flatMap((s, i) => P.map((p, j) => JSON.stringify({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${N[(i + j) % 3]} ${s}` }))).join('\n') + '\n');
  console.log = () => {};
  console.error = () => {};
});
after(() => {
  Object.assign(console, quietConsole);
  rmSync(root, { recursive: true, force: true });
});

const metricSteps = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);

test('alignkit reward: trains, normalises, and a resume with more --steps extends the run', async () => {
  const out = join(root, 'rm');
  const args = ['--model', lm, '--data', prefs, '--out', out, '--lr', '1e-2', '--warmup', '0', '--save-every', '5', '--normalize', '8', '--normalize-tokens', '8', '--quiet'];
  assert.equal(await rewardCommand.run([...args, '--steps', '10']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(await rewardCommand.run([...args, '--steps', '15', '--resume']), 0);
  assert.deepEqual(metricSteps(out), Array.from({ length: 15 }, (_, i) => i + 1));
  const rm = loadModelDir(join(out, 'checkpoints', 'final'));
  const norm = JSON.parse(rm.metadata['alignkit.reward_normalization']!) as { mean: number; std: number; samples: number };
  assert.equal(norm.samples, 8);
  assert.ok(norm.std > 0);
  const [good, bad] = scoreTexts(rm.model, rm.tokenizer!, ['town:', 'town:'], [' a good town', ' a bad town']);
  assert.ok(good! > bad!, `good ${good} vs bad ${bad}`);
  await assert.rejects(rewardCommand.run([...args, '--steps', '10']), /already holds a run .* pass --resume/);
});

test('alignkit reward names what is wrong with its input', async () => {
  const text = join(root, 'text.jsonl');
  writeFileSync(text, '{"text": "hello"}\n');
  await assert.rejects(rewardCommand.run(['--data', prefs]), /--model is required/);
  await assert.rejects(rewardCommand.run(['--model', lm, '--data', text]), /text\.jsonl: records are in the "text" format; expected preference records/);
  await assert.rejects(rewardCommand.run(['--model', lm, '--data', join(root, 'none.jsonl')]), /none\.jsonl: no such file/);
  await assert.rejects(rewardCommand.run(['--model', lm, '--data', prefs, '--normalize', '1']), /--normalize 1: expected 0 \(off\) or an integer ≥ 2/);
  await assert.rejects(rewardCommand.run(['--model', root, '--data', prefs, '--out', join(root, 'x')]), /config\.json.*not found/);
  await assert.rejects(rewardCommand.run(['--model', lm, '--data', prefs, '--policy', root, '--out', join(root, 'x')]), /--policy .*: no config\.json/);
  assert.equal(existsSync(join(root, 'x')), false, 'nothing is written before the inputs are known to be good');
});
