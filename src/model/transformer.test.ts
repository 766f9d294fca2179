// The transformer's own invariants and a finite-difference check; the exact numbers against
// PyTorch are in test/golden/models.golden.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, tapeBytes } from '../autograd/index.js';
import { crossEntropy, mul, sum } from '../ops/index.js';
import { Rng, Tensor, tensor } from '../tensor/index.js';
import { Transformer } from './transformer.js';
import { expectClose, logitsAt, maxAbs, randomIds, tinyConfig } from './test-util.test.js';

for (const family of ['gpt2', 'llama'] as const) {
  test(`${family}: a left-padded row (key mask −∞ on pads, positions from 0 after them) == the row alone`, () => {
    const cfg = tinyConfig(family);
    const model = new Transformer(cfg, undefined, 21);
    const rng = new Rng(22);
    const T = 7, real = [7, 4], pad = real.map((n) => T - n);
    const rows = real.map((n) => [...randomIds(rng, 1, n, cfg.vocabSize).i32]);
    const ids = Int32Array.from(rows.flatMap((r, b) => [...new Array<number>(pad[b]!).fill(3), ...r]));
    const keyMask = new Float32Array(2 * T), positions = new Int32Array(2 * T);
    for (let b = 0; b < 2; b++) for (let t = 0; t < T; t++) {
      if (t < pad[b]!) keyMask[b * T + t] = -Infinity;
      positions[b * T + t] = Math.max(0, t - pad[b]!);
    }
    const batch = model.logits(tensor(ids, [2, T]), { keyMask, positions }); // (2, T, V)
    for (let b = 0; b < 2; b++) {
      const alone = noGrad(() => model.logits(tensor(Int32Array.from(rows[b]!), [1, real[b]!])));
      for (let i = 0; i < real[b]!; i++) {
        expectClose(`row ${b} real token ${i}`, logitsAt(batch, b, pad[b]! + i), logitsAt(alone, 0, i), 1e-5);
      }
    }
    // Pad queries see only masked keys; their rows must stay finite and so must every gradient.
    assert.ok(batch.f32.every(Number.isFinite), 'logits of pad positions are not finite');
    const targets = Int32Array.from(ids, (v, n) => (n % T < pad[Math.floor(n / T)]! ? -100 : (v + 1) % cfg.vocabSize));
    crossEntropy(batch, tensor(targets, [2, T])).backward();
    for (const [name, p] of model.namedParameters()) {
      assert.ok(p.grad && p.grad.f32.every(Number.isFinite), `gradient of ${name} is missing or not finite`);
    }
  });
}

test('hidden() rejects float ids and sequences past maxSeqLen, naming them', () => {
  const cfg = tinyConfig('gpt2', { maxSeqLen: 8 });
  const model = new Transformer(cfg);
  assert.throws(() => model.hidden(tensor(new Float32Array(4), [1, 4])), /ids must be int32 \(B, T\)/);
  assert.throws(() => model.hidden(tensor(new Int32Array(9), [1, 9])), /9 tokens exceeds maxSeqLen 8/);
  assert.throws(() => model.p('nope.weight'), /no parameter named "nope.weight"/);
});

// Central differences on float32: ε = 1e-2 keeps the loss's rounding (≈ 5e-7 on a loss near 4,
// i.e. 2.5e-5 after dividing by 2ε) well under the gradients checked (≥ 1e-2 of the largest), and
// the O(ε²) truncation stays around 1e-4 relative. Hence the loose 2e-2 tolerance: this catches a
// wrong or missing gradient path, independent of PyTorch; the golden suite pins the digits.
for (const family of ['gpt2', 'llama'] as const) {
  test(`${family}: finite differences of the loss match the autograd gradient on sampled entries`, () => {
    const cfg = tinyConfig(family);
    const model = new Transformer(cfg, undefined, 31);
    const rng = new Rng(32);
    const ids = randomIds(rng, 2, 6, cfg.vocabSize), targets = randomIds(rng, 2, 6, cfg.vocabSize);
    const lossOf = (): number => noGrad(() => crossEntropy(model.logits(ids), targets).item());
    crossEntropy(model.logits(ids), targets).backward();
    const names = family === 'gpt2'
      ? ['transformer.wte.weight', 'transformer.wpe.weight', 'transformer.h.0.ln_1.weight', 'transformer.h.0.attn.c_attn.weight',
        'transformer.h.1.attn.c_proj.bias', 'transformer.h.1.mlp.c_fc.weight', 'transformer.ln_f.bias']
      : ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight',
        'model.layers.1.self_attn.v_proj.weight', 'model.layers.1.mlp.gate_proj.weight', 'model.norm.weight', 'lm_head.weight'];
    const eps = 1e-2;
    for (const name of names) {
      const p: Tensor = model.p(name);
      const g = p.grad!.f32;
      const scale = maxAbs(g);
      // The entry with the largest gradient and two others whose gradient is not negligible.
      const picks = [g.indexOf(g.reduce((a, v) => (Math.abs(v) > Math.abs(a) ? v : a), 0))];
      for (let tries = 0; picks.length < 3 && tries < 1000; tries++) {
        const i = rng.int(g.length);
        if (Math.abs(g[i]!) > 0.05 * scale && !picks.includes(i)) picks.push(i);
      }
      for (const i of picks) {
        const w = p.f32[i]!;
        p.f32[i] = w + eps; const up = lossOf(), wUp = p.f32[i]!;
        p.f32[i] = w - eps; const down = lossOf(), wDown = p.f32[i]!;
        p.f32[i] = w;
        const fd = (up - down) / (wUp - wDown); // the step as stored in float32
        assert.ok(Math.abs(fd - g[i]!) <= 2e-2 * Math.max(Math.abs(g[i]!), 1e-2 * scale),
          `${name}[${i}]: autograd ${g[i]}, finite differences ${fd}`);
      }
    }
  });
}

