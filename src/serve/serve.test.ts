// `alignkit serve` through the official openai client: every route and parameter, against
// alignkit's own generate() on the same weights and seed as the oracle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import OpenAI from 'openai';
import { generate, type Transformer } from '../model/index.js';
import { startServe, type Serving } from './server.js';
import { modelDir, tinyModel, tokenizer } from './test-util.test.js';

const tok = tokenizer();
const EOS = tok.eos!;
const base = tinyModel(1);
let srv: Serving, client: OpenAI, model: string;

before(async () => {
  model = modelDir(base, true);
  srv = await startServe({ model, port: 0, maxBatch: 16, maxBody: 64 << 10 });
  client = new OpenAI({ baseURL: srv.url, apiKey: 'unused', maxRetries: 0 });
});
after(() => srv.close());

/** What alignkit's generate() gives for this prompt: the oracle. */
function oracle(m: Transformer, prompt: string | number[], o: { seed?: number; maxTokens: number; temperature?: number; n?: number; topP?: number }) {
  const ids = typeof prompt === 'string' ? tok.encode(prompt, { parseSpecial: false }) : prompt;
  return generate(m, [ids], { maxNewTokens: o.maxTokens, n: o.n ?? 1, seed: o.seed ?? 0, temperature: o.temperature ?? 1, topP: o.topP ?? 1, stopTokens: [EOS], tokenizer: tok });
}

test('serve: /v1/models lists the served model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [model]);
});

test('serve: completions give generate()\'s samples for the seed: text, n, finish_reason, usage, temperature/top_p', async () => {
  const r = await client.completions.create({ model, prompt: 'what is 2+3?', max_tokens: 20, seed: 11, n: 3, temperature: 0.9, top_p: 0.95 });
  const want = oracle(base, 'what is 2+3?', { seed: 11, maxTokens: 20, n: 3, temperature: 0.9, topP: 0.95 });
  assert.deepEqual(r.choices.map((c) => c.text), want.map((s) => s.text));
  assert.deepEqual(r.choices.map((c) => c.finish_reason), want.map((s) => s.finishReason));
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  assert.equal(r.object, 'text_completion');
  const completion = want.reduce((a, s) => a + s.tokens.length, 0);
  assert.deepEqual(r.usage, { prompt_tokens: tok.encode('what is 2+3?').length, completion_tokens: completion, total_tokens: tok.encode('what is 2+3?').length + completion });
  const again = await client.completions.create({ model, prompt: 'what is 2+3?', max_tokens: 20, seed: 11, n: 3, temperature: 0.9, top_p: 0.95 });
  assert.deepEqual(again.choices.map((c) => c.text), r.choices.map((c) => c.text), 'same seed, same text');
  const other = await client.completions.create({ model, prompt: 'what is 2+3?', max_tokens: 20, seed: 12, n: 3, temperature: 0.9 });
  assert.notDeepEqual(other.choices.map((c) => c.text), r.choices.map((c) => c.text), 'another seed, other text');
  const greedy = await client.completions.create({ model, prompt: 'abc', max_tokens: 7, temperature: 0 });
  assert.equal(greedy.choices[0]!.text, oracle(base, 'abc', { maxTokens: 7, temperature: 0 })[0]!.text);
  assert.equal(greedy.choices[0]!.finish_reason, 'length');
  assert.equal(greedy.usage!.completion_tokens, 7);
  // ignore_eos (vLLM's extension): the tokenizer's EOS no longer ends a sample.
  const ended = [...Array(40).keys()].find((s) => oracle(base, 'abc', { seed: s, maxTokens: 40 })[0]!.finishReason === 'stop')!;
  const through = await client.completions.create({ model, prompt: 'abc', max_tokens: 40, seed: ended, ignore_eos: true } as never) as OpenAI.Completion;
  assert.equal(through.usage!.completion_tokens, 40);
  assert.equal(through.choices[0]!.finish_reason, 'length');
});

test('serve: a prompt list and token-id prompts; each prompt gets the samples it gets alone', async () => {
  const ids = tok.encode('hello there');
  const r = await client.completions.create({ model, prompt: ['abc', 'xyz'], max_tokens: 9, seed: 3, n: 2 });
  assert.equal(r.choices.length, 4);
  assert.deepEqual(r.choices.map((c) => c.text), [...oracle(base, 'abc', { seed: 3, maxTokens: 9, n: 2 }), ...oracle(base, 'xyz', { seed: 3, maxTokens: 9, n: 2 })].map((s) => s.text));
  const byIds = await client.completions.create({ model, prompt: ids, max_tokens: 9, seed: 4 });
  assert.equal(byIds.choices[0]!.text, oracle(base, ids, { seed: 4, maxTokens: 9 })[0]!.text);
  const lists = await client.completions.create({ model, prompt: [ids, [1, 2, 3]], max_tokens: 5, seed: 4 });
  assert.equal(lists.choices[1]!.text, oracle(base, [1, 2, 3], { seed: 4, maxTokens: 5 })[0]!.text);
});

