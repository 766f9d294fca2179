// `alignkit reward` end to end on a tiny model: the normalised final model in <out>/model, a
// resume that extends --steps, --epochs, a YAML --config, and the errors a person meets first.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../../model/index.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { scoreTexts } from '../../../align/reward/reward-model.js';
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
  const rm = loadModelDir(join(out, 'model'));
  const norm = JSON.parse(rm.metadata['alignkit.reward_normalization']!) as { mean: number; std: number; samples: number };
  assert.equal(norm.samples, 8);
  assert.ok(norm.std > 0);
  const [good, bad] = scoreTexts(rm.model, rm.tokenizer!, ['town:', 'town:'], [' a good town', ' a bad town']);
  assert.ok(good! > bad!, `good ${good} vs bad ${bad}`);
  await assert.rejects(rewardCommand.run([...args, '--steps', '10']), /already holds a run .* pass --resume/);
  // One output layout: the model beside the run store's files, resume points under checkpoints/.
  assert.deepEqual(readdirSync(out).filter((f) => !f.startsWith('.')).sort(), ['checkpoints', 'config.json', 'metrics.jsonl', 'model', 'state.json']);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), ['step-10', 'step-15', 'step-5']);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).completed.map((c: { stage: string }) => c.stage),
    ['train/step-5', 'train/step-10', 'final/step-10', 'train/step-15', 'final/step-15']);
});

test('alignkit reward --epochs sets the steps from the number of training pairs', async () => {
  const out = join(root, 'epochs');
  // 24 pairs, none held out, 8 per step: 2 epochs are 6 steps.
  const args = ['--model', lm, '--data', prefs, '--out', out, '--eval-fraction', '0', '--batch-size', '8', '--normalize', '0', '--quiet'];
  assert.equal(await rewardCommand.run([...args, '--epochs', '2']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3, 4, 5, 6]);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { epochs: number; steps: number };
  assert.equal(cfg.epochs, 2);
  assert.equal(JSON.parse(loadModelDir(join(out, 'model')).metadata['alignkit.reward_normalization']!), null, '--normalize 0 records no normalisation');
  await assert.rejects(rewardCommand.run([...args, '--epochs', '2', '--steps', '3', '--out', join(root, 'both')]), /give --epochs or --steps, not both/);
});

test('alignkit reward --config: a YAML file with TRL names and flags; flags override it', async () => {
  const out = join(root, 'yaml'), file = join(root, 'rm.yaml');
  writeFileSync(file, ['max_steps: 4', 'learning_rate: 0.01', 'warmup: 0', 'normalize: 0', 'eval-fraction: 0.25', `model: ${lm}`, `data: ${prefs}`, 'batch-size: 4', ''].join('\n'));
  assert.equal(await rewardCommand.run(['--config', file, '--out', out, '--batch-size', '2', '--quiet']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3, 4]);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([cfg['lr'], cfg['warmupSteps'], cfg['normalize'], cfg['evalFraction'], cfg['batchSize']], [0.01, 0, 0, 0.25, 2]);
  writeFileSync(file, 'normalize: 1\n');
  await assert.rejects(rewardCommand.run(['--config', file, '--model', lm, '--data', prefs]), /rm\.yaml: normalize = 1: expected 0 \(off\) or an integer ≥ 2/);
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
  await assert.rejects(rewardCommand.run(['--model', lm, '--data', prefs, '--normalize-tokens', '48', '--out', join(root, 'x')]), /--normalize-tokens 48: leaves no room for a prompt in the --model's 48 positions/);
  assert.equal(existsSync(join(root, 'x')), false, 'nothing is written before the inputs are known to be good');
});
