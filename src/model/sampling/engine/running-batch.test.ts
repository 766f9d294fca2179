import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type Family } from '../../config.js';
import { Transformer } from '../../transformer.js';
import { createLora, defaultLoraTargets } from '../../lora.js';
import { layoutOf } from '../../weights.js';
import { Rng, Tensor, roundToBf16 } from '../../../tensor/index.js';
import { narrowFrozen } from '../../hf/frozen-dtype.js';
import { Decoder } from '../decode.js';
import { generate, type DecodeStats, type Sample, type SampleOptions } from '../generate.js';
import { RunningBatch, cacheDtype, noStats } from './running-batch.js';
import { greedyPick } from '../filters.js';

// generate()'s continuous batching (issue 20, point 4) against its static batches and against
// one sample at a time, on the kernel-level Decoder (GPT-2's and the Llama layout's) and on the
// generic path (a GPT-2 with LoRA adapters, which the GPT-2 decoder leaves to it).
const tiny = (family: Family): Transformer =>
  new Transformer(defaultConfig(family, {
    vocabSize: 48, dModel: 32, nHead: 4, nLayer: 2, maxSeqLen: 64, initStd: 0.1, tieEmbeddings: false, ...(family === 'llama' ? { nKvHead: 2 } : {}),
  }), undefined, 3);
const MODELS = {
  gpt2: () => tiny('gpt2'),
  llama: () => tiny('llama'),
  'gpt2 + LoRA': () => {
    const m = tiny('gpt2');
    m.lora = createLora(m.params, layoutOf(m.config), { rank: 2, alpha: 4, dropout: 0, targets: defaultLoraTargets.gpt2 }, new Rng(5));
    // B starts at zero: give the adapters a delta, so that the generic path computes something of its own.
    for (const a of m.lora.values()) a.B.f32.forEach((_, i, b) => { b[i] = 0.05 * Math.sin(i + 1); });
    return m;
  },
};

// Prompts of 1 to 41 tokens; a 58-token one that reaches maxSeqLen (64) after 6 tokens.
const prompts = Array.from({ length: 9 }, (_, i) => Array.from({ length: 1 + ((i * 17) % 41) }, (_, j) => (i * 5 + j * 3) % 48));
prompts.push(Array.from({ length: 58 }, (_, j) => (j * 7) % 48));

const run = (model: Transformer, opts: Partial<SampleOptions>, stats?: DecodeStats): Sample[] =>
  generate(model, prompts, { maxNewTokens: 24, n: 3, seed: 7, stopTokens: [5, 9], ...opts, ...(stats ? { stats } : {}) });

/** Same tokens and finish reasons; log-probs equal up to the rounding of sums over other padding. */
function assertSame(got: Sample[], want: Sample[], what: string): void {
  assert.deepEqual(got.map((s) => s.tokens), want.map((s) => s.tokens), what);
  assert.deepEqual(got.map((s) => s.finishReason), want.map((s) => s.finishReason), what);
  got.forEach((s, i) => s.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - want[i]!.logprobs[j]!) < 1e-5, `${what}: sample ${i} token ${j}: ${lp} vs ${want[i]!.logprobs[j]}`)));
}

for (const [family, make] of Object.entries(MODELS)) {
  const model = make();
  test(`generate (${family}): continuous batching == static batches == one at a time, at T = 0.9 and greedy, with stop tokens and n > 1`, () => {
    assert.equal(Decoder.supports(model), family !== 'gpt2 + LoRA', 'GPT-2 and Llama exercise the Decoder, GPT-2 with LoRA the generic path');
    for (const temperature of [0.9, 0]) {
      const alone = run(model, { temperature, batchSize: 1 });
      const lengths = alone.map((s) => s.tokens.length);
      assert.ok(alone.some((s) => s.finishReason === 'stop') && alone.some((s) => s.finishReason === 'length'), 'both ways of finishing occur');
      assert.ok(new Set(lengths).size >= 4 && Math.max(...lengths) === 24, `completions of mixed lengths (${lengths})`);
      assert.equal(alone[27]!.tokens.length <= 6, true, 'the 58-token prompt stops at maxSeqLen');
      const batchSize = 5;
      assertSame(run(model, { temperature, batchSize, schedule: 'static' }), alone, `static, batch ${batchSize}, T ${temperature}`);
      assertSame(run(model, { temperature, batchSize, schedule: 'continuous' }), alone, `continuous, batch ${batchSize}, T ${temperature}`);
      // With room for every sample nothing waits: the two schedules are the same computation, bit for bit.
      assert.deepEqual(run(model, { temperature, schedule: 'continuous' }), run(model, { temperature, schedule: 'static' }));
    }
  });

  test(`generate (${family}): continuous batching refills the batch, so mixed lengths take fewer decoding steps`, () => {
    const s = noStats(), c = noStats();
    run(model, { temperature: 0.9, batchSize: 12, schedule: 'static' }, s);
    run(model, { temperature: 0.9, batchSize: 12, schedule: 'continuous' }, c);
    assert.equal(c.rowSteps, s.rowSteps, 'the same tokens decoded');
    assert.ok(c.steps < 0.8 * s.steps, `continuous ${c.steps} steps vs static ${s.steps}`);
    assert.ok(c.rowSteps / c.steps > 1.3 * (s.rowSteps / s.steps), `fuller batches (mean ${c.rowSteps / c.steps} rows vs ${s.rowSteps / s.steps} of 12)`);
    assert.equal(s.prefills, 3, 'static: one prefill per batch of 12 (30 samples)');
    assert.ok(c.prefills > s.prefills, 'continuous: a prefill whenever rows are admitted');
  });
}

