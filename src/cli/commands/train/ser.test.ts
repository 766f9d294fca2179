// `alignkit ser` end to end on a tiny model: the per-loop JSON, the output layout, a resume that
// finds everything done, a YAML --config, the usage errors, and that every flag is the trainer's
// own declared option.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../../model/index.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { dpoConfig } from '../../../align/dpo/config.js';
import { rewardModelConfig } from '../../../align/reward/config.js';
import { serConfig, serPpoConfig } from '../../../align/ser/config.js';
import { serInput, serJobOptions } from '../../../align/ser/job.js';
import { serCommand } from './ser.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-ser-cli-'));
const lm = join(root, 'lm'), prefs = join(root, 'prefs.jsonl');
const saved = { log: console.log, error: console.error };
let stdout: string[] = [];

before(() => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  const S = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'], P = ['good', 'great', 'nice', 'kind'], N = ['bad', 'awful', 'sad', 'vile'];
  writeFileSync(prefs, S.flatMap((s, i) => P.map((p, j) => JSON.stringify({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${N[(i + j) % 4]} ${s}` }))).join('\n') + '\n');
  console.log = (s: string) => { stdout.push(s); };
  console.error = () => {};
});
after(() => {
  Object.assign(console, saved);
  rmSync(root, { recursive: true, force: true });
});

test('alignkit ser: seed RM, loops with precision, DPO; --json; resume finds the run done', async () => {
  const out = join(root, 'ser');
  const args = ['--model', lm, '--data', prefs, '--out', out, '--seed-fraction', '0.3', '--eval-fraction', '0.2', '--rm-steps', '10', '--lr', '1e-2',
    '--max-loops', '2', '--min-pairs', '2', '--dpo-steps', '2', '--quiet', '--json'];
  stdout = [];
  assert.equal(await serCommand.run(args), 0);
  const res = JSON.parse(stdout.at(-1)!) as { seedTestAccuracy: number; loops: { loop: number; status: number | null; precision: number | null }[]; stopReason: string };
  assert.ok(res.loops.length >= 1 && res.loops.length <= 2);
  assert.ok(existsSync(join(out, 'model', 'config.json')));
  assert.ok(existsSync(join(out, 'checkpoints', 'policy', 'config.json')));
  const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  stdout = [];
  assert.equal(await serCommand.run([...args, '--resume']), 0);
  assert.deepEqual(JSON.parse(stdout.at(-1)!), res);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), before, 'a resume of a finished run logs nothing again');
  await assert.rejects(serCommand.run(args), /already holds a run/);
  // The evolved RM in <out>/model; the per-loop RMs and the DPO policy under checkpoints/.
  const ckpts = readdirSync(join(out, 'checkpoints'));
  for (let k = 0; k <= res.loops.filter((l) => l.status !== null).length; k++) assert.ok(ckpts.includes(`rm-${k}`), `rm-${k} in ${ckpts.join(', ')}`);
  assert.ok(!ckpts.includes('rm-final'));
  const last = Math.max(...ckpts.filter((c) => /^rm-\d+$/.test(c)).map((c) => Number(c.slice(3))));
  const rm = loadModelDir(join(out, 'model'), { tokenizer: false }).model, lastRm = loadModelDir(join(out, 'checkpoints', `rm-${last}`), { tokenizer: false }).model;
  assert.deepEqual(rm.params.get('score.weight')!.f32, lastRm.params.get('score.weight')!.f32, 'the model is the last loop\'s RM');
});

test('alignkit ser --policy-step ppo: PPO against the evolved RM writes a policy that differs from the base model', async () => {
  const out = join(root, 'ser-ppo');
  stdout = [];
  assert.equal(await serCommand.run(['--model', lm, '--data', prefs, '--out', out, '--seed-fraction', '0.3', '--eval-fraction', '0.2', '--rm-steps', '10', '--lr', '1e-2',
    '--max-loops', '1', '--min-pairs', '2', '--policy-step', 'ppo', '--ppo-steps', '2', '--prompts-per-step', '4', '--max-new-tokens', '4', '--ppo-lr', '1e-2', '--quiet', '--json']), 0);
  const res = JSON.parse(stdout.at(-1)!) as { ppo: { steps: number; normalisation: { std: number } } | null };
  assert.equal(res.ppo?.steps, 2);
  assert.ok(res.ppo.normalisation.std > 0);
  const base = loadModelDir(lm, { tokenizer: false }).model, policy = loadModelDir(join(out, 'checkpoints', 'policy'), { tokenizer: false }).model;
  const w = 'transformer.wte.weight';
  assert.notDeepEqual(policy.params.get(w)!.f32, base.params.get(w)!.f32);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--out', join(root, 'bad-step'), '--policy-step', 'reinforce']), /--policy-step reinforce: expected dpo or ppo or none/);
});

test('alignkit ser --config: a YAML file of the flat flags maps onto the nested trainer groups', async () => {
  const out = join(root, 'ser-yaml'), file = join(root, 'ser.yaml');
  writeFileSync(file, ['seed-fraction: 0.3', 'eval-fraction: 0.2', 'rm-steps: 6', 'lr: 0.01', 'max-loops: 1', 'min-pairs: 2', 'policy-step: none',
    'batch-size: 4', 'max-len: 40', 'seed: 3', 'hi: 0.6', 'criterion: sigmoid-diff', 'dpo-lr: 0.001', 'ppo-steps: 7', ''].join('\n'));
  stdout = [];
  assert.equal(await serCommand.run(['--config', file, '--model', lm, '--data', prefs, '--out', out, '--quiet', '--json', '--hi', '0.65']), 0);
  const res = JSON.parse(stdout.at(-1)!) as { loops: unknown[]; policy: string | null; model: string };
  assert.ok(res.loops.length >= 1);
  assert.equal(res.policy, null, '--policy-step none trains no policy');
  assert.equal(res.model, join(out, 'model'));
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
    seedFraction: number; criterion: string; maxLoops: number; status1: { hi: number }; rm: Record<string, number>; dpo: Record<string, number>; ppo: Record<string, number>;
  };
  assert.equal(cfg.seedFraction, 0.3);
  assert.equal(cfg.criterion, 'sigmoid-diff');
  assert.equal(cfg.status1.hi, 0.65, 'a flag overrides the file');
  assert.deepEqual([cfg.rm['steps'], cfg.rm['lr'], cfg.rm['batchSize'], cfg.rm['maxLen'], cfg.rm['seed']], [6, 0.01, 4, 40, 3]);
  assert.deepEqual([cfg.dpo['lr'], cfg.dpo['batchSize'], cfg.dpo['maxLen'], cfg.dpo['seed'], cfg.dpo['steps']], [0.001, 4, 40, 3, 200]);
  assert.deepEqual([cfg.ppo['steps'], cfg.ppo['lr'], cfg.ppo['klCoef'], cfg.ppo['seed']], [7, 1e-5, 0.1, 3]);
  writeFileSync(file, 'learning_rate: 0.01\n');
  await assert.rejects(serCommand.run(['--config', file, '--model', lm, '--data', prefs]), /ser\.yaml: learning_rate is ambiguous here: it could be --lr, --dpo-lr, --ppo-lr/);
});

test('alignkit ser: each flag is the trainer\'s declared option, so defaults and help come from the trainer', () => {
  const o = serJobOptions.options, s = serConfig.options;
  assert.equal(o.rmSteps, rewardModelConfig.options.steps);
  assert.equal(o.batchSize, rewardModelConfig.options.batchSize);
  assert.equal(o.lr, rewardModelConfig.options.lr);
  assert.equal(o.maxLen, rewardModelConfig.options.maxLen);
  assert.equal(o.seed, rewardModelConfig.options.seed);
  assert.equal(o.dpoSteps, dpoConfig.options.steps);
  assert.equal(o.dpoLr, dpoConfig.options.lr);
  assert.equal(o.beta, dpoConfig.options.beta);
  assert.equal(o.ppoSteps, serPpoConfig.options.steps);
  assert.equal(o.ppoLr, serPpoConfig.options.lr);
  assert.equal(o.promptsPerStep, serPpoConfig.options.promptsPerStep);
  assert.equal(o.maxNewTokens, serPpoConfig.options.maxNewTokens);
  assert.equal(o.klCoef, serPpoConfig.options.klCoef);
  assert.equal(o.hi, s.status1.config.options.hi);
  assert.equal(o.lo, s.status1.config.options.lo);
  assert.equal(o.diffThreshold, s.status1.config.options.diffThreshold);
  assert.equal(o.margin, s.status2.config.options.margin);
  for (const k of ['maxLoops', 'minPairs', 'maxPerLoop', 'criterion', 'retrain', 'policyStep'] as const) assert.equal(o[k], s[k], k);
  // The group the flags feed is the trainer's own: SER's rm group is the reward model's declaration.
  assert.equal(s.rm.config, rewardModelConfig);
  assert.equal(serCommand.options.options.rmSteps, rewardModelConfig.options.steps);
  // With nothing given, the job resolves to serConfig's defaults (the old CLI defaults, unchanged).
  const given = serJobOptions.resolve({ model: 'm', data: 'd' });
  assert.deepEqual(serConfig.resolve(serInput(given)), serConfig.resolve({ rm: { seed: 0 }, dpo: { seed: 0 }, ppo: { seed: 0 } }));
  assert.deepEqual([given.seedFraction, given.evalFraction, given.out], [0.15, 0.1, 'runs/ser']);
});

test('alignkit ser: usage errors name the flag', async () => {
  await assert.rejects(serCommand.run(['--data', prefs]), /--model is required/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--seed-fraction', '1.5']), /--seed-fraction 1.5/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--criterion', 'x', '--out', join(root, 'bad')]), /--criterion x: expected sigmoid-each or sigmoid-diff/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--lo', '0.7', '--hi', '0.6', '--out', join(root, 'bad')]), /--lo = 0\.7 is above --hi = 0\.6/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--learning_rate', '0.1', '--out', join(root, 'bad')]), /--learning_rate is ambiguous here: it could be --lr, --dpo-lr, --ppo-lr/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--eval-fraction', '0', '--out', join(root, 'bad')]), /no test pairs: give --eval-data or an --eval-fraction above 0/);
  assert.equal(existsSync(join(root, 'bad')), false, 'nothing is written before the inputs are known to be good');
});
