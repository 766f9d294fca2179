import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../../tensor/index.js';
import { CharTokenizer } from '../../../tokenizer/index.js';
import { defaultConfig, type Family } from '../../config.js';
import { Transformer } from '../../transformer.js';
import { generate } from '../generate.js';
import { BatchEngine, type EngineRequest, type SampleDelta } from './engine.js';
import type { RowParams } from './rows.js';

const tiny = (family: Family, seed = 1): Transformer =>
  new Transformer(defaultConfig(family, {
    dModel: 32, nHead: 4, nLayer: 2, maxSeqLen: 48, initStd: 0.1, tieEmbeddings: false, ...(family === 'llama' ? { nKvHead: 2 } : {}),
  }), undefined, seed);

const params = (over: Partial<RowParams> = {}): RowParams =>
  ({ temperature: 1, topK: 0, topP: 1, stopTokens: new Set(), stopStrings: [], topLogprobs: 0, ...over });

const prompts = [[1, 2, 3], [10, 20, 30, 40, 50, 60, 70], [5], [200, 100, 50, 25, 12], [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]];

for (const family of ['gpt2', 'llama'] as const) {
  test(`BatchEngine (${family}): each request gives generate()'s samples for its seed, alone or amid a busy batch joined at different steps`, async () => {
    const model = tiny(family);
    const engine = new BatchEngine({ maxBatch: 8 });
    const reqs: EngineRequest[] = prompts.map((prompt, i) => ({
      model, prompt, n: 1 + (i % 2), maxTokens: 6 + 3 * i, seed: 100 + i,
      params: params({ temperature: i === 2 ? 0 : 0.9, topP: i === 3 ? 0.8 : 1, topK: i === 4 ? 5 : 0 }),
    }));
    const expected = reqs.map((r) => generate(model, [r.prompt], { maxNewTokens: r.maxTokens, n: r.n!, seed: r.seed!, temperature: r.params.temperature, topP: r.params.topP, topK: r.params.topK }));
    // Alone, one request after another.
    for (let i = 0; i < reqs.length; i++) {
      const got = await engine.submit(reqs[i]!);
      assert.deepEqual(got.map((s) => s.tokens), expected[i]!.map((s) => s.tokens), `request ${i} alone`);
      assert.deepEqual(got.map((s) => s.logprobs), expected[i]!.map((s) => s.logprobs));
      assert.deepEqual(got.map((s) => s.finishReason), expected[i]!.map((s) => s.finishReason));
    }
    // All at once, later ones joining while earlier ones decode (more rows than maxBatch: some wait).
    const late: Promise<unknown>[] = [];
    const all = reqs.map((r, i) => {
      const p = engine.submit(r);
      if (i === 2) late.push(new Promise((ok) => setImmediate(ok)).then(() => engine.submit(reqs[0]!)));
      return p;
    });
    const got = await Promise.all(all);
    got.forEach((g, i) => assert.deepEqual(g.map((s) => s.tokens), expected[i]!.map((s) => s.tokens), `request ${i} in the batch`));
    const [again] = (await Promise.all(late)) as { tokens: number[] }[][];
    assert.deepEqual(again!.map((s) => s.tokens), expected[0]!.map((s) => s.tokens), 'request 0 joined mid-batch');
    assert.ok(engine.stats.rowSteps / engine.stats.steps > 1.5, `rows decoded together (mean batch ${engine.stats.rowSteps / engine.stats.steps})`);
  });
}

test('BatchEngine: stop strings cut the text before them; the deltas of a stream add up to the final text; stop tokens and length', async () => {
  const tok = CharTokenizer.fromCorpus('abcdefghijklmnopqrstuvwxyz ');
  const model = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nKvHead: 2, nLayer: 1, maxSeqLen: 64, initStd: 0.3 }), undefined, 3);
  const engine = new BatchEngine({ tokenizer: tok });
  const prompt = tok.encode('abc');
  const free = (await engine.submit({ model, prompt, maxTokens: 30, seed: 1, params: params() }))[0]!;
  assert.equal(free.finishReason, 'length');
  assert.equal(free.text, tok.decode(free.tokens, { skipSpecial: true }));
  const stop = free.text.slice(10, 12);
  const deltas: SampleDelta[] = [];
  const [cut] = await engine.submit({ model, prompt, maxTokens: 30, seed: 1, params: params({ stopStrings: ['@@', stop] }), onDelta: (d) => deltas.push(d) });
  assert.equal(cut!.finishReason, 'stop');
  assert.equal(cut!.text, free.text.slice(0, free.text.indexOf(stop)), 'the text ends before the stop string');
  assert.ok(!cut!.text.includes(stop));
  assert.equal(deltas.map((d) => d.text).join(''), cut!.text, 'stream pieces concatenate to the final text');
  assert.equal(deltas.at(-1)!.finishReason, 'stop');
  assert.deepEqual(deltas.filter((d) => d.token !== undefined).map((d) => d.token), cut!.tokens);
  // A stop token: the sample ends on it, its text leaves it out.
  const stopId = free.tokens[4]!;
  const [byToken] = await engine.submit({ model, prompt, maxTokens: 30, seed: 1, params: params({ stopTokens: new Set([stopId]) }) });
  assert.equal(byToken!.finishReason, 'stop');
  assert.equal(byToken!.tokens.at(-1), stopId);
  assert.equal(byToken!.tokens.indexOf(stopId), byToken!.tokens.length - 1);
  const [none] = await engine.submit({ model, prompt, maxTokens: 0, params: params() });
  assert.deepEqual([none!.tokens, none!.finishReason], [[], 'length']);
});

