import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../autograd/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { CharTokenizer } from '../../tokenizer/index.js';
import { defaultConfig, type Family, type ModelConfig } from '../config.js';
import { generate, scoreTokens, sequenceLogprobs, type Sample } from './generate.js';
import { Transformer } from '../transformer.js';

// An untied head and a wider init: a tiny GPT-2 with tied embeddings greedily repeats its last
// token, which would make the cache and padding checks below pass whatever they computed.
const tiny = (family: Family, seed = 1, over: Partial<ModelConfig> = {}): Transformer =>
  new Transformer(defaultConfig(family, {
    dModel: 32, nHead: 4, nLayer: 2, maxSeqLen: 64, initStd: 0.1, tieEmbeddings: false, ...(family === 'llama' ? { nKvHead: 2 } : {}), ...over,
  }), undefined, seed);

const gpt2 = tiny('gpt2');
const llama = tiny('llama');
const prompts = [[1, 2, 3], [10, 20, 30, 40, 50, 60, 70], [5], [200, 100, 50, 25, 12]];

/** Greedy decoding by recomputing the whole sequence each step: no cache, no padding. */
function greedyByRecompute(model: Transformer, prompt: number[], steps: number): number[] {
  const seq = [...prompt], V = model.config.vocabSize;
  return noGrad(() => {
    for (let s = 0; s < steps; s++) {
      const logits = model.logits(new Tensor(Int32Array.from(seq), [1, seq.length])).f32; // (1, T, V)
      const last = logits.subarray((seq.length - 1) * V);
      let best = 0;
      for (let i = 1; i < V; i++) if (last[i]! > last[best]!) best = i;
      seq.push(best);
    }
    return seq.slice(prompt.length);
  });
}

test('generate: the same seed gives the same samples, another seed other samples', () => {
  const opts = { maxNewTokens: 8, n: 2 };
  const a = generate(gpt2, prompts, { ...opts, seed: 5 });
  assert.deepEqual(generate(gpt2, prompts, { ...opts, seed: 5 }), a);
  assert.deepEqual(generate(gpt2, prompts, { ...opts, rng: new Rng(5) }), generate(gpt2, prompts, { ...opts, rng: new Rng(5) }));
  const b = generate(gpt2, prompts, { ...opts, seed: 6 });
  assert.notDeepEqual(b.map((s) => s.tokens), a.map((s) => s.tokens));
});

test('generate: a seeded sample does not depend on batchSize or on the other prompts', () => {
  const opts = { maxNewTokens: 10, n: 2, seed: 11, temperature: 0.9, topK: 50 };
  const all = generate(llama, prompts, opts);
  for (const batchSize of [1, 3]) {
    const other = generate(llama, prompts, { ...opts, batchSize });
    assert.deepEqual(other.map((s) => s.tokens), all.map((s) => s.tokens), `batchSize ${batchSize}`);
    // A kernel may sum in another order for another batch size: log-probs agree to rounding.
    other.forEach((s, i) => s.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - all[i]!.logprobs[j]!) < 1e-5, `batchSize ${batchSize}, sample ${i}.${j}`)));
  }
});

for (const [family, model] of [['gpt2', gpt2], ['llama', llama]] as const) {
  test(`generate (${family}): greedy equals argmax of full-recompute logits (KV cache end to end)`, () => {
    for (const p of [prompts[0]!, prompts[1]!]) {
      const [s] = generate(model, [p], { maxNewTokens: 12, temperature: 0 });
      assert.deepEqual(s!.tokens, greedyByRecompute(model, p, 12));
      assert.equal(s!.finishReason, 'length');
    }
  });

  test(`generate (${family}): left-padded batch gives each prompt's greedy output alone`, () => {
    // The 50-token prompt reaches maxSeqLen (64) after 14 tokens while the short ones go on: the
    // cache must shed its padding to keep them inside the limit.
    const long = Array.from({ length: 50 }, (_, i) => (i * 37) % 256);
    const ps = [...prompts, long];
    const batched = generate(model, ps, { maxNewTokens: 20, temperature: 0 });
    ps.forEach((p, i) => {
      const [alone] = generate(model, [p], { maxNewTokens: 20, temperature: 0 });
      assert.deepEqual(batched[i]!.tokens, alone!.tokens, `prompt ${i}`);
      batched[i]!.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - alone!.logprobs[j]!) < 1e-5, `prompt ${i} logprob ${j}`));
    });
    assert.equal(batched[4]!.tokens.length, 14);
    assert.equal(batched[4]!.finishReason, 'length');
    assert.equal(batched[0]!.tokens.length, 20);
  });

  test(`generate (${family}): reported logprobs equal teacher-forced scoreTokens at T = 0.7`, () => {
    const samples = generate(model, prompts, { maxNewTokens: 10, temperature: 0.7, topK: 20, topP: 0.9, seed: 2, n: 2 });
    for (const s of samples) {
      const scored = scoreTokens(model, prompts[s.promptIndex]!, s.tokens, 0.7);
      assert.equal(scored.length, s.tokens.length);
      scored.forEach((v, j) => assert.ok(Math.abs(v - s.logprobs[j]!) < 1e-4, `sample of prompt ${s.promptIndex}, token ${j}: ${v} vs ${s.logprobs[j]}`));
    }
    const batch = samples.map((s) => ({ prompt: prompts[s.promptIndex]!, completion: s.tokens }));
    const together = sequenceLogprobs(model, batch, 0.7, { batchSize: 3 });
    together.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - samples[i]!.logprobs[j]!) < 1e-4, `batched ${i}.${j}`)));
  });
}

