// `alignkit merge` (issue 18, point 4): the adapter an `sft --lora-r` run saves, folded into its
// base, is a plain HF model directory — config.json, model.safetensors in the base's dtype, the
// tokenizer files copied byte for byte, no adapter files — whose logits are base + adapter's
// (within 1e-5 in float32; in bfloat16 each merged weight is the float32 merge rounded once).
// With a Python that has transformers and peft (ALIGNKIT_PYTHON, else python3), the merged
// directory loads in AutoModelForCausalLM and the adapter directory in peft.PeftModel over the base
// named by its base_model_name_or_path, with alignkit's logits within 1e-4; skipped, saying why,
// otherwise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, Rng, Tensor } from '../../../src/index.js';
import { f32ToBf16, bf16ToF32 } from '../../../src/io/float16.js';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../../src/model/index.js';
import { ByteTokenizer } from '../../../src/tokenizer/index.js';
import { mergeCommand } from '../../../src/cli/commands/tools/merge.js';
import { sftCommand } from '../../../src/cli/commands/train/sft.js';
import { referencePython } from '../../fixtures/reference-python.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-merge-'));
const texts = join(root, 'text.jsonl');
const saved = { log: console.log, error: console.error };
const rng = new Rng(3);
const ids = new Tensor(Int32Array.from({ length: 2 * 7 }, () => 1 + Math.floor(rng.uniform() * 200)), [2, 7]);
const logitsOf = (m: Transformer): Float32Array => noGrad(() => m.logits(ids).f32.slice());

/** A tiny Llama saved in `dtype`, and the adapter an sft --lora-r run on it leaves. */
async function adapterRun(name: string, dtype: 'F32' | 'BF16'): Promise<{ base: string; adapter: string }> {
  const tok = new ByteTokenizer();
  const base = join(root, `${name}-base`), out = join(root, `${name}-sft`);
  const m = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nKvHead: 1, nLayer: 2, maxSeqLen: 64 }), undefined, 4);
  saveModelDir(base, m, { tokenizer: tok, dtype });
  assert.equal(await sftCommand.run(['--model', base, '--data', texts, '--out', out, '--steps', '4', '--seq-len', '16', '--batch-size', '4', '--lr', '3e-2', '--quiet',
    '--lora-r', '4', '--lora-targets', 'q_proj,v_proj,down_proj']), 0);
  return { base, adapter: join(out, 'model') };
}

let f32: { base: string; adapter: string }, bf16: { base: string; adapter: string };
before(async () => {
  writeFileSync(texts, Array.from({ length: 16 }, (_, i) => JSON.stringify({ text: `the ship ${i} sailed ${i % 3 ? 'north' : 'south'} at dawn.` })).join('\n') + '\n');
  console.log = () => {};
  console.error = () => {};
  f32 = await adapterRun('f32', 'F32');
  bf16 = await adapterRun('bf16', 'BF16');
});
after(() => {
  Object.assign(console, saved);
  rmSync(root, { recursive: true, force: true });
});

test('merge: a plain HF directory in the base dtype, the tokenizer copied, logits of base + adapter within 1e-5', async () => {
  const merged = join(root, 'f32-merged');
  assert.equal(await mergeCommand.run(['--adapter', f32.adapter, '--out', merged]), 0);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'generation_config.json']) assert.ok(existsSync(join(merged, f)), f);
  assert.equal(existsSync(join(merged, 'adapter_config.json')), false, 'no adapter left in a merged model');
  assert.equal(readFileSync(join(merged, 'tokenizer.json'), 'utf8'), readFileSync(join(f32.adapter, 'tokenizer.json'), 'utf8'));
  assert.ok([...readSafetensors(join(merged, 'model.safetensors')).tensors.values()].every((t) => t.dtype === 'F32'));
  const withAdapter = loadModelDir(f32.adapter).model;
  assert.ok(withAdapter.lora.size === 6, 'q_proj, v_proj and down_proj on 2 layers');
  const base = logitsOf(loadModelDir(f32.base).model), want = logitsOf(withAdapter), got = logitsOf(loadModelDir(merged).model);
  let worst = 0, moved = 0;
  for (let i = 0; i < want.length; i++) { worst = Math.max(worst, Math.abs(got[i]! - want[i]!)); moved = Math.max(moved, Math.abs(want[i]! - base[i]!)); }
  assert.ok(worst < 1e-5, `merged logits differ from base + adapter by ${worst}`);
  assert.ok(moved > 1e-3, `the adapter changed the logits by only ${moved}`);
});

