// The frozen base of a LoRA run stays in its checkpoint's 16-bit type (issue 18, point 3): only
// the adapters are float32, and the model computes what the float32-widened base computes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../src/io/temp-dir.test.js';
import { loadModelDir, saveModelDir } from '../../../src/model/index.js';
import { noGrad } from '../../../src/autograd/index.js';
import { sum } from '../../../src/ops/index.js';
import { Tensor } from '../../../src/tensor/index.js';
import { CharTokenizer } from '../../../src/tokenizer/index.js';
import { loadTrainable } from '../../../src/align/trainer/lora-options.js';

const FIXTURE = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'golden', 'families', 'checkpoints', 'llama', 'bf16');

test('loadTrainable with --lora-r keeps a bf16 base 16-bit and computes what the float32 base computes', () => {
  const dir = join(tempDir('lora-half-'), 'base');
  const wide = loadModelDir(FIXTURE, { tokenizer: false }).model;
  saveModelDir(dir, wide, { tokenizer: CharTokenizer.fromCorpus('abc'), dtype: 'BF16' });

  const { model } = loadTrainable(dir, { loraR: 4 }, 'model', 3);
  assert.ok(model.lora.size > 0);
  for (const name of model.lora.keys()) assert.equal(model.p(name).dtype, 'bfloat16', `${name} under its adapter`);
  assert.equal(model.p('model.embed_tokens.weight').dtype, 'bfloat16');
  for (const [name, p] of model.params) assert.equal(p.requiresGrad, false, `${name} is frozen`);
  for (const a of model.lora.values()) assert.equal(a.A.dtype, 'float32');

  // The same adapters (B made non-zero) on the base widened to float32 give the same logits, bit for bit.
  const f32 = loadTrainable(dir, { loraR: 4 }, 'model', 3).model;
  for (const [k, a] of model.lora) {
    a.B.f32.forEach((_, i) => { a.B.f32[i] = Math.sin(i + k.length) * 0.1; });
    f32.lora.get(k)!.B.f32.set(a.B.f32);
  }
  for (const [k, p] of f32.params) if (p.dtype === 'bfloat16') f32.params.set(k, Object.assign(new Tensor(p.values(), p.shape), { name: p.name }));
  const ids = new Tensor(Int32Array.from([1, 5, 9, 2, 7, 3]), [1, 6]);
  const got = noGrad(() => model.logits(ids)).f32, want = noGrad(() => f32.logits(ids)).f32;
  assert.deepEqual(got, want);

  // The adapters train through the 16-bit base.
  const loss = sum(model.logits(ids));
  loss.backward();
  assert.ok([...model.lora.values()].some((a) => a.A.grad && a.A.grad.f32.some((g) => g !== 0)), 'gradients reach the adapters');
});