test('generate: top-k 1 and top-p tiny are greedy', () => {
  const greedy = generate(gpt2, prompts, { maxNewTokens: 10, temperature: 0 });
  const strip = (ss: Sample[]) => ss.map((s) => s.tokens);
  assert.deepEqual(strip(generate(gpt2, prompts, { maxNewTokens: 10, topK: 1, seed: 1 })), strip(greedy));
  assert.deepEqual(strip(generate(gpt2, prompts, { maxNewTokens: 10, topP: 1e-6, seed: 1 })), strip(greedy));
  // At T = 1 the log-probs are the same numbers greedy reports.
  assert.deepEqual(generate(gpt2, prompts, { maxNewTokens: 10, topK: 1, seed: 1 }).map((s) => s.logprobs), greedy.map((s) => s.logprobs));
});

test('generate: a stop token ends the sample and is kept', () => {
  const [g] = generate(gpt2, [prompts[1]!], { maxNewTokens: 12, temperature: 0 });
  const stop = g!.tokens[5]!;
  const at = g!.tokens.indexOf(stop);
  const [s] = generate(gpt2, [prompts[1]!], { maxNewTokens: 12, temperature: 0, stopTokens: [stop] });
  assert.deepEqual(s!.tokens, g!.tokens.slice(0, at + 1));
  assert.deepEqual(s!.logprobs, g!.logprobs.slice(0, at + 1));
  assert.equal(s!.finishReason, 'stop');
});

test('generate: a stop string cuts the sample after the token that completes it', () => {
  const tok = new CharTokenizer([...'abcdefgh ']);
  const model = tiny('gpt2', 4, { vocabSize: tok.vocabSize });
  const prompt = tok.encode('abc');
  const [g] = generate(model, [prompt], { maxNewTokens: 16, temperature: 0, tokenizer: tok });
  assert.equal(g!.text, tok.decode(g!.tokens, { skipSpecial: true }));
  const stop = tok.decode(g!.tokens.slice(4, 6));
  let end = 1;
  while (!tok.decode(g!.tokens.slice(0, end)).includes(stop)) end++;
  const events: number[] = [];
  const [s] = generate(model, [prompt], { maxNewTokens: 16, temperature: 0, tokenizer: tok, stopStrings: ['never', stop], onToken: (e) => events.push(e.token) });
  assert.deepEqual(s!.tokens, g!.tokens.slice(0, end));
  assert.equal(s!.finishReason, 'stop');
  assert.equal(s!.text, tok.decode(s!.tokens, { skipSpecial: true }));
  assert.deepEqual(events, s!.tokens);
  assert.throws(() => generate(model, [prompt], { maxNewTokens: 4, stopStrings: ['x'] }), /opts\.tokenizer/);
});

test('generate: n samples per prompt, prompt-major, each with its promptIndex; maxNewTokens gives length', () => {
  const finished: number[] = [];
  const out = generate(gpt2, prompts.slice(0, 3), { maxNewTokens: 6, n: 4, seed: 9, onSample: (_, i) => finished.push(i) });
  assert.equal(out.length, 12);
  out.forEach((s, k) => {
    assert.equal(s.promptIndex, Math.floor(k / 4));
    assert.equal(s.tokens.length, 6);
    assert.equal(s.logprobs.length, 6);
    assert.equal(s.finishReason, 'length');
    assert.equal(s.text, undefined);
  });
  assert.deepEqual([...finished].sort((a, b) => a - b), [...out.keys()]);
  assert.deepEqual(generate(gpt2, [[1]], { maxNewTokens: 0 }), [{ promptIndex: 0, tokens: [], logprobs: [], finishReason: 'length' }]);
});

test('generate: maxSeqLen bounds prompt + new tokens; a prompt alone too long is an error naming it', () => {
  const full = Array.from({ length: 64 }, (_, i) => i);
  const [a, b] = generate(gpt2, [full, full.slice(0, 60)], { maxNewTokens: 10, temperature: 0 });
  assert.deepEqual([a!.tokens.length, a!.finishReason], [0, 'length']);
  assert.deepEqual([b!.tokens.length, b!.finishReason], [4, 'length']);
  assert.throws(() => generate(gpt2, [[1], [...full, 1]], { maxNewTokens: 1 }), /prompts\[1\] has 65 tokens; expected at most maxSeqLen 64/);
  assert.throws(() => generate(gpt2, [[1], []], { maxNewTokens: 1 }), /prompts\[1\] is empty/);
  assert.throws(() => generate(gpt2, [[1, 999]], { maxNewTokens: 1 }), /prompts\[0\]\[1\] is 999/);
  assert.throws(() => generate(gpt2, [[1]], { maxNewTokens: 1, topP: 0 }), /opts\.topP is 0/);
  assert.throws(() => generate(gpt2, [[1]], { maxNewTokens: 1, temperature: -1 }), /opts\.temperature is -1/);
  assert.throws(() => scoreTokens(gpt2, full, [1]), /batch\[0\] has 65 tokens/);
});

test('generate: records no autograd graph', () => {
  const [s] = generate(gpt2, [[1, 2]], { maxNewTokens: 3, seed: 0 });
  assert.equal(s!.tokens.length, 3);
  assert.ok(gpt2.parameters().every((p) => p.grad === null));
});
