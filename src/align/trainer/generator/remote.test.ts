// Remote generation against fake OpenAI-compatible servers (test/fixtures/fake-generator-server.ts,
// real processes on loopback ports): the samples equal the in-process ones drawn with the same
// seed; three servers share the work and one killed with requests in flight leaves the set
// complete without duplicates; every server down is a clear error; pushes reach the servers
// and the samples after a push come from the pushed weights (full model and LoRA adapter).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLora, defaultConfig, generate, layoutOf, saveModelDir, Transformer } from '../../../model/index.js';
import { Rng } from '../../../tensor/index.js';
import { CharTokenizer } from '../../../tokenizer/index.js';
import { tempDir } from '../../../io/temp-dir.test.js';
import { startFake, type FakeServer } from '../../../../test/fixtures/fake-servers.js';
import { RemoteGenerator } from './remote.js';
import { localGenerator, type GenerateSettings } from './generator.js';

const root = tempDir('generator-');
const tok = CharTokenizer.fromCorpus('abcdq:0123456789\n');
const model = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 24, initStd: 0.3 }), undefined, 4);
const dir = join(root, 'lm');
saveModelDir(dir, model, { tokenizer: tok });
const prompts = Array.from({ length: 12 }, (_, i) => tok.encode(`q${i}:`, { parseSpecial: false }));
const s: GenerateSettings = { maxNewTokens: 6, temperature: 1, topK: 0, seed: 11, batchSize: 8 };
const started: FakeServer[] = [];
after(async () => { for (const f of started) await f.kill(); });
const fake = async (...flags: string[]) => { const f = await startFake(dir, ...flags); started.push(f); return f; };
const remote = (urls: string[], extra: Partial<ConstructorParameters<typeof RemoteGenerator>[0]> = {}) =>
  new RemoteGenerator({ urls, timeoutMs: 20_000, retries: 1, concurrency: 2, backoffMs: 10, pushDir: join(root, 'push'), ...extra });

/** Every r-th seed the client derives from s.seed: what each sample's request carries. */
const seedsOf = (count: number, seed: number) => { const r = new Rng(seed); return Array.from({ length: count }, () => r.nextU32()); };

test('three servers, one killed with requests in flight: every prompt × sample once, equal to the in-process samples', async () => {
  const [a, b, c] = [await fake(), await fake('--hang-after', '3'), await fake()];
  const g = remote([a.url, b.url, c.url]);
  const run = g.sample(model, tok, prompts, 4, s);
  await b.waitFor('hanging');
  await b.kill();
  const got = await run;
  await a.settle();
  await c.settle();
  const local = await localGenerator.sample(model, tok, prompts, 4, s);
  assert.equal(got.length, 48);
  assert.deepEqual(got.map((x) => [x.promptIndex, x.tokens, x.finishReason]), local.map((x) => [x.promptIndex, x.tokens, x.finishReason]));
  got.forEach((x, i) => x.logprobs.forEach((l, t) => assert.ok(Math.abs(l - local[i]!.logprobs[t]!) < 1e-4, `sample ${i} token ${t}: ${l} vs ${local[i]!.logprobs[t]}`)));
  // Answered samples across the three servers: each request seed exactly once, none missing.
  const answered = [...a.served(), ...b.served(), ...c.served()];
  assert.equal(b.served().length, 3);
  assert.deepEqual([...answered].sort(), [...seedsOf(48, 11)].sort());
  assert.ok(a.served().length > 0 && c.served().length > 0, 'both survivors took work');
  assert.deepEqual(g.pool.live(), [a.url, c.url]);
  assert.equal(g.tokensFrom.ids, 48);
});

