// `alignkit ppo`, `grpo` and `rloo` end to end on a tiny model: a task's verifier, a reward model
// directory, a prompt file, a resume that extends a finished run, a YAML --config, the run
// directory's layout, the first errors a person meets, and options that are the trainers' own.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { grpoConfig } from '../../../align/grpo/config.js';
import { grpoJobOptions } from '../../../align/grpo/job.js';
import { ppoConfig } from '../../../align/ppo/config.js';
import { ppoJobOptions } from '../../../align/ppo/job.js';
import { rlooConfig } from '../../../align/rloo/config.js';
import { rlooJobOptions } from '../../../align/rloo/job.js';
import { onlineInputOptions } from '../../../align/rollout/job-inputs.js';
import type { ConfigDecl } from '../../../config/index.js';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../../model/index.js';
import { parseTaskOpts } from '../../../data/tasks/task-input.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { grpoCommand } from './grpo.js';
import { ppoCommand } from './ppo.js';
import { rlooCommand } from './rloo.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-rl-cli-'));
const lm = join(root, 'lm'), rm = join(root, 'rm'), prompts = join(root, 'prompts.jsonl');
const saved = { log: console.log, error: console.error };
const arith = ['--task', 'arithmetic', '--task-opts', 'digits=1,trainSize=8,testSize=2'];
const small = ['--steps', '2', '--prompts-per-step', '2', '--max-new-tokens', '4', '--save-every', '1', '--quiet'];

before(() => {
  const tok = new ByteTokenizer();
  const model = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 96 }), undefined, 1);
  saveModelDir(lm, model, { tokenizer: tok });
  addScalarHead(model, 'score');
  saveModelDir(rm, model, { tokenizer: tok });
  writeFileSync(prompts, ['{"prompt":"hello"}', '{"prompt":[{"role":"user","content":"hi"}]}'].join('\n') + '\n');
  console.log = () => {};
  console.error = () => {};
});
after(() => {
  Object.assign(console, saved);
  rmSync(root, { recursive: true, force: true });
});

const metricSteps = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);