test('BatchEngine: top logprobs are the largest log-probabilities, the picked token among them when greedy', async () => {
  const model = tiny('gpt2', 2);
  const engine = new BatchEngine();
  const [s] = await engine.submit({ model, prompt: [1, 2], maxTokens: 4, params: params({ temperature: 0, topLogprobs: 3 }) });
  s!.top.forEach((top, i) => {
    assert.equal(top.length, 3);
    assert.equal(top[0]!.token, s!.tokens[i]);
    assert.equal(top[0]!.logprob, s!.logprobs[i]);
    assert.ok(top[0]!.logprob >= top[1]!.logprob && top[1]!.logprob >= top[2]!.logprob);
  });
});

test('BatchEngine: a bad request fails alone, naming its field; an aborted one is dropped', async () => {
  const model = tiny('gpt2');
  const engine = new BatchEngine({ maxBatch: 4 });
  assert.throws(() => engine.submit({ model, prompt: [1, 99999], maxTokens: 3, params: params() }), /request\.prompt\[1\] is 99999/);
  assert.throws(() => engine.submit({ model, prompt: [1], n: 5, maxTokens: 3, params: params() }), /request\.n is 5; expected an integer in \[1, 4\]/);
  assert.throws(() => engine.submit({ model, prompt: [1], maxTokens: 3, params: params({ stopStrings: ['x'] }) }), /no tokenizer/);
  const ac = new AbortController();
  const gone = engine.submit({ model, prompt: [1], maxTokens: 40, params: params(), signal: ac.signal, onDelta: () => ac.abort() });
  const kept = engine.submit({ model, prompt: [2], maxTokens: 5, seed: 3, params: params() });
  await assert.rejects(gone, /abandoned/);
  assert.equal((await kept)[0]!.tokens.length, 5);
  assert.deepEqual(engine.load, { running: 0, waiting: 0 });
});

test('BatchEngine: requests for another model wait for the running rows, then run on their own weights', async () => {
  const a = tiny('gpt2', 1), b = tiny('gpt2', 2);
  const engine = new BatchEngine();
  const req = (model: Transformer): EngineRequest => ({ model, prompt: [3, 4], maxTokens: 5, seed: 9, params: params({ temperature: 0 }) });
  const [ra, rb, ra2] = await Promise.all([engine.submit(req(a)), engine.submit(req(b)), engine.submit(req(a))]);
  assert.deepEqual(ra![0]!.tokens, generate(a, [[3, 4]], { maxNewTokens: 5, temperature: 0 })[0]!.tokens);
  assert.deepEqual(rb![0]!.tokens, generate(b, [[3, 4]], { maxNewTokens: 5, temperature: 0 })[0]!.tokens);
  assert.deepEqual(ra2![0]!.tokens, ra![0]!.tokens);
  assert.notDeepEqual(ra![0]!.tokens, rb![0]!.tokens, 'the two models differ (else this test shows nothing)');
});

test('BatchEngine: a batch that fails (NaN logits) rejects its requests, and the engine serves the next ones', async () => {
  const good = tiny('llama', 4);
  const broken = new Transformer(good.config, new Map([...good.params].map(([k, t]) => [k, k === 'lm_head.weight' ? new Tensor(new Float32Array(t.f32.length).fill(NaN), [...t.shape]) : t])));
  const engine = new BatchEngine();
  const req = (model: Transformer): EngineRequest => ({ model, prompt: [1, 2], maxTokens: 4, seed: 1, params: params() });
  const [bad1, bad2] = [engine.submit(req(broken)), engine.submit(req(broken))];
  await assert.rejects(bad1, /NaN/);
  await assert.rejects(bad2, /NaN/);
  const [ok] = await engine.submit(req(good));
  assert.deepEqual(ok!.tokens, generate(good, [[1, 2]], { maxNewTokens: 4, seed: 1 })[0]!.tokens);
});
