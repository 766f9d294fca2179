// Remote generation (--generator) against real `alignkit serve` processes (issue 19): the samples
// equal the in-process ones (sample_seeds carries each sample's own seed; return_tokens_as_token_ids
// brings back the very ids), a server killed mid-run leaves the set complete without duplicates,
// and pushes through serve's /v1/load_model and /v1/load_lora_adapter change what it samples.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { createLora, defaultConfig, generate, layoutOf, saveModelDir, Transformer } from '../../src/model/index.js';
import { Rng } from '../../src/tensor/index.js';
import { CharTokenizer } from '../../src/tokenizer/index.js';
import { tempDir } from '../../src/io/temp-dir.test.js';
import { RemoteGenerator } from '../../src/align/trainer/generator/remote.js';
import { localGenerator, type GenerateSettings } from '../../src/align/trainer/generator/generator.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = tempDir('serve-generator-');
const tok = CharTokenizer.fromCorpus('abcdq:0123456789\n');
const model = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 24, initStd: 0.3 }), undefined, 4);
const dir = join(root, 'lm');
saveModelDir(dir, model, { tokenizer: tok });
const prompts = Array.from({ length: 24 }, (_, i) => tok.encode(`q${i}:`, { parseSpecial: false }));
const s: GenerateSettings = { maxNewTokens: 6, temperature: 1, topK: 0, seed: 11, batchSize: 8 };
const procs: ChildProcess[] = [];
after(() => { for (const p of procs) p.kill('SIGKILL'); });

/** `alignkit serve` on a free port, as a user starts it; resolves with its /v1 URL. */
function serve(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [cli, 'serve', '--model', dir, '--port', '0', '--served-model-name', 'lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = / at (http:\/\/\S+\/v1) /.exec(out);
      if (m) resolve({ url: m[1]!, proc });
    });
    proc.once('exit', (code) => reject(new Error(`alignkit serve exited (${code}) before listening: ${err}`)));
  });
}

const remote = (urls: string[]) => new RemoteGenerator({ urls, timeoutMs: 30_000, retries: 1, concurrency: 2, backoffMs: 10, pushDir: join(root, 'push'), model: 'lm' });
const served = async (url: string) => ((await (await fetch(url.replace(/\/v1$/, '/health'))).json()) as { admitted: number }).admitted;

test('two alignkit serve processes, one killed mid-run: every prompt × sample once, equal to in-process sampling', async () => {
  const [a, b] = [await serve(), await serve()];
  const g = remote([a.url, b.url]);
  const run = g.sample(model, tok, prompts, 4, s);
  while (await served(b.url) < 4) await new Promise((r) => setTimeout(r, 5));
  b.proc.kill('SIGKILL');
  const got = await run;
  const local = await localGenerator.sample(model, tok, prompts, 4, s);
  assert.equal(got.length, 96);
  assert.deepEqual(got.map((x) => [x.promptIndex, x.tokens, x.finishReason]), local.map((x) => [x.promptIndex, x.tokens, x.finishReason]));
  got.forEach((x, i) => x.logprobs.forEach((l, t) => assert.ok(Math.abs(l - local[i]!.logprobs[t]!) < 1e-4, `sample ${i} token ${t}: ${l} vs ${local[i]!.logprobs[t]}`)));
  assert.deepEqual(g.pool.live(), [a.url], 'the killed server was dropped');
  assert.equal(g.tokensFrom.ids, 96, 'serve returned token ids for every sample');
  a.proc.kill('SIGKILL');
});

test('pushes through alignkit serve: /v1/load_model, then a LoRA adapter through /v1/load_lora_adapter', async () => {
  const a = await serve();
  const g = remote([a.url]);
  const sampled = (m: Transformer) => generate(m, prompts, { maxNewTokens: 6, temperature: 1, n: 2, seed: 11, stopTokens: [tok.eos!] }).map((x) => x.tokens);
  const next = new Transformer(model.config, undefined, 9);
  await g.push(next, tok, 'g1-i1');
  assert.equal(g.pushes[0]!.route, 'load_model');
  const afterFull = (await g.sample(next, tok, prompts, 2, s)).map((x) => x.tokens);
  assert.deepEqual(afterFull, sampled(next));
  assert.notDeepEqual(afterFull, sampled(model));

  const tuned = next.clone();
  tuned.lora = createLora(tuned.params, layoutOf(tuned.config), { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj'] }, new Rng(3));
  for (const ad of tuned.lora.values()) ad.B.data.forEach((_, i, d) => { d[i] = 0.5 * Math.sin(i + 1); });
  await g.push(tuned, tok, 'ser-1');
  assert.equal(g.pushes[1]!.route, 'load_lora_adapter');
  const afterLora = (await g.sample(tuned, tok, prompts, 2, s)).map((x) => x.tokens);
  assert.deepEqual(afterLora, sampled(tuned));
  assert.notDeepEqual(afterLora, afterFull);
  a.proc.kill('SIGKILL');
});
