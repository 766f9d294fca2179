// narrowFrozen and widenFrozen (issue 18): a frozen copy of a model whose weights are 16-bit
// values goes 16-bit exactly (same logits, bit for bit), a trained weight never does, and
// widening gives trainable float32 parameters with the same logits again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad } from '../../autograd/index.js';
import { Rng } from '../../tensor/index.js';
import { randomIds, tinyConfig } from '../test-util.test.js';
import { Transformer } from '../transformer.js';
import { loadModelDir, saveModelDir } from './checkpoint-dir.js';
import { narrowFrozen, widenFrozen } from './frozen-dtype.js';

/** A model whose matrices hold bfloat16 values (float32 with the low 16 bits cleared). */
function bf16Valued(family: 'gpt2' | 'llama'): Transformer {
  const m = new Transformer(tinyConfig(family), undefined, 7);
  for (const t of m.params.values()) {
    const u = new Uint32Array(t.f32.buffer, t.f32.byteOffset, t.size);
    for (let i = 0; i < u.length; i++) u[i] = u[i]! & 0xffff0000;
  }
  return m;
}

for (const family of ['gpt2', 'llama'] as const) {
  test(`${family}: narrowFrozen keeps the logits bit for bit, widenFrozen makes them trainable again`, () => {
    const m = bf16Valued(family), ids = randomIds(new Rng(1), 2, 5, m.config.vocabSize);
    const [trained, t] = [...m.params].find(([, x]) => x.rank === 2)!;
    t.f32[0]! += 1e-3; // no longer a bfloat16 value, as a trained weight would be
    const want = noGrad(() => m.logits(ids)).f32.slice();
    assert.ok([...narrowFrozen(bf16Valued(family), 'float32').params.values()].every((x) => x.dtype === 'float32'), "'float32' narrows nothing");
    narrowFrozen(m);
    const matrices = [...m.params.values()].filter((x) => x.rank === 2);
    assert.equal(matrices.filter((x) => x.dtype === 'bfloat16').length, matrices.length - 1);
    assert.equal(m.p(trained).dtype, 'float32', 'a weight that bfloat16 cannot hold stays float32');
    const got = noGrad(() => m.logits(ids)).f32;
    assert.deepEqual(got, want, 'narrowing changes no logit');
    widenFrozen(m);
    assert.ok([...m.params.values()].every((x) => x.dtype === 'float32' && x.requiresGrad));
    assert.deepEqual(noGrad(() => m.logits(ids)).f32, want, 'widening changes no logit');
  });
}

test('a frozen 16-bit model saves widened, loads back and copyFrom narrows exactly or refuses', () => {
  const m = bf16Valued('llama');
  narrowFrozen(m);
  const dir = mkdtempSync(join(tmpdir(), 'frozen-dtype-'));
  try {
    saveModelDir(dir, m);
    const back = loadModelDir(dir, { tokenizer: false }).model;
    assert.ok([...back.params.values()].every((t) => t.dtype === 'float32'), 'saved as F32');
    const ids = randomIds(new Rng(2), 1, 4, m.config.vocabSize);
    assert.deepEqual(noGrad(() => back.logits(ids)).f32, noGrad(() => m.logits(ids)).f32);
    const copy = m.clone();
    copy.copyFrom(back);
    assert.ok([...copy.params.values()].some((t) => t.isHalf), 'clone keeps 16-bit weights');
    back.p('model.layers.0.mlp.up_proj.weight').f32[3]! += 1e-4;
    assert.throws(() => copy.copyFrom(back), /"model\.layers\.0\.mlp\.up_proj\.weight" is a frozen bfloat16 weight and the source holds values bfloat16 cannot represent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