test('a server that returns only text: its text is re-tokenised, and a count that differs from what it sampled is refused', async () => {
  const t = await fake('--text-only');
  // This tiny model samples specials (here <|unk|>) mid-completion; the text drops them, so re-tokenising cannot give its tokens back.
  const local = await localGenerator.sample(model, tok, prompts.slice(0, 3), 2, s);
  assert.ok(local.some((x) => x.tokens.slice(0, -1).some((id) => tok.decode([id], { skipSpecial: true }) === '')), 'the samples include a special mid-completion');
  await assert.rejects(remote([t.url]).sample(model, tok, prompts.slice(0, 3), 2, s), (e: Error) => e.message.includes(t.url) && /sampled \d+ tokens but its text re-tokenises to \d+/.test(e.message));
});

test('token ids that do not decode to the returned text are refused, naming the server', async () => {
  const liar = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ choices: [{ text: 'abc', finish_reason: 'length', logprobs: { tokens: ['token_id:3'] } }] })); });
  });
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(liar.address() as { port: number }).port}/v1`;
  try {
    await assert.rejects(remote([url], { model: 'm' }).sample(model, tok, prompts.slice(0, 1), 1, s), (e: Error) => e.message.includes(url) && /decode to .* not to its text "abc"/.test(e.message));
  } finally {
    liar.close();
  }
});

test('every server down: a clear error naming each server, after its retries', async () => {
  const d = await fake();
  await d.kill();
  const g = remote([d.url, 'http://127.0.0.1:9/v1'], { model: 'fake' });
  await assert.rejects(g.sample(model, tok, prompts, 2, s), (e: Error) => e.message.startsWith('every generator server failed') && e.message.includes(d.url) && e.message.includes('127.0.0.1:9'));
  assert.deepEqual(g.pool.live(), []);
});

test('a 4xx answer is not retried: the request is wrong on every server', async () => {
  const f = await fake();
  await assert.rejects(remote([f.url], { model: 'no-such-model' }).sample(model, tok, prompts.slice(0, 1), 1, s), /HTTP 404: model no-such-model does not exist/);
});

test('a push: the full model through /v1/load_model, then the samples come from the pushed weights', async () => {
  const [a, b] = [await fake(), await fake()];
  const g = remote([a.url, b.url]);
  const next = new Transformer(model.config, undefined, 9);
  await g.push(next, tok, 'g1-i1');
  const path = join(root, 'push', 'g1-i1');
  assert.deepEqual(g.pushes, [{ name: 'g1-i1', route: 'load_model', path, servers: [a.url, b.url] }]);
  for (const f of [a, b]) { await f.settle(); assert.ok(f.lines.includes(`loaded load_model ${path}`)); }
  const got = await g.sample(next, tok, prompts, 2, s);
  assert.deepEqual(got.map((x) => x.tokens), generate(next, prompts, { maxNewTokens: 6, temperature: 1, n: 2, seed: 11, stopTokens: [tok.eos!] }).map((x) => x.tokens));
  assert.notDeepEqual(got.map((x) => x.tokens), generate(model, prompts, { maxNewTokens: 6, temperature: 1, n: 2, seed: 11, stopTokens: [tok.eos!] }).map((x) => x.tokens));
});

test('a LoRA policy is pushed as a PEFT adapter through /v1/load_lora_adapter, and later requests name it', async () => {
  const f = await fake();
  const g = remote([f.url]);
  const tuned = model.clone();
  tuned.lora = createLora(tuned.params, layoutOf(tuned.config), { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj'] }, new Rng(3));
  for (const a of tuned.lora.values()) a.B.data.forEach((_, i, d) => { d[i] = 0.5 * Math.sin(i + 1); });
  await g.push(tuned, tok, 'ser-1');
  assert.equal(g.pushes[0]!.route, 'load_lora_adapter');
  await f.settle();
  assert.ok(f.lines.includes(`loaded load_lora_adapter ${join(root, 'push', 'ser-1')}`));
  const got = await g.sample(tuned, tok, prompts, 2, s);
  assert.deepEqual(got.map((x) => x.tokens), generate(tuned, prompts, { maxNewTokens: 6, temperature: 1, n: 2, seed: 11, stopTokens: [tok.eos!] }).map((x) => x.tokens));
});
