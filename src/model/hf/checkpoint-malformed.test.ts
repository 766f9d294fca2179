// Broken checkpoint directories must fail with an error that names the file at fault and says
// what was found and what was expected; a failed save must leave an existing checkpoint whole.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../../io/checkpoint.js';
import { readSafetensors, SafetensorsError, writeSafetensors, type TensorToWrite } from '../../io/safetensors.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { loadModelDir, saveModelDir } from './checkpoint-dir.js';
import { freshDir, ids, logits, randomModel, smallConfig, tempRoot } from './checkpoint-fixtures.test.js';
import type { Family } from '../config.js';

const root = tempRoot();
after(() => rmSync(root, { recursive: true, force: true }));

function saved(family: Family = 'gpt2'): { dir: string; weights: string } {
  const dir = join(freshDir(root), 'ckpt');
  saveModelDir(dir, randomModel(smallConfig(family)));
  return { dir, weights: join(dir, 'model.safetensors') };
}

/** Rewrites model.safetensors through `edit` of its tensors. */
function editWeights(file: string, edit: (t: Map<string, TensorToWrite>) => void): void {
  const t = new Map<string, TensorToWrite>([...readSafetensors(file).tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
  edit(t);
  writeSafetensors(file, t, { format: 'pt' });
}

const fails = (type: new (...a: never[]) => Error, file: string, ...parts: RegExp[]) => (e: unknown) => {
  assert.ok(e instanceof type, `${String(e)} is not a ${type.name}`);
  assert.ok(e.message.startsWith(`${file}: `), `"${e.message}" does not start with ${file}`);
  for (const p of parts) assert.match(e.message, p);
  return true;
};

test('missing config.json names it', () => {
  const { dir } = saved();
  rmSync(join(dir, 'config.json'));
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, join(dir, 'config.json'), /not found/));
  assert.throws(() => loadModelDir(join(root, 'nowhere')), fails(CheckpointError, join(root, 'nowhere', 'config.json')));
  // A crash between the two renames of a save leaves the old checkpoint beside the directory.
  renameSync(dir, `${dir}.old-4242`);
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, join(dir, 'config.json'), /interrupted save left .*ckpt\.old-4242/));
});

test('config.json that is not JSON, or of an unsupported model_type, names config.json', () => {
  const { dir } = saved();
  const file = join(dir, 'config.json');
  writeFileSync(file, '{"model_type": ');
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, file, /not valid JSON/));
  // Mistral loads since issue 18; Mixtral (mixture of experts) is a family alignkit does not implement.
  writeFileSync(file, JSON.stringify({ model_type: 'mixtral', architectures: ['MixtralForCausalLM'] }));
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, file, /model_type = "mixtral"/, /"gpt2", "llama", "mistral"/));
});

test('missing weights name the directory and the files looked for', () => {
  const { dir, weights } = saved();
  rmSync(weights);
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, dir, /model\.safetensors or model\.safetensors\.index\.json/));
});

test('a missing tensor is named with its expected shape', () => {
  const { dir, weights } = saved();
  editWeights(weights, (t) => t.delete('transformer.h.1.mlp.c_fc.bias'));
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /missing tensor "transformer\.h\.1\.mlp\.c_fc\.bias" of shape \[64\]/));
});

test('an untied model without lm_head.weight is missing a tensor', () => {
  const { dir, weights } = saved('llama');
  editWeights(weights, (t) => t.delete('lm_head.weight'));
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /missing tensor "lm_head\.weight" of shape \[260, 16\]/));
});

test('a wrong shape names the tensor, the shape found and the shape expected', () => {
  const { dir, weights } = saved('llama');
  editWeights(weights, (t) => {
    const k = t.get('model.layers.0.self_attn.k_proj.weight')!; // (Hkv·D, C) = (8, 16)
    t.set('model.layers.0.self_attn.k_proj.weight', { shape: [16, 8], data: k.data });
  });
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /"model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[16, 8\], expected \[8, 16\]/));
  // The same weights under a config.json that disagrees: n_inner says 48, the file holds 64.
  const other = saved();
  const cfgFile = join(other.dir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), n_inner: 48 }));
  assert.throws(() => loadModelDir(other.dir), fails(CheckpointError, other.weights, /tensor "transformer\.h\.0\.mlp\.c_fc\.(bias" has shape \[64\], expected \[48\]|weight" has shape \[16, 64\], expected \[16, 48\])/));
});

