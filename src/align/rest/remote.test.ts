// `rest --generator` against fake OpenAI-compatible servers (test/fixtures/fake-generator-server.ts,
// real processes): the run equals the in-process one with the same seed — every Grow sample, every
// evaluation figure — with one of three servers killed mid-run; each policy's checkpoint is pushed
// through /v1/load_model before anything samples from it; with every server gone the run fails
// with a clear error and keeps its finished stages, which a resume against a new server picks up.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { CharTokenizer } from '../../tokenizer/index.js';
import { readJsonl } from '../../io/jsonl.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { startFake, type FakeServer } from '../../../test/fixtures/fake-servers.js';
import { runRestJob } from './job.js';

const root = tempDir('rest-remote-');
const tok = CharTokenizer.fromCorpus('abq:0123456789\n');
const lm = join(root, 'lm');
saveModelDir(lm, new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 16, initStd: 0.3 }), undefined, 4), { tokenizer: tok });
const qa = join(root, 'qa.jsonl');
writeFileSync(qa, Array.from({ length: 16 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: 'aaa', reference: 'aaa' })).join('\n') + '\n');
const tiny = {
  model: lm, task: qa, taskOpts: 'testFraction=0.25', reward: 'chrf', original: 2, growSteps: 1, improveSteps: 2, samplesPerPrompt: 3,
  maxNewTokens: 4, validationProblems: 2, schedule: { kind: 'percentile', percentiles: [0, 50] }, improveMaxSteps: 2, evalEvery: 1, batchSize: 4, quiet: true,
  generatorRetries: 1, generatorConcurrency: 2,
} as const;
const started: FakeServer[] = [];
after(async () => { for (const f of started) await f.kill(); });
const fake = async (...flags: string[]) => { const f = await startFake(lm, ...flags); started.push(f); return f; };
const records = (out: string) => readJsonl(join(out, 'samples', 'grow1.jsonl')).map((r) => r.value as Record<string, unknown>);
/** The Grow records less their log-probabilities, which remote runs recompute by teacher forcing (equal to float rounding, checked apart). */
const grown = (out: string) => records(out).map(({ logprob: _, ...r }) => r);
const sameLogprobs = (out: string, ref: string) => records(out).forEach((r, i) => assert.ok(Math.abs((r['logprob'] as number) - (records(ref)[i]!['logprob'] as number)) < 1e-4, `record ${i}`));
/** Waits for `f` to hang with requests in flight; a run that ends first fails the test instead of hanging it. */
const hung = (f: FakeServer, run: Promise<unknown>) => Promise.race([f.waitFor('hanging'), run.then(() => { throw new Error('the run ended before the server hung'); })]);
const local = (async () => { const out = join(root, 'local'); return { out, r: await runRestJob({ ...tiny, out }) }; })();

test('three servers, one killed mid-run: the same Grow samples and figures as the in-process run, each policy pushed before it samples', async () => {
  const [a, b, c] = [await fake(), await fake('--hang-after', '5'), await fake()];
  const out = join(root, 'remote');
  const run = runRestJob({ ...tiny, out, generator: [a.url, b.url, c.url].join(',') });
  await hung(b, run);
  await b.kill();
  const r = await run;
  await a.settle();
  await c.settle();
  const l = await local;
  assert.deepEqual(r.rows, l.r.rows);
  assert.deepEqual(grown(out), grown(l.out));
  sameLogprobs(out, l.out);
  assert.equal(grown(out).filter((x) => x['source'] === 'policy').length, 8 * 3);
  const pushed = (f: FakeServer) => f.lines.filter((x) => x.startsWith('loaded ')).map((x) => x.split(' ').slice(1).join(' '));
  const want = ['policy0', 'g1-i1', 'g1-i2'].map((n) => `load_model ${join(out, 'checkpoints', n)}`);
  assert.deepEqual(pushed(a), want);
  assert.deepEqual(pushed(c), want);
  assert.ok(b.served().length === 5 && a.served().length > 0 && c.served().length > 0);
});

test('every server gone: a clear error, the finished stages kept, and a resume against a new server completes the same run', async () => {
  const d = await fake('--hang-after', '10');
  const out = join(root, 'down');
  const run = runRestJob({ ...tiny, out, generator: d.url });
  await hung(d, run.catch(() => undefined));
  await d.kill();
  await assert.rejects(run, (e: Error) => e.message.startsWith('every generator server failed') && e.message.includes(d.url));
  const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')) as { completed?: string[]; stages?: Record<string, unknown> };
  assert.match(JSON.stringify(state), /policy0\/eval/, 'the evaluation that finished before the loss is kept');
  const e = await fake();
  const r = await runRestJob({ ...tiny, out, generator: e.url, resume: true });
  assert.deepEqual(r.rows, (await local).r.rows);
  assert.deepEqual(grown(out), grown((await local).out));
});
