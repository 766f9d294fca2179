// runRestJob end to end on a tiny model: a task file with references as the original data, the
// output layout (the last Improve step's policy in <out>/model), the normalisation chosen from
// the reward, a resume that adds Grow steps, a verifier module without a matcher, and inputs
// refused before anything is written.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { CharTokenizer } from '../../tokenizer/index.js';
import { readJsonl } from '../../io/jsonl.js';
import type { SampleRecord } from '../../runs/run-store.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { runRestJob } from './job.js';

const root = tempDir('rest-job-');
const tok = CharTokenizer.fromCorpus('abq:0123456789\n');
const lm = join(root, 'lm');
saveModelDir(lm, new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 16, initStd: 0.3 }), undefined, 4), { tokenizer: tok });
// 16 problems: 4 held out for test (testFraction 0.25); of the 12 training ones the first 2 are
// the original data, 2 of the other 10 validate, 8 are Grow prompts.
const qa = join(root, 'qa.jsonl');
writeFileSync(qa, Array.from({ length: 16 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: 'aaa', reference: 'aaa' })).join('\n') + '\n');
const tiny = {
  model: lm, task: qa, taskOpts: 'testFraction=0.25', reward: 'chrf', original: 2, growSteps: 1, improveSteps: 2, samplesPerPrompt: 2,
  maxNewTokens: 4, validationProblems: 2, schedule: { kind: 'percentile', percentiles: [0, 50] }, improveMaxSteps: 2, evalEvery: 1, batchSize: 4, quiet: true,
} as const;

const weights = (dir: string) => [...loadModelDir(dir, { tokenizer: false }).model.params].map(([k, w]) => [k, [...w.f32]]);
const configOf = (out: string) => JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
const grown = (out: string, g: number) => readJsonl(join(out, 'samples', `grow${g}.jsonl`)).map((r) => r.value as SampleRecord);

test('a task file with references: Grow samples and the original data, and the last Improve step\'s policy in <out>/model', async () => {
  const out = join(root, 'run');
  const r = await runRestJob({ ...tiny, out });
  assert.deepEqual(r.rows.map((x) => [x.grow, x.improve]), [[0, 0], [1, 1], [1, 2]]);
  const recs = grown(out, 1);
  assert.equal(recs.filter((x) => x['source'] === 'policy').length, 8 * 2);
  assert.deepEqual(recs.filter((x) => x['source'] === 'data').map((x) => x.sample), ['aaa', 'aaa']);
  assert.equal(r.model, join(out, 'model'));
  assert.equal(r.policy, 'g1-i2');
  for (const f of ['config.json', 'state.json', 'metrics.jsonl', 'samples/grow1.jsonl', 'checkpoints/policy0', 'checkpoints/g1-i2', 'model/model.safetensors', 'model/tokenizer.json']) assert.ok(existsSync(join(out, f)), f);
  assert.deepEqual(weights(join(out, 'model')), weights(join(out, 'checkpoints', 'g1-i2')));
  const c = configOf(out);
  assert.equal(c['normalize'], 'clip', 'chrF is bounded: clipped, not squashed');
  assert.equal(c['includeOriginal'], true);
  assert.equal(c['batchSize'], 128, "ReST's decoding batch keeps its default; --batch-size is the Improve batch");
  assert.equal((c['improve'] as Record<string, unknown>)['batchSize'], 4);
  assert.equal((c['improve'] as Record<string, unknown>)['maxSteps'], 2);
});

test('a resume with more Grow steps continues the run and moves <out>/model to the new last policy', async () => {
  const out = join(root, 'resumed');
  await runRestJob({ ...tiny, out, normalize: 'minmax' });
  assert.equal(configOf(out)['normalize'], 'minmax', 'a given --normalize is kept');
  const r = await runRestJob({ ...tiny, out, normalize: 'minmax', growSteps: 2, resume: true });
  assert.equal(r.policy, 'g2-i2');
  assert.deepEqual(r.rows.map((x) => [x.grow, x.improve]), [[0, 0], [1, 1], [1, 2], [2, 1], [2, 2]]);
  assert.ok(grown(out, 2).filter((x) => x['source'] === 'policy').every((x) => x.policy === 'g1-i2'), 'Grow step 2 samples the last policy of Grow step 1');
  assert.deepEqual(weights(join(out, 'model')), weights(join(out, 'checkpoints', 'g2-i2')));
});

test('--verifier without --matcher scores a task file by the module alone', async () => {
  const mod = join(root, 'starts-with-a.mjs');
  writeFileSync(mod, "export function verify(_problem, completion) { return completion.startsWith('a'); }\n");
  const out = join(root, 'verifier');
  await runRestJob({ ...tiny, verifier: mod, reward: 'verifier', original: 0, improveSteps: 1, schedule: { kind: 'fixed', thresholds: [0.5] }, out });
  const recs = grown(out, 1);
  assert.ok(recs.length > 0 && recs.every((x) => x.reward === (x.sample.startsWith('a') ? 1 : 0)), 'the reward is the module\'s verdict');
  assert.equal(configOf(out)['includeOriginal'], false, 'no original data, none kept');
});

test('bad inputs are refused before the run directory is written', async () => {
  const out = join(root, 'refused');
  await assert.rejects(runRestJob({ ...tiny, original: 12, out }), /--original 12: expected an integer in \[0, 12\)/);
  await assert.rejects(runRestJob({ ...tiny, monitor: 'per+wer', out }), /^RangeError: --monitor term "wer": unknown reward "wer"/);
  await assert.rejects(runRestJob({ ...tiny, reward: 'bleu*2', out }), /--reward term "bleu\*2": unknown reward/);
  await assert.rejects(runRestJob({ ...tiny, improveSteps: 3, out }), /rest config: schedule percentile has 2 values \(0, 50\) for improveSteps = 3; give one per step/);
  await assert.rejects(runRestJob({ ...tiny, lr: 1e-4, minLr: 1e-3, out }), /minLr = 0\.001 is above lr = 0\.0001/);
  assert.equal(existsSync(out), false);
});
