// What configs C and D run (issue 20): the lines at full size, the same paths cut down
// under --quick, and the peers' variants.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRealLine, makeRealPlan } from './plan.js';
import { REAL_SHAPES, realCase } from './shapes.js';

test("C and D run the issue's lines: generation at batch 1 and 32 (64 + 128), LoRA r 16 / alpha 32 at 512, full SFT for C only", () => {
  for (const config of ['C', 'D'] as const) {
    const c = realCase(config, false);
    assert.equal(c.raw, REAL_SHAPES[config]);
    assert.deepEqual(c.generate, [{ batch: 1, prompt: 64, newTokens: 128 }, { batch: 32, prompt: 64, newTokens: 128 }]);
    assert.deepEqual([c.lora.rank, c.lora.alpha, c.lora.seq], [16, 32, 512]);
    assert.equal(c.full === null, config === 'D');
  }
  assert.deepEqual([REAL_SHAPES.D['vocab_size'], REAL_SHAPES.D['num_key_value_heads'], REAL_SHAPES.C['rope_theta']], [151936, 2, 100000]);
});

test('--quick keeps the widths and cuts layers, vocabulary, tokens and the triad', () => {
  const q = realCase('D', true);
  assert.deepEqual([q.raw['hidden_size'], q.raw['intermediate_size'], q.raw['num_hidden_layers'], q.raw['vocab_size']], [896, 4864, 2, 4096]);
  assert.ok(q.generate.every((g) => g.newTokens <= 8) && q.lora.seq <= 64);
  const full = makeRealPlan({ configs: ['C'], quick: false, threads: 2, peers: true, profile: false });
  assert.ok(full.triadMb >= 256, 'each triad array is at least 256 MiB');
  assert.deepEqual(full.torchGenerate.map((v) => `${v.attn} ${v.dtype}`), ['eager float32', 'sdpa float32', 'sdpa bfloat16']);
  assert.deepEqual(full.torchTrain, ['eager', 'sdpa']);
  assert.deepEqual(full.torchLoraDtypes, ['float32', 'bf16-autocast'], 'peft at float32 and under bf16 autocast, the peers of alignkit float32 and bf16-compute');
  assert.ok(makeRealPlan({ configs: ['C'], quick: true, threads: 2, peers: true, profile: false }).triadMb < 256);
});

test('--lines: every line by default, a chosen subset kept, anything else not a line', () => {
  assert.deepEqual(makeRealPlan({ configs: ['D'], quick: true, threads: 2, peers: true, profile: false }).lines, ['generate', 'lora', 'full']);
  assert.deepEqual(makeRealPlan({ configs: ['D'], quick: true, threads: 2, peers: true, profile: false, lines: ['lora'] }).lines, ['lora']);
  assert.deepEqual(['generate', 'lora', 'full', 'Lora', 'train', ''].map(isRealLine), [true, true, true, false, false, false]);
});