test('alignkit ppo against a reward model with a critic copied from it, then resumed to more steps', async () => {
  const out = join(root, 'ppo');
  const args = ['--model', lm, '--reward-model', rm, '--prompts', prompts, '--critic', 'reward-model', '--out', out, ...small];
  assert.equal(await ppoCommand.run(args), 0);
  assert.equal(await ppoCommand.run([...args, '--steps', '3', '--resume']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3]);
  assert.ok(existsSync(join(out, 'checkpoints', 'step-3', 'critic', 'model.safetensors')));
  assert.equal(loadModelDir(join(out, 'model')).model.params.has('v_head.weight'), false);
  const recs = readFileSync(join(out, 'samples', 'step-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
  assert.deepEqual(recs.map((r) => r.prompt).sort(), ['hello', 'user: hi\nassistant: '], 'a chat prompt is rendered as sft renders it');
});

test('alignkit grpo and rloo on a verifier task', async () => {
  for (const [cmd, name] of [[grpoCommand, 'grpo'], [rlooCommand, 'rloo']] as const) {
    const out = join(root, name);
    assert.equal(await cmd.run(['--model', lm, ...arith, '--samples-per-prompt', '3', '--out', out, ...small]), 0);
    assert.deepEqual(metricSteps(out), [1, 2]);
    assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
    const rec = JSON.parse(readFileSync(join(out, 'samples', 'step-2.jsonl'), 'utf8').split('\n')[0]!) as { verifier: { correct: boolean } };
    assert.equal(typeof rec.verifier.correct, 'boolean');
  }
});

test('the RL commands name what is wrong with their input', async () => {
  await assert.rejects(ppoCommand.run(['--model', lm]), /give --task .* or --reward-model/);
  await assert.rejects(ppoCommand.run(['--model', lm, '--reward-model', rm]), /--prompts <file> is required/);
  await assert.rejects(ppoCommand.run(['--model', lm, ...arith, '--critic', 'reward-model']), /--critic reward-model needs --reward-model/);
  await assert.rejects(grpoCommand.run(['--model', lm, ...arith, '--samples-per-prompt', '1']), /--samples-per-prompt 1: expected at least 2/);
  await assert.rejects(rlooCommand.run(['--model', lm, ...arith, '--temperature', '0']), /--temperature 0: expected a finite number > 0/);
  await assert.rejects(ppoCommand.run(['--model', lm, ...arith, '--kl-estimator', 'k2']), /--kl-estimator k2: expected k1 or k3/);
  assert.deepEqual(parseTaskOpts('digits=2, carries=false,name=x'), { digits: 2, carries: false, name: 'x' });
});

test('alignkit grpo from a YAML --config with TRL names, flags over the file, and --no-std-scale', async () => {
  const out = join(root, 'grpo-yaml'), file = join(root, 'grpo.yaml');
  writeFileSync(file, [
    `model: ${lm}`, 'task: arithmetic', 'task-opts: digits=1,trainSize=8,testSize=2', 'num_generations: 3', 'learning_rate: 0.002',
    'max_steps: 5', 'prompts-per-step: 2', 'max_completion_length: 4', 'save_steps: 1', 'quiet: true', `output_dir: ${out}`,
  ].join('\n') + '\n');
  assert.equal(await grpoCommand.run(['--config', file, '--steps', '2', '--no-std-scale']), 0);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(
    [cfg['command'], cfg['samplesPerPrompt'], cfg['lr'], cfg['steps'], cfg['maxNewTokens'], cfg['scaleRewards'], cfg['taskOpts']],
    ['grpo', 3, 0.002, 2, 4, 'none', 'digits=1,trainSize=8,testSize=2'],
  );
  assert.deepEqual(metricSteps(out), [1, 2]);
  assert.equal(await grpoCommand.run(['--config', file, '--steps', '3', '--no-std-scale', '--resume']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3]);
  await assert.rejects(grpoCommand.run(['--config', file, '--steps', '4', '--resume']), /differs from the run's in .*scaleRewards/);
});

test('an online run leaves one layout: the policy in <out>/model, resume points in checkpoints/, the store beside', async () => {
  const out = join(root, 'rloo-layout');
  assert.equal(await rlooCommand.run(['--model', lm, ...arith, '--samples-per-prompt', '2', '--out', out, ...small]), 0);
  assert.deepEqual(readdirSync(out).sort(), ['checkpoints', 'config.json', 'metrics.jsonl', 'model', 'samples', 'state.json']);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')).sort(), ['reference', 'step-0', 'step-1', 'step-2']);
  assert.deepEqual(readdirSync(join(out, 'samples')).sort(), ['step-1.jsonl', 'step-2.jsonl']);
  const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')) as { completed: { stage: string; result: Record<string, number> }[] };
  assert.deepEqual(state.completed.map((c) => c.stage), ['step-1', 'step-2', 'final/step-2']);
  assert.deepEqual(Object.keys(state.completed[2]!.result).sort(), ['kl', 'score', 'step']);
  assert.ok(existsSync(join(out, 'model', 'tokenizer.json')));
});

test('nothing is written before the inputs of an online run are known to be good', async () => {
  const out = join(root, 'never');
  await assert.rejects(ppoCommand.run(['--model', lm, '--reward-model', lm, '--prompts', prompts, '--out', out]), /no "score.weight"/);
  await assert.rejects(grpoCommand.run(['--model', lm, '--task', 'arithmetic', '--prompts', join(root, 'none.jsonl'), '--out', out]), /none\.jsonl/);
  await assert.rejects(rlooCommand.run(['--model', lm, '--task', 'arithmetic', '--matcher', 'numeric', '--out', out]), /--matcher grades the problems of a task file/);
  assert.equal(existsSync(out), false);
});

test('each RL command declares its trainer\'s own options, and the online inputs once for the three', () => {
  const pairs: [typeof ppoCommand | typeof grpoCommand | typeof rlooCommand, ConfigDecl, ConfigDecl, string][] = [
    [ppoCommand, ppoJobOptions, ppoConfig, 'ppo'], [grpoCommand, grpoJobOptions, grpoConfig, 'grpo'], [rlooCommand, rlooJobOptions, rlooConfig, 'rloo'],
  ];
  for (const [cmd, job, trainer, name] of pairs) {
    assert.equal(cmd.options, job, `${name}: the command's options are the job's`);
    for (const [k, o] of Object.entries(trainer.options)) assert.equal(job.options[k], o, `${name}: option ${k} is not ${name}Config's`);
    for (const [k, o] of Object.entries(onlineInputOptions)) assert.equal(job.options[k], o, `${name}: option ${k} is not the shared input's`);
    assert.equal((job.options['out'] as { default: unknown }).default, `runs/${name}`);
  }
  assert.equal(ppoJobOptions.options.lr, ppoConfig.options.lr);
  assert.equal(ppoJobOptions.options.epochs, ppoConfig.options.epochs);
  assert.equal(grpoJobOptions.options.epochs, grpoConfig.options.epochs);
  assert.equal(rlooJobOptions.options.beta, rlooConfig.options.beta);
});
