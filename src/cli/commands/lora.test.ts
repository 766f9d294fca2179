// LoRA from the command line (issue 18, point 4) on every training command, on one tiny Llama:
// --lora-r trains adapters only (some lora_B moved off zero, the base's bits where a save holds
// them equal the starting model's), the run's model is a PEFT adapter whose base_model_name_or_path
// is the starting directory (or, where a head trained too, the base and head beside the adapter),
// the next command takes that directory as --model, and bad LoRA flags are refused by name.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { readSafetensors } from '../../io/safetensors.js';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { grpoCommand } from './online/grpo.js';
import { onlineDpoCommand } from './online/online-dpo.js';
import { ppoCommand } from './online/ppo.js';
import { reinforcePpCommand } from './online/reinforce-pp.js';
import { rlooCommand } from './online/rloo.js';
import { cpoCommand } from './preference/cpo.js';
import { dpoCommand } from './preference/dpo.js';
import { ktoCommand } from './preference/kto.js';
import { orpoCommand } from './preference/orpo.js';
import { simpoCommand } from './preference/simpo.js';
import { restEmCommand } from './train/rest-em.js';
import { restCommand } from './train/rest.js';
import { rewardCommand } from './train/reward.js';
import { serCommand } from './train/ser.js';
import { sftCommand } from './train/sft.js';

const root = tempDir('alignkit-lora-cli-');
const lm = join(root, 'lm'), rm = join(root, 'rm'), prefs = join(root, 'prefs.jsonl'), texts = join(root, 'text.jsonl');
const prompts = join(root, 'prompts.jsonl'), qa = join(root, 'qa.jsonl');
const saved = { log: console.log, error: console.error };
const LORA = ['--lora-r', '2', '--lora-alpha', '4'];

before(() => {
  const tok = new ByteTokenizer();
  const model = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nKvHead: 1, nLayer: 1, maxSeqLen: 96 }), undefined, 1);
  saveModelDir(lm, model, { tokenizer: tok });
  addScalarHead(model, 'score');
  saveModelDir(rm, model, { tokenizer: tok });
  const S = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game', 'walk', 'note'];
  writeFileSync(prefs, S.map((s) => JSON.stringify({ prompt: `${s}:`, chosen: ` a good ${s}`, rejected: ` a bad ${s}` })).join('\n') + '\n');
  writeFileSync(texts, S.map((s, i) => JSON.stringify({ text: `the ${s} went by ${i} times.` })).join('\n') + '\n');
  writeFileSync(prompts, S.slice(0, 4).map((s) => JSON.stringify({ prompt: `${s}:` })).join('\n') + '\n');
  writeFileSync(qa, Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: '.' })).join('\n') + '\n');
  console.log = () => {};
  console.error = () => {};
});
after(() => { Object.assign(console, saved); });

const base = () => loadModelDir(lm, { tokenizer: false }).model;

/** The run's model is LoRA-trained: adapters moved, and every base tensor a save holds is the starting one, bit for bit. */
function checkLoraModel(dir: string, what: string, opts: { alone: boolean; base?: Transformer; selected?: boolean }): void {
  const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg['peft_type'], 'LORA', what);
  assert.equal(cfg['r'], 2, what);
  assert.equal(cfg['lora_alpha'], 4, what);
  assert.deepEqual(cfg['target_modules'], ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], `${what}: the default targets`);
  const adapter = readSafetensors(join(dir, 'adapter_model.safetensors')).tensors;
  const moved = [...adapter].filter(([n, t]) => n.includes('lora_B') && (t.data as Float32Array).some((v) => v !== 0));
  if (!opts.selected) assert.ok(moved.length > 0, `${what}: no lora_B moved off zero`);
  assert.equal(existsSync(join(dir, 'model.safetensors')), !opts.alone, `${what}: model.safetensors ${opts.alone ? 'beside an adapter alone' : 'missing'}`);
  if (opts.alone) assert.equal(cfg['base_model_name_or_path'], resolve(lm), `${what}: the adapter points at its base`);
  else {
    const held = readSafetensors(join(dir, 'model.safetensors')).tensors;
    for (const [name, p] of (opts.base ?? base()).params) {
      const t = held.get(name);
      assert.ok(t, `${what}: ${name} missing`);
      assert.ok((t.data as Float32Array).every((v, i) => Object.is(v, p.f32[i])), `${what}: base weight ${name} changed`);
    }
  }
  const loaded = loadModelDir(dir, { tokenizer: false }).model;
  assert.ok(loaded.lora.size > 0 && loaded.loraTrained, `${what}: loads back as base + adapters`);
}

const pair = ['--data', prefs, '--steps', '3', '--batch-size', '4', '--eval-fraction', '0.2', '--lr', '1e-2', '--quiet'];
const online = ['--reward-model', rm, '--prompts', prompts, '--steps', '2', '--prompts-per-step', '2', '--max-new-tokens', '4', '--lr', '1e-2', '--quiet'];

test('--lora-r on sft and the offline preference commands: adapters trained, the base untouched, a PEFT adapter out', async () => {
  const sft = join(root, 'sft');
  assert.equal(await sftCommand.run(['--model', lm, '--data', texts, '--out', sft, '--steps', '3', '--seq-len', '16', '--batch-size', '4', '--save-every', '2', '--lr', '1e-2', '--quiet', ...LORA]), 0);
  checkLoraModel(join(sft, 'model'), 'sft', { alone: true });
  // A checkpoint holds the base beside the adapter (it records the optimiser too): bit-identical.
  checkLoraModel(join(sft, 'checkpoints', 'step-2'), 'sft checkpoint', { alone: true });
  for (const cmd of [dpoCommand, ktoCommand, orpoCommand, cpoCommand, simpoCommand]) {
    const out = join(root, cmd.name);
    assert.equal(await cmd.run(['--model', lm, '--out', out, ...pair, ...LORA]), 0, cmd.name);
    checkLoraModel(join(out, 'model'), cmd.name, { alone: true });
    assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).loraR, 2, `${cmd.name}: the run records --lora-r`);
  }
});

