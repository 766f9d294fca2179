// The load test of issue 19: 64 streaming clients at once, no failed request, each stream's text
// equal to the non-streamed answer for its seed (sent afterwards, one at a time), and the batch
// really shared (mean rows per decoding step well above 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServe } from './server.js';
import { modelDir, tinyModel } from './test-util.test.js';

test('serve: 64 concurrent streaming clients, 0 failed requests, each stream equal to the non-streamed text for its seed', async () => {
  const srv = await startServe({ model: modelDir(tinyModel(3), true), port: 0, maxBatch: 64 });
  try {
    const client = new OpenAI({ baseURL: srv.url, apiKey: 'x', maxRetries: 0 });
    const N = 64;
    const req = (i: number) => ({
      model: srv.models.name, max_tokens: 16 + (i % 5) * 4, seed: 1000 + i, temperature: 0.8 + 0.01 * (i % 3),
      ...(i % 4 === 3 ? { stop: ['zz', '..'] } : {}),
    });
    const prompt = (i: number) => `question ${i}: ${'ab'.repeat(i % 7)}?`;
    const streamed = await Promise.allSettled(Array.from({ length: N }, async (_, i) => {
      let text = '', finish = '';
      if (i % 2 === 0) {
        const s = await client.completions.create({ ...req(i), prompt: prompt(i), stream: true });
        for await (const c of s) { text += c.choices[0]?.text ?? ''; finish ||= c.choices[0]?.finish_reason ?? ''; }
      } else {
        const s = await client.chat.completions.create({ ...req(i), messages: [{ role: 'user', content: prompt(i) }], stream: true });
        for await (const c of s) { text += c.choices[0]?.delta.content ?? ''; finish ||= c.choices[0]?.finish_reason ?? ''; }
      }
      return { text, finish };
    }));
    const failed = streamed.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, `failed requests: ${failed.map((f) => String((f as PromiseRejectedResult).reason)).slice(0, 3).join('; ')}`);
    const { steps, rowSteps } = srv.engine.stats;
    assert.ok(rowSteps / steps > 8, `requests shared decoding steps (mean batch ${(rowSteps / steps).toFixed(1)})`);
    for (let i = 0; i < N; i++) {
      const got = (streamed[i] as PromiseFulfilledResult<{ text: string; finish: string }>).value;
      const want = i % 2 === 0
        ? (await client.completions.create({ ...req(i), prompt: prompt(i) })).choices[0]!
        : (await client.chat.completions.create({ ...req(i), messages: [{ role: 'user', content: prompt(i) }] })).choices[0]!;
      const text = 'text' in want ? want.text : want.message.content;
      assert.equal(got.text, text, `client ${i}`);
      assert.equal(got.finish, want.finish_reason, `client ${i}`);
    }
  } finally {
    await srv.close();
  }
});
