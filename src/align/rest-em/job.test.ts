// runRestEmJob end to end on a tiny model: a user's task file graded by a matcher or by a
// verifier module alone, the built-in program task, the output layout (the last policy in
// <out>/model), a resume that adds iterations, and inputs refused before anything is written
// (--language beside a matcher, on a built-in task, or on records of another language).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { readJsonl } from '../../io/jsonl.js';
import type { SampleRecord } from '../../runs/run-store.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { runRestEmJob } from './job.js';

const root = tempDir('rest-em-job-');
const tok = new ByteTokenizer();
const modelAt = (dir: string, maxSeqLen = 32, seed = 1) => {
  saveModelDir(dir, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen }), undefined, seed), { tokenizer: tok });
  return dir;
};
const lm = modelAt(join(root, 'lm'));
// With the regex matcher the answer "." accepts any completion with a character on its first
// line; the exact matcher would accept none, so accepted samples show which grader ran.
const qa = join(root, 'qa.jsonl');
writeFileSync(qa, Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: '.' })).join('\n') + '\n');
const tiny = {
  model: lm, iterations: 2, samplesPerProblem: 2, cap: 1, maxNewTokens: 3, validationProblems: 2, mStepMaxSteps: 2, mStepEvalEvery: 1,
  evalK: 1, trainEvalProblems: 2, quiet: true,
} as const;

const samplesOf = (out: string, i: number) => readJsonl(join(out, 'samples', `iter${i}__e-step.jsonl`)).map((r) => r.value as SampleRecord);
const weights = (dir: string) => [...loadModelDir(dir, { tokenizer: false }).model.params].map(([k, w]) => [k, [...w.f32]]);
const state = (out: string) => (JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')) as { completed: { stage: string }[] }).completed.map((c) => c.stage);

test('a task file graded by --matcher: E-step samples carry its verdicts, and the last policy lands in <out>/model beside the run files', async () => {
  const out = join(root, 'matcher');
  const r = await runRestEmJob({ ...tiny, task: qa, matcher: 'regex', out });
  assert.deepEqual(r.rows.map((x) => x.iteration), [0, 1, 2]);
  const samples = samplesOf(out, 1);
  assert.ok(samples.some((s) => (s.verifier as { correct: boolean }).correct), 'the regex matcher accepted some samples');
  assert.ok(samples.filter((s) => s.kept).every((s) => (s.verifier as { correct: boolean }).correct));
  assert.equal(r.model, join(out, 'model'));
  assert.equal(r.policy, 'iter2');
  for (const f of ['config.json', 'state.json', 'metrics.jsonl', 'samples', 'checkpoints/iter2', 'model/model.safetensors', 'model/tokenizer.json']) assert.ok(existsSync(join(out, f)), f);
  assert.deepEqual(weights(join(out, 'model')), weights(join(out, 'checkpoints', 'iter2')), '<out>/model is the last iteration\'s policy');
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config['evalN'], 2, 'evalN is 2k unless given');
  assert.deepEqual(config['mStep'], { lr: 1e-3 });
  assert.equal(config['matcher'], 'regex');
});

test('a resume with more iterations continues the run and moves <out>/model to the new last policy', async () => {
  const whole = await runRestEmJob({ ...tiny, task: qa, matcher: 'regex', out: join(root, 'whole') });
  const out = join(root, 'resumed');
  const first = await runRestEmJob({ ...tiny, iterations: 1, task: qa, matcher: 'regex', out });
  assert.equal(first.policy, 'iter1');
  assert.deepEqual(weights(join(out, 'model')), weights(join(out, 'checkpoints', 'iter1')));
  const second = await runRestEmJob({ ...tiny, task: qa, matcher: 'regex', out, resume: true });
  assert.deepEqual(second.rows, whole.rows, 'the resumed run ends where an unbroken one ends');
  assert.deepEqual(weights(join(out, 'model')), weights(join(out, 'checkpoints', 'iter2')));
  assert.deepEqual(state(out).filter((s) => s.startsWith('final/')), ['final/iter1', 'final/iter2']);
});