test('a truncated model.safetensors names the file', () => {
  const { dir, weights } = saved();
  truncateSync(weights, statSync(weights).size - 10);
  assert.throws(() => loadModelDir(dir), fails(SafetensorsError, weights, /truncated|past the end|belong to no tensor/));
  truncateSync(weights, 5);
  assert.throws(() => loadModelDir(dir), fails(SafetensorsError, weights, /file is 5 bytes/));
});

test('unexpected tensors are refused; HF buffers and a tied lm_head equal to wte are accepted', () => {
  const { dir, weights } = saved();
  const m = loadModelDir(dir).model;
  const x = ids(m.config);
  const ref = logits(m, x);
  editWeights(weights, (t) => {
    const T = 16;
    t.set('transformer.h.0.attn.bias', { shape: [1, 1, T, T], data: new Float32Array(T * T).fill(1) });
    t.set('transformer.h.1.attn.masked_bias', { shape: [], data: Float32Array.of(-1e4) });
    t.set('lm_head.weight', t.get('transformer.wte.weight')!);
  });
  assert.deepEqual(logits(loadModelDir(dir).model, x), ref);
  editWeights(weights, (t) => {
    const w = t.get('transformer.wte.weight')!;
    const d = (w.data as Float32Array).slice();
    d[3]! += 1;
    t.set('lm_head.weight', { shape: w.shape, data: d });
  });
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /"lm_head\.weight" differs from "transformer\.wte\.weight"/, /tie_word_embeddings true/));
  editWeights(weights, (t) => {
    t.delete('lm_head.weight');
    t.set('transformer.h.0.crossattention.c_attn.weight', { shape: [2], data: new Float32Array(2) });
  });
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /unexpected tensor "transformer\.h\.0\.crossattention\.c_attn\.weight"/));
  editWeights(weights, (t) => {
    t.delete('transformer.h.0.crossattention.c_attn.weight');
    t.set('score.weight', { shape: [2, 16], data: new Float32Array(32) });
  });
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /"score\.weight" has shape \[2, 16\], expected \[1, 16\]/));
});

test('Llama rotary inv_freq buffers are skipped; integer weights are refused', () => {
  const { dir, weights } = saved('llama');
  editWeights(weights, (t) => t.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [2], data: Float32Array.of(1, 0.01) }));
  loadModelDir(dir);
  editWeights(weights, (t) => t.set('model.norm.weight', { shape: [16], data: new Int32Array(16) }));
  assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights, /"model\.norm\.weight" has dtype I32, expected a float dtype/));
});

test('a checkpoint saved from the bare GPT2Model (no "transformer." prefix) loads', () => {
  const { dir, weights } = saved();
  const ref = loadModelDir(dir).model;
  editWeights(weights, (t) => {
    for (const [k, v] of [...t]) {
      t.delete(k);
      t.set(k.replace(/^transformer\./, ''), v);
    }
  });
  const x = ids(ref.config);
  assert.deepEqual(logits(loadModelDir(dir).model, x), logits(ref, x));
});

class BrokenTokenizer extends ByteTokenizer {
  override save(): void {
    throw new Error('disk full');
  }
}

test('a failed save leaves the existing checkpoint whole and no temporary directory', () => {
  const { dir } = saved();
  writeFileSync(join(dir, 'metrics.jsonl'), '{"step":1}\n');
  const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
  const ref = loadModelDir(dir).model;
  const other = randomModel(smallConfig('gpt2'), 99);
  assert.throws(() => saveModelDir(dir, other, { tokenizer: new BrokenTokenizer() }), /disk full/);
  // Fails at the last file, after config.json and generation_config.json were written.
  assert.throws(() => saveModelDir(dir, other, { metadata: { step: 3 as unknown as string } }), /metadata\["step"\] must be a string/);
  assert.deepEqual(readdirSync(dirname(dir)), [basename(dir)]);
  assert.deepEqual(new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))])), before);
  const x = ids(ref.config);
  assert.deepEqual(logits(loadModelDir(dir).model, x), logits(ref, x));
});

