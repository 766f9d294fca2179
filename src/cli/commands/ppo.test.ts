// `alignkit ppo`, `grpo` and `rloo` end to end on a tiny model: a task's verifier, a reward model
// directory, a prompt file, a resume that extends a finished run, and the first errors a person meets.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { grpoCommand } from './grpo.js';
import { ppoCommand } from './ppo.js';
import { parseTaskOpts } from '../online-rl.js';
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
  assert.equal(loadModelDir(join(out, 'checkpoints', 'final')).model.params.has('v_head.weight'), false);
  const recs = readFileSync(join(out, 'samples', 'step-1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
  assert.deepEqual(recs.map((r) => r.prompt).sort(), ['hello', 'user: hi\nassistant: '], 'a chat prompt is rendered as sft renders it');
});

test('alignkit grpo and rloo on a verifier task', async () => {
  for (const [cmd, name] of [[grpoCommand, 'grpo'], [rlooCommand, 'rloo']] as const) {
    const out = join(root, name);
    assert.equal(await cmd.run(['--model', lm, ...arith, '--samples-per-prompt', '3', '--out', out, ...small]), 0);
    assert.deepEqual(metricSteps(out), [1, 2]);
    assert.ok(existsSync(join(out, 'checkpoints', 'final', 'model.safetensors')));
    const rec = JSON.parse(readFileSync(join(out, 'samples', 'step-2.jsonl'), 'utf8').split('\n')[0]!) as { verifier: { correct: boolean } };
    assert.equal(typeof rec.verifier.correct, 'boolean');
  }
});

test('the RL commands name what is wrong with their input', async () => {
  await assert.rejects(ppoCommand.run(['--model', lm]), /give --task .* or --reward-model/);
  await assert.rejects(ppoCommand.run(['--model', lm, '--reward-model', rm]), /--prompts <file> is required/);
  await assert.rejects(ppoCommand.run(['--model', lm, ...arith, '--critic', 'reward-model']), /--critic reward-model needs --reward-model/);
  await assert.rejects(grpoCommand.run(['--model', lm, ...arith, '--samples-per-prompt', '1']), /samplesPerPrompt = 1, expected at least 2/);
  await assert.rejects(rlooCommand.run(['--model', lm, ...arith, '--temperature', '0']), /temperature = 0/);
  await assert.rejects(ppoCommand.run(['--model', lm, ...arith, '--kl-estimator', 'k2']), /klEstimator = "k2"/);
  assert.deepEqual(parseTaskOpts('digits=2, carries=false,name=x'), { digits: 2, carries: false, name: 'x' });
});