test('unscaled RoPE angles are pos / θ^(2i/D) in double precision, bit for bit (every README figure rests on them); scaled ones are float32 as in transformers', async () => {
  const { ropeFrequencies, ropeTables } = await import('./rope.js');
  const D = 16, theta = 10000, positions = Int32Array.from([0, 1, 7, 63, 1000]);
  const plain = ropeTables(positions, 1, positions.length, D, ropeFrequencies(D, theta, { type: 'default' }, 1001));
  const cos = plain.cos.data as Float32Array;
  for (let n = 0; n < positions.length; n++) {
    for (let i = 0; i < D / 2; i++) {
      const expected = Math.fround(Math.cos(positions[n]! / Math.pow(theta, (2 * i) / D)));
      assert.equal(cos[n * D + i], expected, `cos at position ${positions[n]}, frequency ${i}`);
      assert.equal(cos[n * D + D / 2 + i], expected);
    }
  }
  // linear with factor 1 computes the same frequencies through float32 rounding: close, not equal bits.
  const linear = ropeTables(positions, 1, positions.length, D, ropeFrequencies(D, theta, { type: 'linear', factor: 1 }, 1001)).cos.data as Float32Array;
  let differ = 0;
  for (let j = 0; j < cos.length; j++) { assert.ok(Math.abs(cos[j]! - linear[j]!) < 1e-3); if (cos[j] !== linear[j]) differ++; }
  assert.ok(differ > 0, 'the float32 path should round some angle differently');
});

// Transformer.tokenLosses (the chunked head, ops/lm-head.ts) against the logits it never forms.
for (const [name, over] of [['tied', { tieEmbeddings: true }], ['untied', { tieEmbeddings: false }], ['soft-capped (unfused)', { finalSoftcap: 5 }]] as const) {
  test(`tokenLosses, ${name} head: crossEntropy(logits/τ) and every parameter's gradient within 1e-5 of its largest entry`, () => {
    const cfg = tinyConfig('llama', over);
    const rng = new Rng(31);
    const ids = randomIds(rng, 2, 6, cfg.vocabSize);
    const targets = tensor(Int32Array.from(randomIds(rng, 2, 6, cfg.vocabSize).i32, (v, i) => (i === 4 ? -100 : v)), [2, 6]);
    const grads = (f: (m: Transformer) => Tensor): [number[], Map<string, Float32Array>] => {
      const m = new Transformer(cfg, undefined, 32);
      for (const p of m.parameters()) p.requiresGrad = true;
      const loss = f(m);
      sum(loss).backward();
      return [Array.from(loss.data), new Map(m.namedParameters().map(([k, p]) => [k, p.grad!.f32.slice()]))];
    };
    const [want, wantG] = grads((m) => crossEntropy(mul(m.logits(ids), 1 / 0.8), targets, { reduction: 'none' }));
    const [got, gotG] = grads((m) => m.tokenLosses(m.hidden(ids), targets, { temperature: 0.8, chunkRows: 5 }));
    expectClose('losses', Float32Array.from(got), Float32Array.from(want), 1e-5);
    for (const [k, g] of wantG) expectClose(`d ${k}`, gotG.get(k)!, g, 1e-5, maxAbs(g)); // relative to the tensor's largest entry
  });
}

test('a Llama layer leaves on the tape only what its backward reads: 7·C + 2·C_kv + 3·F values per token', () => {
  // Per layer: the two residual sums and the two norms' outputs (4C), q and k rotated (C + C_kv),
  // v's heads (C_kv), the attention's output and its merged copy (2C), gate, up and their product
  // (3F); the projections rotated or copied into heads and the branch outputs added to the
  // residual stream hold nothing (issue 22). Plus the embedding's output and the final norm's.
  const cfg = tinyConfig('llama'), rng = new Rng(4), B = 2, T = 5;
  const model = new Transformer(cfg, undefined, 3);
  const hidden = model.hidden(randomIds(rng, B, T, cfg.vocabSize));
  const C = cfg.dModel, Ckv = (cfg.dModel / cfg.nHead) * cfg.nKvHead, F = cfg.dFF;
  const perToken = cfg.nLayer * (7 * C + 2 * Ckv + 3 * F) + 2 * C;
  assert.equal(tapeBytes(hidden), 4 * B * T * perToken);
  // The gradients still reach every parameter, released values or not.
  const logits = model.lmHead(hidden);
  sum(mul(logits, logits)).backward();
  for (const [name, p] of model.namedParameters()) assert.ok(p.grad && maxAbs(p.grad.f32) > 0, `${name} has a gradient`);
});