test('a save over a checkpoint replaces its own files, drops stale ones and keeps everyone else\'s', () => {
  const { dir } = saved();
  writeFileSync(join(dir, 'adapter_config.json'), '{}'); // stale: from an earlier PEFT save
  writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), 'stale shard');
  writeFileSync(join(dir, 'trainer_state.json'), '{"step": 3}'); // someone else's
  mkdirSync(join(dir, 'checkpoint-3'));
  writeFileSync(join(dir, 'checkpoint-3', 'config.json'), '{}');
  const m = randomModel(smallConfig('gpt2'), 11);
  saveModelDir(dir, m, { tokenizer: new ByteTokenizer() });
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint-3', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json']);
  assert.equal(readFileSync(join(dir, 'trainer_state.json'), 'utf8'), '{"step": 3}');
  assert.equal(readFileSync(join(dir, 'checkpoint-3', 'config.json'), 'utf8'), '{}');
  assert.deepEqual(readdirSync(dirname(dir)), [basename(dir)]);
  const x = ids(m.config);
  assert.deepEqual(logits(loadModelDir(dir).model, x), logits(m, x));
});

test('saving refuses a tokenizer with more ids than the embedding has rows, and a file in the way', () => {
  const m = randomModel(smallConfig('gpt2', { vocabSize: 200 }));
  const dir = join(freshDir(root), 'ckpt');
  assert.throws(() => saveModelDir(dir, m, { tokenizer: new ByteTokenizer() }), fails(CheckpointError, dir, /259 ids but the model's vocabSize is 200/));
  writeFileSync(dir, 'not a directory');
  assert.throws(() => saveModelDir(dir, m), fails(CheckpointError, dir, /not a directory/));
  assert.throws(() => saveModelDir(join(freshDir(root), 'x'), m, { generation: { topP: 2 } }), /topP = 2, expected a number in \(0, 1\]/);
});

test('weights holding NaN or Infinity are refused at load, naming the tensor and where (issue 16)', () => {
  for (const [bad, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    const { dir, weights } = saved('llama');
    editWeights(weights, (t) => {
      const w = t.get('model.layers.0.mlp.up_proj.weight')!;
      const data = Float32Array.from(w.data as Float32Array);
      data[5] = bad;
      data[9] = bad;
      t.set('model.layers.0.mlp.up_proj.weight', { shape: w.shape, data });
    });
    assert.throws(() => loadModelDir(dir), fails(CheckpointError, weights,
      new RegExp(`tensor "model\\.layers\\.0\\.mlp\\.up_proj\\.weight" holds ${shown} at index 5 \\(2 of its \\d+ values are not finite\\)`), /load an earlier checkpoint/));
  }
});

test('a run directory given where a model directory is expected says which folder was meant (issue 16)', () => {
  const run = join(freshDir(root), 'run');
  saveModelDir(join(run, 'model'), randomModel(smallConfig('gpt2')));
  writeFileSync(join(run, 'config.json'), JSON.stringify({ command: 'sft', steps: 4 }));
  writeFileSync(join(run, 'state.json'), '{"version":1,"completed":[]}');
  assert.throws(() => loadModelDir(run), fails(CheckpointError, run, new RegExp(`is a run directory; its model is ${join(run, 'model').replaceAll('/', '\\/')}$`)));
  const failed = join(freshDir(root), 'failed');
  saveModelDir(join(failed, 'checkpoints', 'step-0', 'policy'), randomModel(smallConfig('gpt2')));
  writeFileSync(join(failed, 'config.json'), JSON.stringify({ command: 'ppo' }));
  assert.throws(() => loadModelDir(failed), fails(CheckpointError, failed, /is a run directory with no final model yet \(an unfinished or failed run\); its checkpoints are in .*checkpoints$/));
  assert.throws(() => loadModelDir(join(failed, 'checkpoints', 'step-0')), /is an online trainer's checkpoint; its policy is .*step-0\/policy$/);
});
