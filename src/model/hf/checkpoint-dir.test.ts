import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readSafetensors } from '../../io/safetensors.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { Tensor } from '../../tensor/index.js';
import { loadModelDir, saveModelDir } from './checkpoint-dir.js';
import { bf16Bits, bf16Value, f16Bits, f16Value, freshDir, halves, ids, logits, randomModel, rawSafetensors, smallConfig, tempRoot } from './checkpoint-fixtures.test.js';
import { defaultConfig } from '../config.js';
import { addScalarHead, scalarAtLast } from '../heads.js';
import { Transformer } from '../transformer.js';

const root = tempRoot();
after(() => rmSync(root, { recursive: true, force: true }));
const target = () => join(freshDir(root), 'ckpt');

/** The header JSON of a safetensors file, as written. */
function header(file: string): Record<string, { dtype: string; shape: number[] }> & { __metadata__?: Record<string, string> } {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
}

for (const family of ['gpt2', 'llama'] as const) {
  test(`${family}: save then load gives identical logits, tokenizer and generation settings`, () => {
    const c = smallConfig(family);
    const m = randomModel(c);
    const tok = new ByteTokenizer();
    const dir = target();
    saveModelDir(dir, m, { tokenizer: tok, generation: { maxNewTokens: 12, temperature: 0.8, topK: 20, topP: 0.95 } });
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const back = loadModelDir(dir);
    assert.deepEqual(back.model.config, c);
    assert.deepEqual([...back.model.params.keys()], [...m.params.keys()], 'parameters in the order a fresh model has them');
    const x = ids(c);
    assert.deepEqual(logits(back.model, x), logits(m, x));
    assert.equal(back.tokenizer?.kind, 'byte');
    assert.deepEqual(back.tokenizer?.encode('héllo <|eos|>'), tok.encode('héllo <|eos|>'));
    assert.deepEqual(back.generation, { maxNewTokens: 12, temperature: 0.8, topK: 20, topP: 0.95, bos: tok.bos, eos: tok.eos, pad: tok.pad });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual([cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id], [tok.bos, tok.eos, tok.pad]);
    assert.deepEqual(back.metadata, { format: 'pt' });
  });
}

test('a scalar head (reward model) survives the round trip', () => {
  const c = smallConfig('gpt2');
  const m = randomModel(c);
  addScalarHead(m);
  m.p('score.bias').f32[0] = 0.25;
  const dir = target();
  saveModelDir(dir, m);
  const names = Object.keys(header(join(dir, 'model.safetensors')));
  // The Hub's layout (reward-layout.ts): score.weight alone, the bias kept in config.json.
  assert.ok(names.includes('score.weight') && !names.includes('score.bias'));
  assert.equal((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { alignkit: { score_bias: number } }).alignkit.score_bias, 0.25);
  const back = loadModelDir(dir).model;
  const x = ids(c);
  const h = (mm: Transformer) => scalarAtLast(mm, mm.hidden(x), [6, 3]).f32;
  assert.deepEqual(h(back), h(m));
  assert.deepEqual(logits(back, x), logits(m, x));
});

test('an HF sequence-classification score without bias loads with a zero bias', () => {
  const c = smallConfig('llama');
  const m = randomModel(c);
  addScalarHead(m);
  m.params.delete('score.bias');
  const dir = target();
  saveModelDir(dir, m);
  const back = loadModelDir(dir).model;
  assert.deepEqual(back.p('score.bias').toArray(), [0]);
  assert.deepEqual(back.p('score.weight').f32, m.p('score.weight').f32);
});

test('GPT-2 tensors are GPT2LMHeadModel\'s names and (in, out) Conv1D shapes; lm_head omitted when tied', () => {
  const c = defaultConfig('gpt2', { vocabSize: 20, maxSeqLen: 8, dModel: 8, nLayer: 2, nHead: 2 }); // C 8, F 32
  const dir = target();
  saveModelDir(dir, new Transformer(c));
  const expected: Record<string, number[]> = {
    'transformer.wte.weight': [20, 8], 'transformer.wpe.weight': [8, 8],
    'transformer.ln_f.weight': [8], 'transformer.ln_f.bias': [8],
  };
  for (const i of [0, 1]) {
    Object.assign(expected, {
      [`transformer.h.${i}.ln_1.weight`]: [8], [`transformer.h.${i}.ln_1.bias`]: [8],
      [`transformer.h.${i}.attn.c_attn.weight`]: [8, 24], [`transformer.h.${i}.attn.c_attn.bias`]: [24],
      [`transformer.h.${i}.attn.c_proj.weight`]: [8, 8], [`transformer.h.${i}.attn.c_proj.bias`]: [8],
      [`transformer.h.${i}.ln_2.weight`]: [8], [`transformer.h.${i}.ln_2.bias`]: [8],
      [`transformer.h.${i}.mlp.c_fc.weight`]: [8, 32], [`transformer.h.${i}.mlp.c_fc.bias`]: [32],
      [`transformer.h.${i}.mlp.c_proj.weight`]: [32, 8], [`transformer.h.${i}.mlp.c_proj.bias`]: [8],
    });
  }
  const h = header(join(dir, 'model.safetensors'));
  assert.deepEqual(h.__metadata__, { format: 'pt' });
  const { __metadata__: _, ...tensors } = h;
  assert.deepEqual(Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.shape])), expected);
  assert.ok(Object.values(tensors).every((t) => t.dtype === 'F32'));
});

