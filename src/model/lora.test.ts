// LoRA (Hu et al. 2021): B = 0 starts at the base model exactly; training only the adapters leaves
// the base weights untouched; merging folds the adapters into the weights without changing the
// logits. Both storage layouts (GPT-2 in-out, Llama out-in) are covered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd/index.js';
import { AdamW } from '../nn/index.js';
import { crossEntropy } from '../ops/index.js';
import { Rng } from '../tensor/index.js';
import { createLora, defaultLoraTargets, mergeLora } from './lora.js';
import { Transformer } from './transformer.js';
import { layoutOf } from './weights.js';
import { expectClose, maxAbs, randomIds, tinyConfig } from './test-util.test.js';

for (const family of ['gpt2', 'llama'] as const) {
  test(`${family} LoRA: B = 0 gives the base logits; adapter-only AdamW changes adapters, not the base; merge keeps the logits`, () => {
    const cfg = tinyConfig(family);
    const model = new Transformer(cfg, undefined, 41);
    const rng = new Rng(42);
    const ids = randomIds(rng, 2, 6, cfg.vocabSize), targets = randomIds(rng, 2, 6, cfg.vocabSize);
    const base = noGrad(() => model.logits(ids)).f32.slice();

    model.lora = createLora(model.params, layoutOf(cfg), { rank: 4, alpha: 8, dropout: 0, targets: defaultLoraTargets[family] });
    const perLayer = family === 'gpt2' ? 4 : 7; // c_attn, attn.c_proj, c_fc, mlp.c_proj / seven projections
    assert.equal(model.lora.size, perLayer * cfg.nLayer);
    assert.deepEqual([...noGrad(() => model.logits(ids)).f32], [...base], 'B = 0 must reproduce the base model bit for bit');

    for (const p of model.params.values()) p.requireGrad(false);
    const baseBefore = new Map([...model.params].map(([k, t]) => [k, t.f32.slice()]));
    const adapters = [...model.lora.values()];
    const aBefore = adapters.map((a) => a.A.f32.slice());
    const opt = new AdamW(model.namedParameters(), { lr: 1e-2 });
    for (let step = 0; step < 2; step++) {
      crossEntropy(model.logits(ids), targets).backward();
      for (const [name, p] of model.params) assert.equal(p.grad, null, `frozen ${name} received a gradient`);
      if (step === 0) {
        // With B = 0 the gradient of A is exactly zero at the first step; B's is not.
        for (const a of adapters) assert.equal(maxAbs(a.A.grad!.f32), 0, `${a.A.name}: gradient before B moved`);
        assert.ok(adapters.every((a) => maxAbs(a.B.grad!.f32) > 0), 'every B has a gradient');
      }
      opt.update();
      opt.zeroGrad();
    }
    for (const [name, p] of model.params) assert.deepEqual(p.f32, baseBefore.get(name), `base weight ${name} changed`);
    adapters.forEach((a, i) => {
      assert.ok(maxAbs(a.B.f32) > 0, `${a.B.name} did not move`);
      assert.notDeepEqual(a.A.f32, aBefore[i], `${a.A.name} did not move`);
    });
    const adapted = noGrad(() => model.logits(ids)).f32.slice();
    assert.ok(maxAbs(adapted.map((v, i) => v - base[i]!)) > 1e-3, 'the adapters changed nothing');

    mergeLora(model.params, model.lora, layoutOf(cfg));
    const merged = new Transformer(cfg, model.params); // no adapters: the merged weights alone
    expectClose('merged logits', noGrad(() => merged.logits(ids)).f32, adapted, 1e-5);
    expectClose('adapter model after merge (B zeroed)', noGrad(() => model.logits(ids)).f32, adapted, 1e-5);
  });
}

test('createLora names adapters after their weight and rejects bad rank or targets', () => {
  const cfg = tinyConfig('llama');
  const model = new Transformer(cfg);
  const lora = createLora(model.params, 'out-in', { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj'] });
  const a = lora.get('model.layers.1.self_attn.q_proj.weight')!;
  assert.equal(a.A.name, 'model.layers.1.self_attn.q_proj.lora_A.weight');
  assert.equal(a.B.name, 'model.layers.1.self_attn.q_proj.lora_B.weight');
  assert.deepEqual(a.A.shape, [2, cfg.dModel]);
  assert.deepEqual(a.B.shape, [cfg.dModel, 2]);
  assert.equal(a.scale, 2);
  assert.throws(() => createLora(model.params, 'out-in', { rank: 0, alpha: 1, dropout: 0, targets: ['q_proj'] }), /rank = 0/);
  assert.throws(() => createLora(model.params, 'out-in', { rank: 2, alpha: 1, dropout: 0, targets: ['c_attn'] }), /no weight matches the targets \[c_attn\]/);
});