test('merge of a bfloat16 base writes bfloat16: each weight the float32 merge rounded to nearest even', async () => {
  const merged = join(root, 'bf16-merged');
  assert.equal(await mergeCommand.run(['--adapter', bf16.adapter, '--base', bf16.base, '--out', merged]), 0);
  const file = readSafetensors(join(merged, 'model.safetensors')).tensors;
  assert.ok([...file.values()].every((t) => t.dtype === 'BF16'), 'every tensor BF16, as the base');
  const ref = loadModelDir(bf16.adapter, { adapters: 'merge' }).model;
  for (const [name, p] of ref.params) {
    const t = file.get(name)!.data as Float32Array;
    const bad = [...p.f32].findIndex((v, i) => !Object.is(bf16ToF32(f32ToBf16(v)), t[i]));
    assert.equal(bad, -1, `${name}[${bad}]`);
  }
});

test('merge refuses what it cannot do, naming the flag and leaving nothing behind', async () => {
  const out = join(root, 'never');
  await assert.rejects(mergeCommand.run(['--adapter', f32.base, '--out', out]), /adapter_config\.json.*not found: --adapter .* is not a PEFT adapter directory/);
  await assert.rejects(mergeCommand.run(['--adapter', f32.adapter, '--out', f32.base]), /--out .*: the merged model must go to a directory other than --adapter and the base/);
  const moved = join(root, 'orphan');
  spawnSync('cp', ['-r', f32.adapter, moved]);
  const cfg = JSON.parse(readFileSync(join(moved, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(moved, 'adapter_config.json'), JSON.stringify({ ...cfg, base_model_name_or_path: join(root, 'gone') }));
  await assert.rejects(mergeCommand.run(['--adapter', moved, '--out', out]), /base_model_name_or_path names no model directory here; give the base with --base DIR/);
  assert.throws(() => loadModelDir(moved), /base_model_name_or_path = ".*gone" is not a model directory.*alignkit merge --adapter DIR --base BASE_DIR/);
  assert.equal(existsSync(out), false);
});

test('transformers and peft read them: AutoModelForCausalLM the merged directory, PeftModel the adapter over its base', (t) => {
  const PYTHON = referencePython();
  if (!PYTHON) { t.skip('no Python with transformers and peft (set ALIGNKIT_PYTHON): checked in alignkit only'); return; }
  const merged = join(root, 'f32-merged');
  const rows = Array.from({ length: 2 }, (_, b) => [...ids.i32.slice(b * 7, b * 7 + 7)]);
  // The adapter job names only the adapter: PeftModel finds nothing else, the base comes from --base here as alignkit wrote it.
  const base = (JSON.parse(readFileSync(join(f32.adapter, 'adapter_config.json'), 'utf8')) as { base_model_name_or_path: string }).base_model_name_or_path;
  assert.equal(base, f32.base);
  const jobs = [{ dir: merged }, { base, adapter: f32.adapter }];
  const r = spawnSync(PYTHON, [join('test/golden/families', 'load_saved.py')], { input: JSON.stringify({ ids: rows, jobs }), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const { logits } = JSON.parse(r.stdout) as { logits: number[][] };
  const want = logitsOf(loadModelDir(f32.adapter).model);
  for (const [j, got] of logits.entries()) {
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    assert.ok(worst < 1e-4, `${JSON.stringify(jobs[j])}: transformers' logits differ from alignkit's by ${worst}`);
  }
});