test('Llama tensors are LlamaForCausalLM\'s names and (out, in) shapes, with grouped k/v', () => {
  const c = defaultConfig('llama', { vocabSize: 20, maxSeqLen: 8, dModel: 8, nLayer: 2, nHead: 4, nKvHead: 2, dFF: 24 }); // D 2
  const dir = target();
  saveModelDir(dir, new Transformer(c));
  const expected: Record<string, number[]> = { 'model.embed_tokens.weight': [20, 8], 'model.norm.weight': [8], 'lm_head.weight': [20, 8] };
  for (const i of [0, 1]) {
    Object.assign(expected, {
      [`model.layers.${i}.input_layernorm.weight`]: [8], [`model.layers.${i}.post_attention_layernorm.weight`]: [8],
      [`model.layers.${i}.self_attn.q_proj.weight`]: [8, 8], [`model.layers.${i}.self_attn.k_proj.weight`]: [4, 8],
      [`model.layers.${i}.self_attn.v_proj.weight`]: [4, 8], [`model.layers.${i}.self_attn.o_proj.weight`]: [8, 8],
      [`model.layers.${i}.mlp.gate_proj.weight`]: [24, 8], [`model.layers.${i}.mlp.up_proj.weight`]: [24, 8],
      [`model.layers.${i}.mlp.down_proj.weight`]: [8, 24],
    });
  }
  const { __metadata__: meta, ...tensors } = header(join(dir, 'model.safetensors'));
  assert.deepEqual(meta, { format: 'pt' });
  assert.deepEqual(Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.shape])), expected);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual([cfg.model_type, cfg.num_key_value_heads, cfg.head_dim, cfg.bos_token_id], ['llama', 2, 2, null]);
});

for (const [dtype, bits, value] of [['F16', f16Bits, f16Value], ['BF16', bf16Bits, bf16Value]] as const) {
  test(`a checkpoint stored in ${dtype} loads widened to F32`, () => {
    for (const family of ['gpt2', 'llama'] as const) {
      const c = smallConfig(family);
      const m = randomModel(c);
      const dir = target();
      saveModelDir(dir, m);
      const entries = [];
      const rounded = new Map<string, Tensor>();
      for (const [name, t] of m.params) {
        const h = halves(t.f32, bits, value);
        entries.push({ name, dtype, shape: [...t.shape], bytes: h.bytes });
        rounded.set(name, new Tensor(h.rounded, t.shape));
      }
      writeFileSync(join(dir, 'model.safetensors'), rawSafetensors(entries, { format: 'pt' }));
      assert.equal(readSafetensors(join(dir, 'model.safetensors')).tensors.get(entries[0]!.name)!.dtype, dtype);
      const back = loadModelDir(dir).model;
      const x = ids(c);
      assert.deepEqual(logits(back, x), logits(new Transformer(c, rounded), x));
      assert.notDeepEqual(logits(back, x), logits(m, x), 'the halves really are rounded');
    }
  });
}

test('a sharded checkpoint (model.safetensors.index.json) loads', () => {
  const c = smallConfig('llama');
  const m = randomModel(c);
  const dir = target();
  saveModelDir(dir, m);
  const all = readSafetensors(join(dir, 'model.safetensors')).tensors;
  rmSync(join(dir, 'model.safetensors'));
  const names = [...all.keys()];
  const shards = [names.slice(0, 5), names.slice(5)];
  const weightMap: Record<string, string> = {};
  shards.forEach((list, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const entries = list.map((n) => {
      const t = all.get(n)!;
      return { name: n, dtype: 'F32', shape: t.shape, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
    });
    writeFileSync(join(dir, file), rawSafetensors(entries, { format: 'pt' }));
    for (const n of list) weightMap[n] = file;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  const x = ids(c);
  assert.deepEqual(logits(loadModelDir(dir).model, x), logits(m, x));
});

test('extra tensors are written, refused on load by default, returned when allowed', () => {
  const c = smallConfig('gpt2');
  const m = randomModel(c);
  const dir = target();
  const extra = new Tensor(Float32Array.of(1, 2, 3), [3]);
  saveModelDir(dir, m, { extraTensors: new Map([['reward_norm.mean', extra]]), metadata: { step: '12' } });
  assert.throws(() => loadModelDir(dir), /model\.safetensors: unexpected tensor "reward_norm\.mean"/);
  const back = loadModelDir(dir, { allowExtraTensors: true });
  assert.deepEqual(back.extras.get('reward_norm.mean')?.toArray(), [1, 2, 3]);
  assert.deepEqual(back.metadata, { format: 'pt', step: '12' });
  assert.throws(() => saveModelDir(target(), m, { extraTensors: new Map([['transformer.wte.weight', extra]]) }), /has the name of a model parameter/);
});

test('loading options: dropout override, tokenizer off; no generation_config.json gives null', () => {
  const c = smallConfig('gpt2', { dropout: 0.1 });
  const dir = target();
  saveModelDir(dir, randomModel(c), { tokenizer: new ByteTokenizer() });
  rmSync(join(dir, 'generation_config.json'));
  const back = loadModelDir(dir, { dropout: 0, tokenizer: false });
  assert.equal(back.model.config.dropout, 0);
  assert.equal(loadModelDir(dir).model.config.dropout, 0.1);
  assert.equal(back.tokenizer, null);
  assert.equal(back.generation, null);
});

test('saves leave no temporary files and a trailing slash is the same directory', () => {
  const dir = target();
  const m = randomModel(smallConfig('gpt2'));
  saveModelDir(dir + '/', m);
  saveModelDir(dir, m);
  assert.deepEqual(readdirSync(dirname(dir)), [basename(dir)]);
});
