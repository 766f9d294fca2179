// Invariant (DESIGN.md rule 9): the kernel-level decoder gives the logits of a full recompute, for a
// left-padded batch large enough that its scores and bias adds take the native paths, not only
// the small-batch loops (generate's tests in sampling.test.ts cover those end to end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../autograd/index.js';
import { Rng, tensor } from '../../tensor/index.js';
import { Decoder } from './decode.js';
import { RowCache, leftPad } from './batch.js';
import { Transformer } from '../transformer.js';
import { expectClose, logitsAt, tinyConfig } from '../test-util.test.js';

test('Decoder: padded batch of 24, three steps == each row recomputed alone', () => {
  const cfg = tinyConfig('gpt2', { dModel: 96, nHead: 8, nKvHead: 8, dFF: 384, maxSeqLen: 40 }); // B·H·Tk > 2048, B·C > 2048
  const model = new Transformer(cfg, undefined, 21);
  assert.ok(Decoder.supports(model));
  const rng = new Rng(8), B = 24;
  const prompts = Array.from({ length: B }, (_, b) => Array.from({ length: 10 + (b % 7) }, () => rng.int(cfg.vocabSize)));
  const next = Array.from({ length: 3 }, () => Array.from({ length: B }, () => rng.int(cfg.vocabSize)));
  noGrad(() => {
    const pb = leftPad(prompts);
    const T = pb.ids.shape[1]!;
    const cache = new RowCache(cfg.nLayer);
    model.hidden(pb.ids, { positions: pb.positions, keyMask: pb.keyMask, cache });
    const decoder = new Decoder(model, cache, B);
    for (let s = 0; s < next.length; s++) {
      const L = cache.length, Tk = L + 1;
      const keyMask = new Float32Array(B * Tk);
      for (let b = 0; b < B; b++) keyMask.fill(-Infinity, b * Tk, b * Tk + pb.pads[b]!);
      const positions = Int32Array.from(prompts, (p) => p.length + s);
      const logits = decoder.step(Int32Array.from(next[s]!), positions, keyMask); // (B, V)
      assert.equal(cache.length, T + s + 1);
      for (let b = 0; b < B; b += 5) {
        const seq = [...prompts[b]!, ...next.slice(0, s + 1).map((n) => n[b]!)];
        const alone = model.logits(tensor(Int32Array.from(seq), [1, seq.length])); // (1, L, V)
        expectClose(`step ${s} row ${b}`, logits.subarray(b * cfg.vocabSize, (b + 1) * cfg.vocabSize), logitsAt(alone, 0, seq.length - 1), 1e-4);
      }
    }
  });
});
