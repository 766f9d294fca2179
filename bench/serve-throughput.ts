// `alignkit serve` throughput (issue 19's target: batched ≥ 3× sequential), on the ReST-EM demo's
// model shape (Llama family, d_model 64, 2 layers, 4 heads, its character tokenizer, context 128)
// with random weights: the same N requests sent one after another, then all at once. The server is
// `alignkit serve` in its own process, as it is run, so that this client's work is not on its
// thread. Prints completion tokens per second both ways and their ratio, with the machine's load
// (uptime), since other processes on a shared machine slow both runs.
// Usage: npm run build && node dist/bench/serve-throughput.js [N=32] [MAX_TOKENS=64]
import { execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRestEmDemo, restEmDemoData } from '../src/recipes/rest-em.js';
import { BatchEngine, Transformer, saveModelDir } from '../src/model/index.js';

const N = Number(process.argv[2] ?? 32), maxTokens = Number(process.argv[3] ?? 64);
const { tok, mcfg, task } = restEmDemoData(defaultRestEmDemo);
const dir = join(mkdtempSync(join(tmpdir(), 'alignkit-serve-bench-')), 'model');
const model = new Transformer({ ...mcfg, initStd: 0.1 }, undefined, 0);
saveModelDir(dir, model, { tokenizer: tok });
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const child = spawn(process.execPath, [cli, 'serve', '--model', dir, '--port', '0', '--max-batch', String(Math.max(N, 1))], { stdio: ['ignore', 'pipe', 'inherit'] });
let banner = '';
while (!/at (http:\S+)/.test(banner)) banner += String((await once(child.stdout!, 'data'))[0]);
const url = /at (http:\S+)/.exec(banner)![1]!;
const prompts = task.train.slice(0, N).map((p) => p.prompt);
while (prompts.length < N) prompts.push(prompts[prompts.length % Math.max(1, task.train.length)] ?? '1+1=');

interface Answer { choices: { text: string }[]; usage: { completion_tokens: number } }
const ask = async (i: number): Promise<Answer> => {
  // ignore_eos: random weights would pick EOS early and at random lengths; every sample runs to
  // max_tokens instead. The two runs send the same seeds, so they generate the same tokens.
  const res = await fetch(`${url}/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: dir, prompt: prompts[i], max_tokens: maxTokens, seed: i, temperature: 1, ignore_eos: true }),
  });
  if (!res.ok) throw new Error(`request ${i}: HTTP ${res.status} ${await res.text()}`);
  return await res.json() as Answer;
};

const timed = async (run: () => Promise<Answer[]>): Promise<{ s: number; tokens: number; texts: string[] }> => {
  const t0 = performance.now();
  const out = await run();
  const s = (performance.now() - t0) / 1000;
  return { s, tokens: out.reduce((a, r) => a + r.usage.completion_tokens, 0), texts: out.map((r) => r.choices[0]!.text) };
};

await ask(0); // warm-up: first-call costs out of both timings
const load = execSync('uptime').toString().trim();
const seq = await timed(async () => { const out: Answer[] = []; for (let i = 0; i < N; i++) out.push(await ask(i)); return out; });
const stepsOf = async () => (await (await fetch(url.replace(/\/v1$/, '/health'))).json() as { steps: number }).steps;
const before = await stepsOf();
const par = await timed(() => Promise.all(Array.from({ length: N }, (_, i) => ask(i))));
const parSteps = (await stepsOf()) - before;
const same = seq.texts.every((t, i) => t === par.texts[i]);
const health = await (await fetch(url.replace(/\/v1$/, '/health'))).json() as { steps: number; rowSteps: number };
child.kill('SIGTERM');
await once(child, 'exit');
rmSync(dir, { recursive: true, force: true });

// The same requests on the batch engine in this process, without HTTP: what batching itself gives.
const engine = new BatchEngine({ maxBatch: Math.max(N, 1), tokenizer: tok });
const params = { temperature: 1, topK: 0, topP: 1, stopTokens: new Set<number>(), stopStrings: [], topLogprobs: 0 };
const direct = (i: number) => engine.submit({ model, prompt: tok.encode(prompts[i]!), maxTokens, seed: i, params });
const asAnswer = (s: { tokens: number[]; text: string }[]): Answer => ({ choices: [{ text: s[0]!.text }], usage: { completion_tokens: s[0]!.tokens.length } });
await direct(0);
const eSeq = await timed(async () => { const out: Answer[] = []; for (let i = 0; i < N; i++) out.push(asAnswer(await direct(i))); return out; });
const ePar = await timed(async () => (await Promise.all(Array.from({ length: N }, (_, i) => direct(i)))).map(asAnswer));

const rate = (r: { s: number; tokens: number }) => r.tokens / r.s;
console.log(`serve throughput, ReST-EM demo model shape (llama d=${mcfg.dModel} L=${mcfg.nLayer} H=${mcfg.nHead} V=${mcfg.vocabSize}), ${N} requests × up to ${maxTokens} tokens`);
console.log(`uptime before: ${load}`);
console.log(`one after another: ${seq.tokens} tokens in ${seq.s.toFixed(2)} s = ${rate(seq).toFixed(0)} tokens/s`);
console.log(`all at once:       ${par.tokens} tokens in ${par.s.toFixed(2)} s = ${rate(par).toFixed(0)} tokens/s`);
console.log(`ratio: ${(rate(par) / rate(seq)).toFixed(2)}× (target ≥ 3×); same texts both ways: ${same}; mean rows per decoding step over both runs: ${(health.rowSteps / health.steps).toFixed(1)}; decoding steps all at once: ${parSteps} (${maxTokens - 1} if all ${N} had arrived together)`);
console.log(`engine alone (no HTTP): ${rate(eSeq).toFixed(0)} tokens/s one after another, ${rate(ePar).toFixed(0)} all at once: ${(rate(ePar) / rate(eSeq)).toFixed(2)}×; same texts as served: ${ePar.texts.every((t, i) => t === par.texts[i])}`);
console.log(`uptime after: ${execSync('uptime').toString().trim()}`);
