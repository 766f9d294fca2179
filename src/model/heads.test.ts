// Scalar heads: scalarAtLast reads one position per row, so its gradient reaches the hidden state
// there and nowhere else, and through the causal model no token after that position; scalarPerToken
// gives one value per token, equal to scalarAtLast read at each position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd/index.js';
import { sum } from '../ops/index.js';
import { Rng, randn, tensor } from '../tensor/index.js';
import { addScalarHead, scalarAtLast, scalarPerToken } from './heads.js';
import { Transformer } from './transformer.js';
import { embeddingName } from './weights.js';
import { expectClose, tinyConfig } from './test-util.test.js';

test('scalarAtLast: value is w·h[last] + b and the gradient reaches only h at lastIndex', () => {
  const model = new Transformer(tinyConfig('gpt2'), undefined, 51);
  addScalarHead(model);
  const B = 3, T = 5, C = model.config.dModel;
  const h = randn([B, T, C], { rng: new Rng(52), requiresGrad: true });
  const last = [4, 0, 2];
  const r = scalarAtLast(model, h, last); // (B)
  assert.deepEqual(r.shape, [B]);
  const w = model.p('score.weight').f32, bias = model.p('score.bias').f32[0]!;
  for (let b = 0; b < B; b++) {
    let want = bias;
    for (let c = 0; c < C; c++) want += w[c]! * h.f32[(b * T + last[b]!) * C + c]!;
    expectClose(`score of row ${b}`, [r.f32[b]!], [want], 1e-6);
  }
  sum(r).backward();
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const g = h.grad!.f32.subarray((b * T + t) * C, (b * T + t + 1) * C);
    if (t === last[b]) expectClose(`gradient at row ${b} position ${t}`, g, w, 1e-7);
    else assert.ok(g.every((v) => v === 0), `row ${b} position ${t} is not lastIndex ${last[b]} but has a gradient`);
  }
  assert.throws(() => scalarAtLast(model, h, [1, 2]), /2 indices for a batch of 3/);
  assert.throws(() => scalarAtLast(model, h, [1, 5, 0]), /index 5 of row 1 is outside \[0, 5\)/);
});

for (const family of ['gpt2', 'llama'] as const) {
  test(`${family}: through the model, a reward at lastIndex has no gradient from later tokens`, () => {
    const cfg = tinyConfig(family);
    const model = new Transformer(cfg, undefined, 53);
    addScalarHead(model);
    // Every token id occurs once, so a row of the embedding's gradient belongs to one position.
    const T = 6, last = [3, 5];
    const ids = tensor(Int32Array.from({ length: 2 * T }, (_, n) => n + 1), [2, T]);
    sum(scalarAtLast(model, model.hidden(ids), last)).backward();
    const g = model.p(embeddingName(cfg)).grad!.f32, C = cfg.dModel;
    for (let b = 0; b < 2; b++) for (let t = 0; t < T; t++) {
      const row = g.subarray(ids.i32[b * T + t]! * C, (ids.i32[b * T + t]! + 1) * C);
      const zero = row.every((v) => v === 0);
      assert.equal(zero, t > last[b]!, `row ${b} token ${t} (lastIndex ${last[b]}): embedding gradient ${zero ? 'zero' : 'non-zero'}`);
    }
  });
}

test('scalarPerToken: (B, T), and each value equals scalarAtLast read at that position', () => {
  const model = new Transformer(tinyConfig('llama'), undefined, 54);
  addScalarHead(model, 'v_head');
  const ids = tensor(Int32Array.from({ length: 8 }, (_, n) => (n * 5) % 37), [2, 4]);
  noGrad(() => {
    const h = model.hidden(ids);
    const v = scalarPerToken(model, h, 'v_head');
    assert.deepEqual(v.shape, [2, 4]);
    for (let t = 0; t < 4; t++) {
      const at = scalarAtLast(model, h, [t, t], 'v_head');
      expectClose(`position ${t}`, [v.f32[t]!, v.f32[4 + t]!], at.f32, 1e-6);
    }
  });
  assert.ok(model.params.has('v_head.weight') && model.params.has('v_head.bias'));
  assert.deepEqual(model.p('v_head.weight').shape, [1, model.config.dModel]);
});
