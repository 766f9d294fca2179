// 16-bit frozen weights (issue 18 point 3) on the real families' bfloat16 checkpoints: loaded with
// frozenDtype 'keep', every matrix stays bfloat16 and the model computes what the same checkpoint
// widened to float32 computes — logits, the backward into activations (through dX = dY·W of
// every frozen projection) and LoRA, and KV-cache decoding — and a LoRA run on the 16-bit base
// leaves the base bit for bit as loaded while its loss falls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crossEntropy, noGrad, Tensor } from '../../../src/index.js';
import { AdamW } from '../../../src/nn/index.js';
import { createLora, defaultLoraTargets, generate, layoutOf, loadModelDir, type Transformer } from '../../../src/model/index.js';
import { Rng } from '../../../src/tensor/index.js';

const DIR = 'test/golden/families';
const TOL = 1e-6;
const REFUSED = new Set(['gemma2']);

interface Fixture { ids: { shape: number[]; data: number[] }; prompt: number[]; cases: { name: string }[] }
const fixture = JSON.parse(readFileSync(join(DIR, 'families.json'), 'utf8')) as Fixture;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
};

function withLora(model: Transformer): Transformer {
  const targets = model.config.family === 'gpt2' ? defaultLoraTargets.gpt2 : defaultLoraTargets.llama;
  model.lora = createLora(model.params, layoutOf(model.config), { rank: 2, alpha: 4, dropout: 0, targets }, new Rng(3));
  // B starts at zero, which would hide A's gradient: a nonzero B makes every adapter's backward count.
  for (const a of model.lora.values()) a.B.f32.forEach((_, i, b) => { b[i] = 0.01 * Math.sin(i + 1); });
  for (const p of model.params.values()) if (!p.isHalf) p.requireGrad(false);
  return model;
}

const ids = new Tensor(Int32Array.from(fixture.ids.data), fixture.ids.shape);
const measured: string[] = [];

for (const { name } of fixture.cases.filter((c) => !REFUSED.has(c.name))) {
  test(`16-bit weights, ${name}: bf16 kept equals bf16 widened (logits, LoRA backward, KV-cache decoding)`, () => {
    const dir = join(DIR, 'checkpoints', name, 'bf16');
    const kept = loadModelDir(dir, { frozenDtype: 'keep', tokenizer: false }).model;
    const wide = loadModelDir(dir, { tokenizer: false }).model;
    const half = [...kept.params.values()].filter((t) => t.isHalf);
    assert.equal(half.length, [...kept.params.values()].filter((t) => t.rank === 2 && !/^(score|v_head)\./.test(t.name ?? '')).length, 'every matrix stays 16-bit');
    assert.ok(half.every((t) => t.dtype === 'bfloat16'));
    assert.ok([...wide.params.values()].every((t) => t.dtype === 'float32'));

    const logits = noGrad(() => [kept.logits(ids).f32, wide.logits(ids).f32]);
    const dLogits = maxDiff(logits[0]!, logits[1]!);
    assert.ok(dLogits <= TOL, `${name}: logits differ by ${dLogits}`);

    const grads = [withLora(kept), withLora(wide)].map((m) => {
      const targets = new Tensor(Int32Array.from(fixture.ids.data, (v, i) => fixture.ids.data[(i + 1) % fixture.ids.data.length]!), fixture.ids.shape);
      crossEntropy(m.logits(ids), targets).backward();
      return [...m.lora.values()].flatMap((a) => [a.A.grad!.f32, a.B.grad!.f32]);
    });
    let dGrad = 0;
    grads[0]!.forEach((g, i) => { dGrad = Math.max(dGrad, maxDiff(g, grads[1]![i]!)); });
    assert.ok(dGrad <= TOL, `${name}: LoRA gradients differ by ${dGrad}`);
    assert.ok(grads[0]!.every((g) => g.some((v) => v !== 0)), 'every adapter takes a gradient');

    const [a, b] = [kept, wide].map((m) => noGrad(() => generate(m, [fixture.prompt], { maxNewTokens: 10, temperature: 0 })[0]!));
    assert.deepEqual(a!.tokens, b!.tokens, `${name}: cached greedy tokens`);
    const dLogprob = maxDiff(a!.logprobs, b!.logprobs);
    assert.ok(dLogprob <= TOL, `${name}: cached decoding's logprobs differ by ${dLogprob}`);
    measured.push(`${name} ${dLogits} ${dGrad} ${dLogprob}`);
  });
}

test('16-bit weights: a LoRA run on a bf16 base leaves the base bit for bit and lowers the loss', () => {
  const model = loadModelDir(join(DIR, 'checkpoints', 'llama', 'bf16'), { frozenDtype: 'keep', tokenizer: false }).model;
  model.lora = createLora(model.params, layoutOf(model.config), { rank: 4, alpha: 8, dropout: 0, targets: defaultLoraTargets.llama }, new Rng(5));
  for (const p of model.params.values()) if (!p.isHalf) p.requireGrad(false);
  const before = new Map([...model.params].map(([k, t]) => [k, t.data.slice()]));
  const targets = new Tensor(Int32Array.from(fixture.ids.data, (v) => (v * 7 + 3) % model.config.vocabSize), fixture.ids.shape);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    const loss = crossEntropy(model.logits(ids), targets);
    losses.push(loss.item());
    loss.backward();
    opt.update();
    opt.zeroGrad();
  }
  for (const [k, t] of model.params) assert.deepEqual(t.data, before.get(k), `base ${k} changed`);
  assert.ok(losses.at(-1)! < losses[0]! - 0.1, `loss ${losses[0]} → ${losses.at(-1)} did not fall`);
  assert.throws(() => model.p('model.layers.0.self_attn.q_proj.weight').requireGrad(), /frozen weight/);
});

test('16-bit weights: measured differences (printed)', () => {
  if (measured.length) console.log(`# family  max|Δlogits|  max|ΔLoRA grad|  max|Δcached logprob|\n# ${measured.join('\n# ')}`);
});
