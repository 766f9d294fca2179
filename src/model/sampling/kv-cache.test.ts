// Invariant (DESIGN.md rule 9): decoding with the KV cache gives the logits of a full recompute,
// for a prompt prefilled in one call and then token by token, in both families, with grouped-
// and multi-query attention, and for a left-padded batch decoded with a growing key mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../autograd/index.js';
import { Rng, tensor } from '../../tensor/index.js';
import { KVCache } from './kv-cache.js';
import { Transformer } from '../transformer.js';
import { expectClose, logitsAt, randomIds, sliceIds, tinyConfig } from '../test-util.test.js';

const TOL = 1e-5; // float32 sums taken in a different order: a few ulps of logits of order 1

const variants = [
  { name: 'gpt2', cfg: tinyConfig('gpt2') },
  { name: 'llama, grouped-query 4 heads on 2', cfg: tinyConfig('llama') },
  { name: 'llama, multi-query 4 heads on 1', cfg: tinyConfig('llama', { nKvHead: 1 }) },
];

for (const { name, cfg } of variants) {
  test(`KV cache, ${name}: prefill 4 tokens then decode 1 by 1 == full recompute`, () => {
    const model = new Transformer(cfg, undefined, 11);
    const B = 2, T = 9, P = 4;
    const ids = randomIds(new Rng(5), B, T, cfg.vocabSize);
    noGrad(() => {
      const full = model.logits(ids); // (B, T, V)
      const cache = new KVCache(cfg.nLayer);
      const pre = model.logits(sliceIds(ids, 0, P), { cache }); // (B, P, V)
      assert.equal(cache.length, P);
      for (let b = 0; b < B; b++) for (let t = 0; t < P; t++) {
        expectClose(`prefill row ${b} position ${t}`, logitsAt(pre, b, t), logitsAt(full, b, t), TOL);
      }
      for (let t = P; t < T; t++) {
        const step = model.logits(sliceIds(ids, t, t + 1), { cache }); // (B, 1, V)
        for (let b = 0; b < B; b++) expectClose(`decode row ${b} position ${t}`, logitsAt(step, b, 0), logitsAt(full, b, t), TOL);
      }
      assert.equal(cache.length, T);
    });
  });

  test(`KV cache, ${name}: left-padded batch decoded with a key mask == each row alone`, () => {
    const model = new Transformer(cfg, undefined, 12);
    const rng = new Rng(6);
    const prompts = [[...randomIds(rng, 1, 5, cfg.vocabSize).i32], [...randomIds(rng, 1, 2, cfg.vocabSize).i32]];
    const cont = [[...randomIds(rng, 1, 3, cfg.vocabSize).i32], [...randomIds(rng, 1, 3, cfg.vocabSize).i32]];
    const B = 2, P = 5, N = 3, PAD = 0;
    const pad = prompts.map((p) => P - p.length);
    noGrad(() => {
      const cache = new KVCache(cfg.nLayer);
      const keyMask = (Tk: number): Float32Array => {
        const m = new Float32Array(B * Tk);
        for (let b = 0; b < B; b++) for (let j = 0; j < pad[b]!; j++) m[b * Tk + j] = -Infinity;
        return m;
      };
      // Positions count real tokens only, as Hugging Face's generate derives them from the mask.
      const positions = (t0: number, T: number): Int32Array =>
        Int32Array.from({ length: B * T }, (_, n) => Math.max(0, t0 + (n % T) - pad[Math.floor(n / T)]!));
      const padded = prompts.flatMap((p, b) => [...new Array<number>(pad[b]!).fill(PAD), ...p]);
      const steps = [model.logits(tensor(Int32Array.from(padded), [B, P]), { cache, keyMask: keyMask(P), positions: positions(0, P) })];
      for (let s = 0; s < N - 1; s++) {
        const t = P + s;
        const ids = tensor(Int32Array.from(cont.map((c) => c[s]!)), [B, 1]);
        steps.push(model.logits(ids, { cache, keyMask: keyMask(t + 1), positions: positions(t, 1) }));
      }
      for (let b = 0; b < B; b++) {
        const seq = [...prompts[b]!, ...cont[b]!.slice(0, N - 1)];
        const alone = model.logits(tensor(Int32Array.from(seq), [1, seq.length])); // (1, L, V)
        for (let i = 0; i < prompts[b]!.length; i++) {
          expectClose(`row ${b} prompt token ${i}`, logitsAt(steps[0]!, b, pad[b]! + i), logitsAt(alone, 0, i), TOL);
        }
        for (let s = 0; s < N - 1; s++) {
          expectClose(`row ${b} decoded token ${s}`, logitsAt(steps[s + 1]!, b, 0), logitsAt(alone, 0, prompts[b]!.length + s), TOL);
        }
      }
    });
  });
}
