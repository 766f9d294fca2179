// `rest-em --generator` and `eval --generator` against fake OpenAI-compatible servers
// (test/fixtures/fake-generator-server.ts, real processes): with two servers, one killed with
// requests in flight, the run keeps the same samples — so the same kept-sample counts — and
// figures as the in-process run with the same seed, each iteration's checkpoint pushed after its
// M-step; eval's completions equal the in-process ones.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { readJsonl } from '../../io/jsonl.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { startFake, type FakeServer } from '../../../test/fixtures/fake-servers.js';
import { runEvalJob } from '../eval/job.js';
import { runRestEmJob } from './job.js';

const root = tempDir('rest-em-remote-');
const tok = new ByteTokenizer();
const lm = join(root, 'lm');
saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1), { tokenizer: tok });
// The regex matcher with answer "." accepts a completion with a character on its first line: some kept, some not.
const qa = join(root, 'qa.jsonl');
writeFileSync(qa, Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: '.' })).join('\n') + '\n');
const tiny = {
  model: lm, task: qa, matcher: 'regex', iterations: 2, samplesPerProblem: 3, cap: 2, maxNewTokens: 3, validationProblems: 2, mStepMaxSteps: 2, mStepEvalEvery: 1,
  evalK: 1, trainEvalProblems: 2, quiet: true, generatorRetries: 1, generatorConcurrency: 2,
} as const;
const started: FakeServer[] = [];
after(async () => { for (const f of started) await f.kill(); });
const fake = async (...flags: string[]) => { const f = await startFake(lm, ...flags); started.push(f); return f; };
const samples = (out: string, i: number) => readJsonl(join(out, 'samples', `iter${i}__e-step.jsonl`)).map((r) => r.value);

test('two servers, one killed mid-run: the same E-step samples, kept counts and figures as the in-process run', async () => {
  const [a, b] = [await fake(), await fake('--hang-after', '6')];
  const out = join(root, 'remote'), local = join(root, 'local');
  const run = runRestEmJob({ ...tiny, out, generator: `${a.url},${b.url}` });
  await Promise.race([b.waitFor('hanging'), run.then(() => { throw new Error('the run ended before the server hung'); })]);
  await b.kill();
  const r = await run;
  const l = await runRestEmJob({ ...tiny, out: local });
  assert.deepEqual(r.rows, l.rows);
  assert.ok(r.rows.slice(1).every((x) => x.kept !== null && x.kept > 0), 'some samples were kept');
  for (const i of [1, 2]) assert.deepEqual(samples(out, i), samples(local, i));
  await a.settle();
  assert.deepEqual(a.lines.filter((x) => x.startsWith('loaded ')), ['iter0', 'iter1', 'iter2'].map((n) => `loaded load_model ${join(out, 'checkpoints', n)}`));
});

test('eval --generator: the graded completions equal the in-process ones, and nothing is pushed', async () => {
  const f = await fake();
  const base = { model: lm, task: qa, matcher: 'regex', split: 'train', k: 1, n: 2, maxNewTokens: 3, quiet: true } as const;
  await runEvalJob({ ...base, out: join(root, 'eval-remote'), generator: f.url });
  await runEvalJob({ ...base, out: join(root, 'eval-local') });
  const rows = (d: string) => readFileSync(join(root, d, 'generations.jsonl'), 'utf8');
  assert.equal(rows('eval-remote'), rows('eval-local'));
  await f.settle();
  assert.ok(f.served().length > 0 && !f.lines.some((x) => x.startsWith('loaded ')));
});
