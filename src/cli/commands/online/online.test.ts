// `alignkit online-dpo` and `reinforce-pp` end to end on a tiny model: a reward model, a task's
// verifier or a judge module labels online DPO's pairs; REINFORCE++ with and without its baseline;
// TRL's option names; the first errors a person meets.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addScalarHead, defaultConfig, saveModelDir, Transformer } from '../../../model/index.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { onlineDpoCommand } from './online-dpo.js';
import { reinforcePpCommand } from './reinforce-pp.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-online-cli-'));
const lm = join(root, 'lm'), rm = join(root, 'rm'), prompts = join(root, 'prompts.jsonl'), judge = join(root, 'judge.mjs');
const saved = { log: console.log, error: console.error };
const arith = ['--task', 'arithmetic', '--task-opts', 'digits=1,trainSize=8,testSize=2'];
const small = ['--steps', '2', '--prompts-per-step', '2', '--max-new-tokens', '4', '--save-every', '1', '--quiet'];

before(() => {
  const tok = new ByteTokenizer();
  const model = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 96 }), undefined, 1);
  saveModelDir(lm, model, { tokenizer: tok });
  addScalarHead(model, 'score');
  saveModelDir(rm, model, { tokenizer: tok });
  writeFileSync(prompts, ['{"prompt":"hello"}', '{"prompt":"good day"}'].join('\n') + '\n');
  writeFileSync(judge, 'export function judge(prompt, a, b) { return b.length > a.length ? 1 : 0; }\n');
  console.log = () => {};
  console.error = () => {};
});
after(() => {
  Object.assign(console, saved);
  rmSync(root, { recursive: true, force: true });
});

const samples = (dir: string, step: number) => readFileSync(join(dir, 'samples', `step-${step}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('alignkit online-dpo: pairs labelled by a reward model, a verifier or a judge module', async () => {
  for (const [name, how] of [['rm', ['--reward_model_path', rm, '--prompts', prompts]], ['verifier', arith], ['judge', ['--judge', judge, '--prompts', prompts]]] as const) {
    const out = join(root, `odpo-${name}`);
    assert.equal(await onlineDpoCommand.run(['--model', lm, ...how, '--out', out, ...small, '--loss_type', 'ipo']), 0);
    assert.ok(existsSync(join(out, 'model', 'model.safetensors')), name);
    const rec = samples(out, 2);
    assert.equal(rec.length, 4, `${name}: two prompts, a pair each`);
    assert.equal(rec.filter((r) => r['chosen']).length, 2, `${name}: one chosen per pair`);
  }
  const judged = samples(join(root, 'odpo-judge'), 1);
  for (let i = 0; i < 4; i += 2) {
    const [a, b] = [judged[i]!, judged[i + 1]!];
    assert.equal(b['chosen'], (b['sample'] as string).length > (a['sample'] as string).length, 'the judge (the longer text wins) decides');
  }
});

test('alignkit reinforce-pp, with and without the baseline, and TRL\'s names', async () => {
  for (const extra of [[], ['--baseline', '--samples-per-prompt', '3', '--epsilon_high', '0.28', '--mask_truncated_completions']]) {
    const out = join(root, `rpp-${extra.length}`);
    assert.equal(await reinforcePpCommand.run(['--model', lm, ...arith, '--out', out, ...small, ...extra]), 0);
    assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
  }
  const cfg = JSON.parse(readFileSync(join(root, 'rpp-6', 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([cfg['baseline'], cfg['clipHigh'], cfg['maskTruncatedCompletions']], [true, 0.28, true]);
});

test('online-dpo and reinforce-pp name what is wrong with their input', async () => {
  await assert.rejects(onlineDpoCommand.run(['--model', lm, '--judge', judge]), /--judge needs --prompts <file> or --task/);
  await assert.rejects(onlineDpoCommand.run(['--model', lm, '--judge', judge, '--reward-model', rm, '--prompts', prompts]), /give --judge or --reward-model/);
  await assert.rejects(onlineDpoCommand.run(['--model', lm, '--judge', judge, '--reward-fn', judge, '--prompts', prompts]), /give --judge or --reward-fn/);
  await assert.rejects(onlineDpoCommand.run(['--model', lm, ...arith, '--samples-per-prompt', '3']), /--samples-per-prompt 3: expected 2/);
  await assert.rejects(reinforcePpCommand.run(['--model', lm, ...arith, '--baseline', '--samples-per-prompt', '1']), /--baseline needs --samples-per-prompt ≥ 2/);
  await assert.rejects(onlineDpoCommand.run(['--model', lm, '--judge', join(root, 'nope.mjs'), '--prompts', prompts, '--out', join(root, 'never')]), /--judge .*nope\.mjs: cannot load it/);
  assert.equal(existsSync(join(root, 'never')), false);
});
