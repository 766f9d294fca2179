// `alignkit dpo` end to end on a tiny model: message-list records, the final policy, a resume
// that reuses the stored reference log-probabilities, and the errors a person meets first.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig, saveModelDir, Transformer } from '../../../model/index.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { dpoCommand } from './dpo.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-dpo-cli-'));
const lm = join(root, 'lm'), prefs = join(root, 'prefs.jsonl'), chats = join(root, 'chats.jsonl');
const quietConsole = { log: console.log, error: console.error };

before(() => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  const S = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'], P = ['good', 'great', 'nice'], N = ['bad', 'awful', 'sad'];
  writeFileSync(prefs, S.flatMap((s, i) => P.map((p, j) => JSON.stringify({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${N[(i + j) % 3]} ${s}` }))).join('\n') + '\n');
  writeFileSync(chats, S.map((s) => JSON.stringify({
    prompt: [{ role: 'user', content: `rate the ${s}` }], chosen: [{ role: 'assistant', content: 'good' }], rejected: [{ role: 'assistant', content: 'bad' }],
  })).join('\n') + '\n');
  console.log = () => {};
  console.error = () => {};
});
after(() => {
  Object.assign(console, quietConsole);
  rmSync(root, { recursive: true, force: true });
});

const metricSteps = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);

test('alignkit dpo: message-list records, the final policy, and a resume that reuses the reference', async () => {
  const out = join(root, 'dpo');
  const args = ['--model', lm, '--data', chats, '--out', out, '--lr', '1e-2', '--warmup', '0', '--batch-size', '4', '--save-every', '4', '--eval-fraction', '0.25', '--quiet'];
  assert.equal(await dpoCommand.run([...args, '--steps', '6', '--variant', 'robust', '--label-smoothing', '0.1']), 0);
  assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
  const refs = JSON.parse(readFileSync(join(out, 'checkpoints', 'reference-logps', 'logps.json'), 'utf8')) as { train: { chosen: number[] } };
  assert.equal(refs.train.chosen.length, 6, 'six of eight chats train, two are held out');
  assert.equal(await dpoCommand.run([...args, '--steps', '8', '--variant', 'robust', '--label-smoothing', '0.1', '--resume']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3, 4, 5, 6, 7, 8]);
  await assert.rejects(dpoCommand.run([...args, '--steps', '8', '--variant', 'ipo', '--resume']), /differs from the run's in .*lossType/);
});

test('alignkit dpo names what is wrong with its input', async () => {
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--variant', 'kto']), /--variant kto: expected one of sigmoid, ipo, cdpo, robust/);
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--variant', 'cdpo']), /--loss-type cdpo needs --label-smoothing in \(0, 0\.5\)/);
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--beta=-1']), /--beta -1: expected a positive number/);
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--loss_type', 'sigmoid,kto']), /--loss_type sigmoid,kto: expected one of sigmoid, ipo, cdpo, robust, hinge/);
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--loss_type', 'sigmoid,sft', '--loss_weights', '1']), /--loss-weights has 1 weights for 2 loss types/);
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--reference-free', '--reference', lm]), /give --reference-free or --reference, not both/);
  await assert.rejects(dpoCommand.run(['--data', prefs]), /--model is required/);
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--reference', root, '--out', join(root, 'x')]), /config\.json.*not found/);
  assert.equal(existsSync(join(root, 'x')), false, 'nothing is written before the inputs are known to be good');
});

test('alignkit dpo with TRL\'s names: a weighted mix of loss types, reference-free, from flags', async () => {
  const out = join(root, 'mpo');
  const argv = ['--model', lm, '--data', prefs, '--out', out, '--steps', '3', '--batch-size', '4', '--quiet', '--loss_type', 'sigmoid,bco_pair,sft', '--loss_weights', '0.8,0.2,1', '--reference_free'];
  const r = dpoCommand.resolve(argv)!;
  assert.deepEqual([r.values.lossType, r.values.lossWeights, r.values.referenceFree], [['sigmoid', 'bco_pair', 'sft'], [0.8, 0.2, 1], true]);
  assert.equal(await dpoCommand.run(argv), 0);
  assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
  assert.equal(existsSync(join(out, 'checkpoints', 'reference-logps')), false, 'reference-free: no reference stage');
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(cfg['lossType'], ['sigmoid', 'bco_pair', 'sft']);
});

test('the schedule a TRL run uses is reachable by its names: lr_scheduler_type, min_lr_rate, warmup_steps, the warm-up from 0', () => {
  const values = dpoCommand.resolve(['--model', lm, '--data', prefs, '--lr_scheduler_type', 'linear', '--min_lr_rate', '0', '--warmup_steps', '4', '--warmup-from-zero', '--adam_beta2', '0.999', '--weight_decay', '0.01', '--max_grad_norm', '0.5'])!.values;
  assert.deepEqual([values.lrScheduler, values.minLrRatio, values.warmupSteps, values.warmupFromZero, values.beta2, values.weightDecay, values.gradClip], ['linear', 0, 4, true, 0.999, 0.01, 0.5]);
});
