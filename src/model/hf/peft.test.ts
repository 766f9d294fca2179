import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../../io/checkpoint.js';
import { readSafetensors } from '../../io/safetensors.js';
import { Rng } from '../../tensor/index.js';
import { loadModelDir, saveModelDir } from './checkpoint-dir.js';
import { freshDir, ids, logits, randomModel, smallConfig, tempRoot } from './checkpoint-fixtures.test.js';
import type { Family } from '../config.js';
import { createLora, defaultLoraTargets } from '../lora.js';
import type { Transformer } from '../transformer.js';
import { layoutOf } from '../weights.js';

const root = tempRoot();
after(() => rmSync(root, { recursive: true, force: true }));
const target = () => join(freshDir(root), 'ckpt');

/** A model with adapters whose B is non-zero, so they change the output. */
function adapted(family: Family, targets = defaultLoraTargets[family]): Transformer {
  const m = randomModel(smallConfig(family));
  m.lora = createLora(m.params, layoutOf(m.config), { rank: 2, alpha: 6, dropout: 0.05, targets }, new Rng(5));
  const rng = new Rng(6);
  for (const a of m.lora.values()) for (let i = 0; i < a.B.size; i++) a.B.f32[i] = 0.3 * rng.normal();
  return m;
}

function close(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  assert.ok(worst < tol, `largest relative difference ${worst}`);
}

for (const family of ['gpt2', 'llama'] as const) {
  test(`${family}: by default adapters are merged into a copy; the live adapters keep training`, () => {
    const m = adapted(family);
    const bBefore = [...m.lora.values()].map((a) => a.B.f32.slice());
    const wBefore = m.p(family === 'gpt2' ? 'transformer.h.0.attn.c_attn.weight' : 'model.layers.0.self_attn.q_proj.weight').f32.slice();
    const dir = target();
    saveModelDir(dir, m);
    assert.ok(!existsSync(join(dir, 'adapter_config.json')));
    assert.ok([...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()].every((k) => !k.includes('lora')));
    [...m.lora.values()].forEach((a, i) => assert.deepEqual(a.B.f32, bBefore[i]));
    assert.deepEqual(m.p(family === 'gpt2' ? 'transformer.h.0.attn.c_attn.weight' : 'model.layers.0.self_attn.q_proj.weight').f32, wBefore);
    const back = loadModelDir(dir).model;
    assert.equal(back.lora.size, 0);
    const x = ids(m.config);
    close(logits(back, x), logits(m, x));
  });

  test(`${family}: adapters saved as a PEFT adapter reload exactly`, () => {
    const m = adapted(family);
    const dir = target();
    saveModelDir(dir, m, { adapters: 'peft' });
    assert.deepEqual(readdirSync(dir).sort(), ['adapter_config.json', 'adapter_model.safetensors', 'config.json', 'generation_config.json', 'model.safetensors']);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.peft_type, 'LORA');
    assert.equal(cfg.task_type, 'CAUSAL_LM');
    assert.deepEqual([cfg.r, cfg.lora_alpha, cfg.lora_dropout, cfg.bias, cfg.fan_in_fan_out], [2, 6, 0.05, 'none', family === 'gpt2']);
    assert.deepEqual(cfg.target_modules, defaultLoraTargets[family]);
    assert.equal(cfg.base_model_name_or_path, dir);
    const adapterTensors = readSafetensors(join(dir, 'adapter_model.safetensors'));
    const C = 16;
    const expectedShapes = family === 'gpt2'
      ? { 'transformer.h.0.attn.c_attn': [C, 3 * C], 'transformer.h.0.attn.c_proj': [C, C], 'transformer.h.0.mlp.c_fc': [C, 4 * C], 'transformer.h.0.mlp.c_proj': [4 * C, C] }
      : { 'model.layers.0.self_attn.q_proj': [C, C], 'model.layers.0.self_attn.k_proj': [C, 8], 'model.layers.0.self_attn.v_proj': [C, 8], 'model.layers.0.self_attn.o_proj': [C, C], 'model.layers.0.mlp.gate_proj': [C, 40], 'model.layers.0.mlp.up_proj': [C, 40], 'model.layers.0.mlp.down_proj': [40, C] };
    // PEFT's layout: lora_A (r, in), lora_B (out, r), whatever the base weight's storage order.
    for (const [mod, [inDim, outDim]] of Object.entries(expectedShapes)) {
      assert.deepEqual(adapterTensors.tensors.get(`base_model.model.${mod}.lora_A.weight`)?.shape, [2, inDim], mod);
      assert.deepEqual(adapterTensors.tensors.get(`base_model.model.${mod}.lora_B.weight`)?.shape, [outDim, 2], mod);
    }
    assert.equal(adapterTensors.tensors.size, 2 * m.lora.size);
    assert.deepEqual(adapterTensors.metadata, { format: 'pt' });
    // The base weights are stored unmerged.
    const base = readSafetensors(join(dir, 'model.safetensors')).tensors;
    for (const [name, t] of m.params) assert.deepEqual(base.get(name)?.data, t.f32, name);

    const x = ids(m.config);
    const back = loadModelDir(dir).model;
    assert.deepEqual([...back.lora.keys()], [...m.lora.keys()]);
    for (const [k, a] of back.lora) {
      assert.equal(a.scale, 3);
      assert.equal(a.dropout, 0.05);
      assert.equal(a.A.name, m.lora.get(k)!.A.name);
      assert.ok(a.A.requiresGrad && a.B.requiresGrad);
    }
    assert.deepEqual(logits(back, x), logits(m, x));
    close(logits(loadModelDir(dir, { adapters: 'merge' }).model, x), logits(m, x));
    const ignored = loadModelDir(dir, { adapters: 'ignore' }).model;
    assert.equal(ignored.lora.size, 0);
    m.lora = new Map();
    assert.deepEqual(logits(ignored, x), logits(m, x));
  });
}