test('--lora-r on the online commands: the reference is the base with adapters off (no reference checkpoint)', async () => {
  for (const [cmd, extra] of [[grpoCommand, ['--samples-per-prompt', '2']], [rlooCommand, ['--samples-per-prompt', '2']], [reinforcePpCommand, []], [ppoCommand, []], [onlineDpoCommand, []]] as const) {
    const out = join(root, cmd.name);
    assert.equal(await cmd.run(['--model', lm, '--out', out, ...online, ...extra, ...LORA]), 0, cmd.name);
    // PPO's policy carries its value head, which trains beside the adapters: base and head are kept with them.
    checkLoraModel(join(out, 'model'), cmd.name, { alone: cmd !== ppoCommand });
    assert.equal(existsSync(join(out, 'checkpoints', 'reference')), false, `${cmd.name}: no copy of the reference stored`);
  }
});

test('--lora-r on reward, ser, rest and rest-em', async () => {
  const reward = join(root, 'reward');
  assert.equal(await rewardCommand.run(['--model', lm, '--out', reward, ...pair, '--normalize', '0', ...LORA]), 0);
  // The score head trains with the adapters, so the base and head are saved beside them.
  checkLoraModel(join(reward, 'model'), 'reward', { alone: false });
  const ser = join(root, 'ser');
  assert.equal(await serCommand.run(['--model', lm, '--data', prefs, '--out', ser, '--seed-fraction', '0.3', '--eval-fraction', '0.2', '--rm-steps', '4', '--lr', '1e-2',
    '--max-loops', '1', '--min-pairs', '2', '--dpo-steps', '2', '--quiet', ...LORA]), 0);
  checkLoraModel(join(ser, 'model'), 'ser reward model', { alone: false });
  const restEm = join(root, 'rest-em');
  assert.equal(await restEmCommand.run(['--task', qa, '--matcher', 'regex', '--model', lm, '--out', restEm, '--iterations', '1', '--samples', '2', '--max-new-tokens', '3',
    '--m-steps', '2', '--k', '1', '--validation-problems', '2', '--train-eval-problems', '2', '--quiet', ...LORA]), 0);
  checkLoraModel(join(restEm, 'model'), 'rest-em', { alone: true });
  const rest = join(root, 'rest');
  assert.equal(await restCommand.run(['--task', qa, '--matcher', 'regex', '--model', lm, '--out', rest, '--reward', 'verifier', '--schedule', 'fixed:0', '--loss', 'gold',
    '--grow-steps', '1', '--improve-steps', '1', '--samples', '2', '--max-new-tokens', '3', '--validation', '0', '--improve-max-steps', '2', '--batch-size', '4', '--quiet', ...LORA]), 0);
  // ReST keeps the Improve step that validates best, here the untrained start; the adapters' loss fell.
  checkLoraModel(join(rest, 'model'), 'rest', { alone: true, selected: true });
  const losses = readFileSync(join(rest, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string; loss?: number }).filter((r) => r.stage === 'grow1/improve1').map((r) => r.loss!);
  assert.ok(losses.length === 2 && losses[1]! < losses[0]!, `rest: Improve losses ${losses.join(', ')}, expected the second below the first`);
});

test('an adapter directory is a --model: sft --lora-r → dpo --lora-r → grpo, each starting from the last', async () => {
  const sft = join(root, 'sft', 'model');
  const dpo = join(root, 'chain-dpo'), grpo = join(root, 'chain-grpo');
  assert.equal(await dpoCommand.run(['--model', sft, '--out', dpo, ...pair, ...LORA]), 0);
  // Its base is the SFT policy (base + SFT adapter merged), which is on no disk: kept beside the adapter.
  checkLoraModel(join(dpo, 'model'), 'dpo after sft', { alone: false, base: loadModelDir(sft, { tokenizer: false, adapters: 'merge' }).model });
  assert.equal(await grpoCommand.run(['--model', join(dpo, 'model'), '--out', grpo, ...online, '--samples-per-prompt', '2']), 0);
  const full = loadModelDir(join(grpo, 'model'), { tokenizer: false }).model;
  assert.equal(full.lora.size, 0, 'without --lora-r the adapters are merged and every weight trains');
});

test('bad LoRA flags are refused naming the flag, the value and what is valid', async () => {
  const out = join(root, 'never');
  await assert.rejects(dpoCommand.run(['--model', lm, '--data', prefs, '--out', out, '--lora-r', '2', '--lora-targets', 'q_proj,qkv']), /--lora-targets.*"qkv".*q_proj, k_proj/);
  await assert.rejects(sftCommand.run(['--model', lm, '--data', texts, '--out', out, '--lora-r', '2', '--lora-targets', 'c_attn']), /--lora-targets c_attn: llama has no module "c_attn" to adapt; expected a comma list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj/);
  await assert.rejects(grpoCommand.run(['--model', lm, ...online, '--out', out, '--lora-alpha', '8']), /loraAlpha|--lora-alpha.*without.*--lora-r/);
  await assert.rejects(ktoCommand.run(['--model', lm, '--data', prefs, '--out', out, '--lora-r=-1']), /--lora-r -1: expected a non-negative integer/);
  await assert.rejects(orpoCommand.run(['--model', lm, '--data', prefs, '--out', out, '--lora-r', '2', '--lora-dropout', '1']), /--lora-dropout 1: expected a number in \[0, 1\)/);
  assert.equal(existsSync(out), false, 'nothing written');
});