test('serve: stop strings end the sample and are left out of the text (string or list)', async () => {
  // The first seed whose free sample runs long enough to hold a stop string inside it.
  const seed = [...Array(50).keys()].find((s) => oracle(base, 'abc', { seed: s, maxTokens: 40 })[0]!.text!.length >= 16)!;
  const free = oracle(base, 'abc', { seed, maxTokens: 40 })[0]!;
  const stop = free.text!.slice(8, 10);
  const r = await client.completions.create({ model, prompt: 'abc', max_tokens: 40, seed, stop });
  assert.equal(r.choices[0]!.text, free.text!.slice(0, free.text!.indexOf(stop)));
  assert.equal(r.choices[0]!.finish_reason, 'stop');
  const list = await client.completions.create({ model, prompt: 'abc', max_tokens: 40, seed, stop: ['#', stop] });
  assert.equal(list.choices[0]!.text, r.choices[0]!.text);
});

test('serve: completions logprobs are generate()\'s per-token log-probabilities with k alternatives', async () => {
  const r = await client.completions.create({ model, prompt: 'abc', max_tokens: 6, seed: 8, logprobs: 3 });
  const want = oracle(base, 'abc', { seed: 8, maxTokens: 6 })[0]!;
  const lp = r.choices[0]!.logprobs!;
  assert.deepEqual(lp.token_logprobs, want.logprobs);
  assert.deepEqual(lp.tokens, want.tokens.map((t) => tok.decode([t])));
  assert.equal(lp.top_logprobs!.length, 6);
  lp.top_logprobs!.forEach((top, i) => {
    const v = Object.values(top);
    assert.equal(v.length, 3);
    assert.ok(Math.max(...v) >= want.logprobs[i]! - 1e-12, 'the alternatives include the most likely token');
  });
});

test('serve: a streamed completion adds up to the non-streamed one, with usage at the end', async () => {
  const opts = { model, prompt: 'abc', max_tokens: 30, seed: 5, n: 2, stop: 'qq' };
  const whole = await client.completions.create(opts);
  const stream = await client.completions.create({ ...opts, stream: true, stream_options: { include_usage: true } });
  const text = ['', ''], finish: (string | null)[] = [null, null];
  let usage: unknown = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text[c.index] += c.text;
      if (c.finish_reason) finish[c.index] = c.finish_reason;
    }
  }
  assert.deepEqual(text, whole.choices.map((c) => c.text));
  assert.deepEqual(finish, whole.choices.map((c) => c.finish_reason));
  assert.deepEqual(usage, whole.usage);
});

test('serve: chat completions render the model\'s chat template; stream and logprobs', async () => {
  const messages = [{ role: 'system' as const, content: 'be brief' }, { role: 'user' as const, content: 'hi' }];
  const r = await client.chat.completions.create({ model, messages, max_tokens: 12, seed: 2, logprobs: true, top_logprobs: 2 });
  const want = oracle(base, 'system: be brief\nuser: hi\nassistant: ', { seed: 2, maxTokens: 12 })[0]!;
  assert.equal(r.object, 'chat.completion');
  assert.deepEqual(r.choices[0]!.message, { role: 'assistant', content: want.text });
  assert.deepEqual(r.choices[0]!.logprobs!.content!.map((c) => c.logprob), want.logprobs);
  assert.ok(r.choices[0]!.logprobs!.content!.every((c) => c.top_logprobs.length === 2));
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 12, seed: 2, stream: true });
  let text = '', role = '', finish = '';
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    if (!c) continue;
    text += c.delta.content ?? '';
    role ||= c.delta.role ?? '';
    finish ||= c.finish_reason ?? '';
  }
  assert.deepEqual([role, text, finish], ['assistant', want.text, want.finishReason]);
  // max_completion_tokens is max_tokens' newer name.
  const short = await client.chat.completions.create({ model, messages, max_completion_tokens: 3, seed: 2 });
  assert.equal(short.usage!.completion_tokens, Math.min(3, want.tokens.length));
});

