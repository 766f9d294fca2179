// `alignkit serve` throughput (issue 19's target: batched ≥ 3× sequential), on the ReST-EM demo's
// model shape (Llama family, d_model 64, 2 layers, 4 heads, its character tokenizer, context 128)
// with random weights: the same N requests sent one after another, then all at once. Prints
// completion tokens per second both ways and their ratio, with the machine's load (uptime), since
// other processes on a shared machine slow both runs.
// Usage: npm run build && node dist/bench/serve-throughput.js [N=32] [MAX_TOKENS=64]
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRestEmDemo, restEmDemoData } from '../src/recipes/rest-em.js';
import { Transformer, saveModelDir } from '../src/model/index.js';
import { startServe } from '../src/serve/index.js';

const N = Number(process.argv[2] ?? 32), maxTokens = Number(process.argv[3] ?? 64);
const { tok, mcfg, task } = restEmDemoData(defaultRestEmDemo);
const dir = join(mkdtempSync(join(tmpdir(), 'alignkit-serve-bench-')), 'model');
saveModelDir(dir, new Transformer({ ...mcfg, initStd: 0.1 }, undefined, 0), { tokenizer: tok });
const srv = await startServe({ model: dir, port: 0, maxBatch: Math.max(N, 1) });
const prompts = task.train.slice(0, N).map((p) => p.prompt);
while (prompts.length < N) prompts.push(prompts[prompts.length % Math.max(1, task.train.length)] ?? '1+1=');

interface Answer { choices: { text: string }[]; usage: { completion_tokens: number } }
const ask = async (i: number): Promise<Answer> => {
  // EOS is never picked from random weights often, but stop tokens would still end a sample; the
  // two runs send the same seeds, so they generate the same tokens either way.
  const res = await fetch(`${srv.url}/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: srv.models.name, prompt: prompts[i], max_tokens: maxTokens, seed: i, temperature: 1 }),
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
const par = await timed(() => Promise.all(Array.from({ length: N }, (_, i) => ask(i))));
const same = seq.texts.every((t, i) => t === par.texts[i]);
const { steps, rowSteps } = srv.engine.stats;
await srv.close();
rmSync(dir, { recursive: true, force: true });

const rate = (r: { s: number; tokens: number }) => r.tokens / r.s;
console.log(`serve throughput, ReST-EM demo model shape (llama d=${mcfg.dModel} L=${mcfg.nLayer} H=${mcfg.nHead} V=${mcfg.vocabSize}), ${N} requests × up to ${maxTokens} tokens`);
console.log(`uptime before: ${load}`);
console.log(`one after another: ${seq.tokens} tokens in ${seq.s.toFixed(2)} s = ${rate(seq).toFixed(0)} tokens/s`);
console.log(`all at once:       ${par.tokens} tokens in ${par.s.toFixed(2)} s = ${rate(par).toFixed(0)} tokens/s`);
console.log(`ratio: ${(rate(par) / rate(seq)).toFixed(2)}× (target ≥ 3×); same texts both ways: ${same}; mean rows per decoding step over both runs: ${(rowSteps / steps).toFixed(1)}`);
console.log(`uptime after: ${execSync('uptime').toString().trim()}`);
