// The weight routes: a PEFT adapter loaded and selected by `model` gives what alignkit's
// base+adapter gives; unloading it removes it; /v1/load_model swaps the base weights, while a
// request already decoding finishes on the weights it started with.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { generate, loadModelDir, type Transformer } from '../model/index.js';
import { startServe, type Serving } from './server.js';
import { adapterDir, modelDir, tinyModel, tokenizer } from './test-util.test.js';

const tok = tokenizer();
const base = tinyModel(1);
let srv: Serving, client: OpenAI, model: string;

before(async () => {
  model = modelDir(base, false);
  srv = await startServe({ model, port: 0, servedName: 'policy' });
  client = new OpenAI({ baseURL: srv.url, apiKey: 'x', maxRetries: 0 });
});
after(() => srv.close());

const greedy = (m: Transformer, prompt: string, maxTokens: number): string =>
  generate(m, [tok.encode(prompt)], { maxNewTokens: maxTokens, temperature: 0, stopTokens: [tok.eos!], tokenizer: tok })[0]!.text!;

const post = async (route: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> => {
  const res = await fetch(`${srv.url}/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as Record<string, any> };
};

const ask = async (name: string, prompt = 'abc', max = 12): Promise<string> =>
  (await client.completions.create({ model: name, prompt, max_tokens: max, temperature: 0 })).choices[0]!.text;

test('serve: a loaded LoRA adapter, selected by model, gives alignkit\'s base+adapter output; unloading removes it', async () => {
  const dir = adapterDir(base);
  const withAdapter = loadModelDir(dir).model; // attaches the PEFT adapter found there
  assert.ok(withAdapter.lora.size > 0);
  const want = greedy(withAdapter, 'abc', 12);
  assert.notEqual(want, greedy(base, 'abc', 12), 'the adapter changes the output (else this test shows nothing)');
  const loaded = await post('load_lora_adapter', { lora_name: 'tuned', lora_path: dir });
  assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
  assert.deepEqual((await client.models.list()).data.map((m) => [m.id, (m as unknown as { parent: string | null }).parent]), [['policy', null], ['tuned', 'policy']]);
  const [a, b] = await Promise.all([ask('tuned'), ask('policy')]);
  assert.equal(a, want);
  assert.equal(b, greedy(base, 'abc', 12), 'the base is unchanged');
  assert.equal((await post('unload_lora_adapter', { lora_name: 'tuned' })).status, 200);
  const gone = await client.completions.create({ model: 'tuned', prompt: 'a' }).catch((e: unknown) => e);
  assert.ok(gone instanceof OpenAI.NotFoundError);
  assert.equal((await post('unload_lora_adapter', { lora_name: 'tuned' })).status, 404);
});

test('serve: the weight routes refuse bad bodies, naming the field', async () => {
  const bad = async (route: string, body: unknown, param: string) => {
    const r = await post(route, body);
    assert.equal(r.status, 400, `${route} ${JSON.stringify(body)}`);
    assert.equal(r.body.error.param, param);
  };
  await bad('load_lora_adapter', { lora_path: adapterDir(base) }, 'lora_name');
  await bad('load_lora_adapter', { lora_name: 'x', lora_path: '/no/such/dir' }, 'lora_path');
  await bad('load_lora_adapter', { lora_name: 'x', lora_path: modelDir(base, false) }, 'lora_path'); // no adapter files
  await bad('load_lora_adapter', { lora_name: 'policy', lora_path: adapterDir(base) }, 'lora_name');
  await bad('load_model', { model_path: 7 }, 'model_path');
  await bad('load_model', { model_path: modelDir(tinyModel(2, { dModel: 16, nHead: 2, nKvHead: 2 }), false) }, 'model_path');
});

test('serve: /v1/load_model swaps the base weights; a request in flight finishes on the old ones; adapters follow the new base', async () => {
  const next = tinyModel(5);
  const dir = modelDir(next, false);
  assert.notEqual(greedy(next, 'abc', 12), greedy(base, 'abc', 12));
  const adapter = adapterDir(base, 9);
  assert.equal((await post('load_lora_adapter', { lora_name: 'a', lora_path: adapter }), 200).valueOf(), 200);
  // A long streamed request starts, and the load lands while it decodes.
  const long = greedy(base, 'xyz', 60);
  const stream = await client.completions.create({ model: 'policy', prompt: 'xyz', max_tokens: 60, temperature: 0, stream: true });
  let text = '', loadedDuring = false;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? '';
    if (!loadedDuring && text.length > 0) {
      loadedDuring = true;
      const r = await post('load_model', { model_path: dir });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
  }
  assert.ok(loadedDuring);
  assert.equal(text, long, 'the in-flight request kept its weights');
  assert.equal(await ask('policy'), greedy(next, 'abc', 12), 'later requests use the new weights');
  const withAdapter = loadModelDir(adapter).model;
  const onNext = new (next.constructor as typeof Transformer)(next.config, next.params);
  onNext.lora = withAdapter.lora;
  assert.equal(await ask('a'), greedy(onNext, 'abc', 12), 'the adapter now sits on the new base');
});