test('serve: bad requests get a 400 naming the field; unknown models 404; unknown routes 404; big bodies 413', async () => {
  const bad = async (body: Record<string, unknown>, param: string, status = 400) => {
    const err = await client.completions.create({ model, prompt: 'a', ...body } as never).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, `${JSON.stringify(body)} was refused`);
    assert.equal(err.status, status, JSON.stringify(body));
    assert.equal((err.error as { param: string }).param, param);
    assert.match(err.message, new RegExp(param.replace(/[[\]]/g, '\\$&')));
  };
  await bad({ temperature: -1 }, 'temperature');
  await bad({ top_p: 0 }, 'top_p');
  await bad({ n: 0 }, 'n');
  await bad({ n: 17 }, 'n');
  await bad({ max_tokens: 1.5 }, 'max_tokens');
  await bad({ seed: 'x' }, 'seed');
  await bad({ n: 2, sample_seeds: [1] }, 'sample_seeds');
  await bad({ sample_seeds: [-1] }, 'sample_seeds');
  await bad({ stop: 3 }, 'stop');
  await bad({ logprobs: 99 }, 'logprobs');
  await bad({ prompt: [1, 99999] }, 'prompt[1]');
  await bad({ prompt: [] }, 'prompt');
  await bad({ prompt: 'a'.repeat(200) }, 'prompt');
  await bad({ echo: true }, 'echo');
  await bad({ presence_penalty: 0.5 }, 'presence_penalty');
  await bad({ model: 'nope' }, 'model', 404);
  const chatErr = await client.chat.completions.create({ model, messages: [] }).catch((e: unknown) => e);
  assert.equal((chatErr as InstanceType<typeof OpenAI.APIError>).status, 400);
  const raw = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${srv.url}${path}`, init);
    return { status: res.status, body: await res.json() as { error: { message: string; type: string; code: string } } };
  };
  const nf = await raw('/nothing');
  assert.equal(nf.status, 404);
  assert.equal(nf.body.error.code, 'unknown_url');
  const post = (body: string) => raw('/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal((await post('{"prompt": ')).status, 400);
  assert.equal((await post('[1]')).status, 400);
  const big = await post(JSON.stringify({ model, prompt: 'a'.repeat(70 << 10) }));
  assert.equal(big.status, 413);
  assert.match(big.body.error.message, /limit of 65536 bytes/);
  assert.equal((await raw('/models', { method: 'POST' })).status, 405);
});

test('serve: a model without a chat template answers chat requests with a clear 400', async () => {
  const plain = await startServe({ model: modelDir(base, false), port: 0 });
  try {
    const c = new OpenAI({ baseURL: plain.url, apiKey: 'x', maxRetries: 0 });
    const err = await c.chat.completions.create({ model: plain.models.name, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.match(err.message, /no chat template/);
    const ok = await c.completions.create({ model: plain.models.name, prompt: 'abc', max_tokens: 4, seed: 1 });
    assert.equal(ok.choices[0]!.text, oracle(base, 'abc', { seed: 1, maxTokens: 4 })[0]!.text);
  } finally {
    await plain.close();
  }
});

test('serve: an API key is required when given, and made up when bound beyond loopback', async () => {
  const keyed = await startServe({ model, port: 0, apiKey: 'sesame' });
  try {
    const wrong = new OpenAI({ baseURL: keyed.url, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
    assert.equal((await fetch(`${keyed.url}/models`)).status, 401);
    const right = new OpenAI({ baseURL: keyed.url, apiKey: 'sesame', maxRetries: 0 });
    assert.equal((await right.models.list()).data.length, 1);
  } finally {
    await keyed.close();
  }
  const open = await startServe({ model, port: 0, host: '0.0.0.0' });
  try {
    assert.ok(open.apiKey && open.apiKey.length >= 24, 'a key was made up');
    const url = open.url.replace('0.0.0.0', '127.0.0.1');
    assert.equal((await fetch(`${url}/models`)).status, 401);
    assert.equal((await new OpenAI({ baseURL: url, apiKey: open.apiKey!, maxRetries: 0 }).models.list()).data.length, 1);
  } finally {
    await open.close();
  }
  // On loopback without a key, a Host that is not a loopback name is refused (DNS rebinding).
  const status = await new Promise<number>((ok, fail) => {
    request(`${srv.url}/models`, { headers: { host: 'evil.example' } }, (res) => { res.resume(); ok(res.statusCode!); }).on('error', fail).end();
  });
  assert.equal(status, 403);
});