test('--verifier without --matcher grades a task file by the module alone', async () => {
  const mod = join(root, 'even.mjs');
  writeFileSync(mod, 'export function verify(_problem, completion) { return completion.length > 0 && completion.charCodeAt(0) % 2 === 0; }\n');
  const out = join(root, 'verifier');
  await runRestEmJob({ ...tiny, iterations: 1, task: qa, taskOpts: 'testFraction=0.25', verifier: mod, out });
  const samples = samplesOf(out, 1);
  // The test quarter is fixed by a hash of each prompt: q3, q5, q7 and q10 (data/split-dataset.test.ts).
  assert.equal(samples.length, 6 * 2, '12 problems less 4 for test and 2 for validation, 2 samples each');
  for (const s of samples) assert.equal((s.verifier as { correct: boolean }).correct, s.sample.length > 0 && s.sample.charCodeAt(0) % 2 === 0, JSON.stringify(s.sample));
});

test('the built-in program task starts (the run seed reaches it as context, not as a task option)', async () => {
  const out = join(root, 'program');
  const r = await runRestEmJob({ model: modelAt(join(root, 'lm-program'), 128), task: 'program', out, iterations: 1, samplesPerProblem: 1, maxNewTokens: 2, validationProblems: 2, trainEvalProblems: 2, evalK: 0, mStepMaxSteps: 1, quiet: true });
  assert.deepEqual(r.rows.map((x) => x.iteration), [0, 1]);
  assert.equal(samplesOf(out, 1).length, 23, "the program task's 25 training problems less 2 for validation");
});

test('bad inputs are refused before the run directory is written', async () => {
  const other = join(root, 'other');
  saveModelDir(other, new Transformer(defaultConfig('gpt2', { vocabSize: 20, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1));
  const out = join(root, 'refused');
  await assert.rejects(runRestEmJob({ ...tiny, task: qa, policy: other, out }), /--policy .*other: vocabulary of 20 ids, but --model has \d+/);
  await assert.rejects(runRestEmJob({ ...tiny, task: 'arithmetic', matcher: 'numeric', out }), /--matcher grades the problems of a task file/);
  await assert.rejects(runRestEmJob({ ...tiny, task: qa, evalK: 3, evalN: 2, out }), /evalK = 3 exceeds evalN = 2/);
  assert.equal(existsSync(out), false);
});

test('--test-data gives rest-em its test problems, and the job says how many problems it trains and tests on', async () => {
  const held = join(root, 'qa-test.jsonl'), out = join(root, 'test-data'), lines: string[] = [];
  writeFileSync(held, ['{"prompt": "t1:", "answer": "."}', '{"prompt": "t2:", "answer": "."}'].join('\n') + '\n');
  await runRestEmJob({ ...tiny, iterations: 1, task: qa, matcher: 'regex', testData: held, out }, { log: (s) => lines.push(s) });
  assert.ok(lines.includes(`task qa: 12 training and 2 test problems (user task from ${qa}, graded by regex; test problems from ${held})`), lines.join('\n'));
  assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>)['testData'], held);
});

test('--language reads a file of programming problems; beside a matcher, or on a built-in task, it is refused before anything is written', async () => {
  const out = join(root, 'language-refused');
  const js = join(root, 'js-problems.jsonl');
  writeFileSync(js, `${JSON.stringify({ prompt: '// one()\n', tests: ['assert.equal(one(), 1)'], entry_point: 'one' })}\n`);
  await assert.rejects(runRestEmJob({ ...tiny, task: js, language: 'javascript', matcher: 'exact', out }), /--language javascript grades problems by running their tests; give it without --matcher/);
  await assert.rejects(runRestEmJob({ ...tiny, task: 'program', language: 'python', out }), /--language python reads a task file/);
  const io = join(root, 'io-problems.jsonl');
  writeFileSync(io, `${JSON.stringify({ prompt: 'Print 1.', inputs: [''], outputs: ['1'] })}\n`);
  await assert.rejects(runRestEmJob({ ...tiny, task: io, language: 'javascript', out }), /io-problems\.jsonl:1: field "inputs": stdin\/stdout cases are for --language python/);
  assert.equal(existsSync(out), false);
});
