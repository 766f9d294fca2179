// `alignkit ser` end to end on a tiny model: the per-loop JSON, the checkpoints, a resume that
// finds everything done, and the usage errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
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
  const res = JSON.parse(stdout.at(-1)!) as { seedTestAccuracy: number; loops: { loop: number; precision: number | null }[]; stopReason: string };
  assert.ok(res.loops.length >= 1 && res.loops.length <= 2);
  assert.ok(existsSync(join(out, 'checkpoints', 'rm-final', 'config.json')));
  assert.ok(existsSync(join(out, 'checkpoints', 'policy', 'config.json')));
  const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  stdout = [];
  assert.equal(await serCommand.run([...args, '--resume']), 0);
  assert.deepEqual(JSON.parse(stdout.at(-1)!), res);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), before, 'a resume of a finished run logs nothing again');
  await assert.rejects(serCommand.run(args), /already holds a run/);
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

test('alignkit ser: usage errors name the flag', async () => {
  await assert.rejects(serCommand.run(['--data', prefs]), /--model is required/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--seed-fraction', '1.5']), /--seed-fraction 1.5/);
  await assert.rejects(serCommand.run(['--model', lm, '--data', prefs, '--criterion', 'x', '--out', join(root, 'bad')]), /--criterion x: expected sigmoid-each or sigmoid-diff/);
});