test('adapters on only some layers are named in full; lora_alpha is exact; uneven ranks go in rank_pattern', () => {
  const m = adapted('llama', ['q_proj', 'v_proj']);
  m.lora.delete('model.layers.1.self_attn.v_proj.weight');
  const wide = createLora(m.params, 'out-in', { rank: 3, alpha: 7, dropout: 0, targets: ['o_proj'] }, new Rng(8));
  const [oName, o] = [...wide][0]!;
  m.lora.set(oName, o);
  const dir = target();
  saveModelDir(dir, m, { adapters: 'peft', baseModelNameOrPath: 'org/base' });
  const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
  assert.deepEqual(cfg.target_modules, ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.0.self_attn.o_proj']);
  assert.equal(cfg.base_model_name_or_path, 'org/base');
  assert.deepEqual([cfg.r, cfg.lora_alpha], [2, 6]);
  assert.deepEqual(cfg.rank_pattern, { 'model.layers.0.self_attn.o_proj': 3 });
  assert.deepEqual(cfg.alpha_pattern, { 'model.layers.0.self_attn.o_proj': 7 }, '7/3·3 written as 7, not 7.000000000000001');
  const back = loadModelDir(dir).model;
  assert.equal(back.lora.get(oName)!.scale, 7 / 3);
  const x = ids(m.config);
  assert.deepEqual(logits(back, x), logits(m, x));
});

test('PEFT adapter files that alignkit cannot represent are refused naming the file', () => {
  const m = adapted('gpt2');
  const dir = target();
  saveModelDir(dir, m, { adapters: 'peft' });
  const cfgFile = join(dir, 'adapter_config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  const check = (edit: Record<string, unknown>, re: RegExp) => {
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, ...edit }));
    assert.throws(() => loadModelDir(dir), (e: unknown) => e instanceof CheckpointError && e.message.startsWith(`${cfgFile}: `) && re.test(e.message));
  };
  check({ use_dora: true }, /use_dora = true/);
  check({ peft_type: 'IA3' }, /peft_type = "IA3"/);
  check({ bias: 'all' }, /bias = "all"/);
  check({ modules_to_save: ['score'] }, /modules_to_save/);
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, r: 4 }));
  const wFile = join(dir, 'adapter_model.safetensors');
  assert.throws(() => loadModelDir(dir), (e: unknown) => e instanceof CheckpointError && e.message.startsWith(`${wFile}: `) &&
    /"base_model\.model\.transformer\.h\.0\.attn\.c_attn\.lora_A\.weight" has shape \[2, 16\], expected \[4, 16\]/.test(e.message));
});
