// `alignkit export` from the command line: the formats it writes and what it refuses, by name,
// writing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLora, layoutOf, loadModelDir, saveModelDir, Transformer } from '../../src/model/index.js';
import { noGrad, Rng, Tensor } from '../../src/index.js';
import { charTokenizer, tempDir, withCharTokenizer } from './llama-cpp-util.js';
import { familyModel } from './cases.js';

const main = resolve('dist/src/cli/main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [main, 'export', ...args], { encoding: 'utf8' });

test('export --format gguf writes one file, says what it wrote, and leaves no temporary file', () => {
  const out = tempDir('cli');
  const r = cli(familyModel('qwen3'), '--dtype', 'q8_0', '--out', join(out, 'q.gguf'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /export: gguf q8_0, \d+ tensors, written to .*q\.gguf/);
  assert.deepEqual(readdirSync(out), ['q.gguf']);
});

test('export refuses, by name, what llama.cpp cannot run the same way, and writes nothing', () => {
  const out = tempDir('cli');
  const cases: [string, string[], RegExp][] = [
    ['dynamic RoPE', [withCharTokenizer('test/golden/families/checkpoints/llama-rope-dynamic/f32', 48)], /RoPE scaling "dynamic" cannot be exported to GGUF/],
    ['YaRN', [withCharTokenizer('test/golden/families/checkpoints/llama-rope-yarn/f32', 48)], /RoPE scaling "yarn" cannot be exported to GGUF/],
    ['Gemma 3 local base', [withCharTokenizer('test/golden/families/checkpoints/gemma3/f32', 48)], /local RoPE base 100 cannot be exported to GGUF: llama.cpp's gemma3 fixes/],
    ['no tokenizer', ['test/golden/families/checkpoints/llama/f32'], /has no tokenizer files \(tokenizer\.json\)/],
    ['no adapter', [familyModel('llama'), '--format', 'gguf-lora'], /has no LoRA adapter/],
    ['bad dtype', [familyModel('llama'), '--dtype', 'q4_0'], /--dtype.*q4_0/],
  ];
  for (const [what, args, re] of cases) {
    const r = cli(...args, '--out', join(out, 'x.gguf'));
    assert.notEqual(r.status, 0, what);
    assert.match(r.stderr, re, what);
  }
  assert.deepEqual(readdirSync(out), []);
});

test('export --format hf merges the adapter (same logits as base + adapter); --format peft keeps it as PEFT files', () => {
  const { model } = loadModelDir(familyModel('llama'));
  const m = new Transformer(model.config, model.params);
  const rng = new Rng(5);
  m.lora = createLora(m.params, layoutOf(m.config), { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj'] }, rng);
  for (const a of m.lora.values()) for (let i = 0; i < a.B.size; i++) a.B.f32[i] = rng.normal();
  const src = tempDir('src'), out = tempDir('out');
  saveModelDir(src, m, { tokenizer: charTokenizer(48), adapters: 'peft' });
  assert.equal(cli(src, '--format', 'hf', '--out', join(out, 'hf')).status, 0);
  assert.equal(cli(src, '--format', 'peft', '--out', join(out, 'peft')).status, 0);
  assert.ok(!existsSync(join(out, 'hf', 'adapter_config.json')) && existsSync(join(out, 'peft', 'adapter_config.json')));
  const ids = new Tensor(Int32Array.from([1, 7, 3, 9, 4]), [1, 5]);
  const want = noGrad(() => loadModelDir(src).model.logits(ids).f32);
  const merged = loadModelDir(join(out, 'hf'));
  assert.equal(merged.model.lora.size, 0);
  assert.ok(merged.tokenizer, 'the tokenizer goes along');
  const got = noGrad(() => merged.model.logits(ids).f32);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  assert.ok(d < 1e-5, `merged logits differ by ${d}`);
  const peft = loadModelDir(join(out, 'peft'));
  assert.equal(peft.model.lora.size, m.lora.size);
});