test('generate, continuous: onToken events follow each sample in order, onSample once per sample; a bad schedule is named', () => {
  const model = tiny('llama');
  const events = new Map<number, number[]>(), finished: number[] = [];
  const out = run(model, { temperature: 1, batchSize: 5, onToken: (e) => events.set(e.index, [...(events.get(e.index) ?? []), e.token]), onSample: (_, i) => finished.push(i) });
  out.forEach((s, i) => assert.deepEqual(events.get(i) ?? [], s.tokens, `sample ${i}`));
  assert.deepEqual([...finished].sort((a, b) => a - b), [...out.keys()]);
  assert.notDeepEqual(finished, [...out.keys()], 'samples finish out of order when the batch refills');
  assert.throws(() => generate(model, [[1]], { maxNewTokens: 2, schedule: 'eager' as 'static' }), /opts\.schedule is "eager"; expected 'continuous' or 'static'/);
});

test('RunningBatch: admitting past maxRows is an error naming the counts', () => {
  const batch = new RunningBatch<number>(tiny('gpt2'), 2);
  assert.throws(() => batch.admit([{ prompt: [1, 2], rows: [0, 1, 2] }], () => 1), /3 rows join 0; expected at most maxRows 2/);
  batch.admit([{ prompt: [1, 2], rows: [0] }, { prompt: [3], rows: [1] }], (r) => (r === 0 ? null : 4));
  assert.equal(batch.size, 1);
  assert.deepEqual(batch.rows, [1]);
});

test("greedy(): the step's rows picked in one backend call equal greedyPick row by row, bit for bit (prefill and steps)", () => {
  for (const [name, make] of Object.entries(MODELS)) {
    const picks: { batched: number[]; rowwise: number[] } = { batched: [], rowwise: [] };
    for (const how of ['batched', 'rowwise'] as const) {
      const batch = new RunningBatch<{ left: number }>(make(), 8);
      const draw = (r: { left: number }, logits: Float32Array, greedy: () => { token: number; logprob: number }): number | null => {
        const p = how === 'batched' ? greedy() : greedyPick(logits);
        picks[how].push(p.token, p.logprob);
        return --r.left > 0 ? p.token : null;
      };
      batch.admit(prompts.slice(0, 4).map((p, i) => ({ prompt: p, rows: [{ left: 6 + i }, { left: 3 }] })), draw);
      while (batch.size) batch.step(draw);
    }
    assert.equal(picks.batched.length, 2 * (6 + 7 + 8 + 9 + 4 * 3), name);
    picks.batched.forEach((v, i) => assert.ok(Object.is(v, picks.rowwise[i]), `${name}, pick ${i >> 1}: ${v} vs ${picks.rowwise[i]}`));
  }
});

test('generate under bf16 compute on bfloat16 weights samples over a bfloat16 KV cache; float32 weights keep the exact one', () => {
  const model = tiny('llama');
  assert.equal(cacheDtype(model), 'float32');
  model.bf16Compute = true;
  assert.equal(cacheDtype(model), 'float32', 'float32 weights: bf16 compute changes nothing, nor the cache');
  for (const [name, t] of model.params) if (t.rank === 2) model.params.set(name, new Tensor(roundToBf16(t.f32), t.shape));
  narrowFrozen(model);
  assert.ok([...model.params.values()].some((t) => t.dtype === 'bfloat16'));
  assert.equal(cacheDtype(model), 'bfloat16');
  // One row at a time the products stay exact under bf16 compute (fewer than 4 rows): what moves
  // the log-probabilities is the cache's rounding alone.
  const greedy = { temperature: 0, batchSize: 1, n: 1 };
  const half = run(model, greedy);
  model.bf16Compute = false;
  assert.equal(cacheDtype(model), 'float32');
  const exact = run(model, greedy);
  let moved = 0, worst = 0;
  half.forEach((s, i) => {
    const e = exact[i]!, same = s.tokens.findIndex((t, j) => t !== e.tokens[j]);
    for (let j = 0; j < (same < 0 ? s.tokens.length : same); j++) {
      const d = Math.abs(s.logprobs[j]! - e.logprobs[j]!);
      worst = Math.max(worst, d);
      if (d > 0) moved++;
    }
  });
  assert.ok(moved > 0, 'the bfloat16 cache changed no log-probability');
  assert.ok(worst < 0.05, `log-probabilities moved by up to ${worst}`);
});
