// The online jobs as library calls (job-inputs.ts, job-run.ts): what readOnlineSetup builds from
// a task and a reward model, and what runRlooJob returns, again on a resume of a finished run.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { addScalarHead, defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { runRlooJob } from '../rloo/job.js';
import { readOnlineSetup, type OnlineInputs } from './job-inputs.js';

const dir = tempDir('alignkit-online-job-');
const lm = join(dir, 'lm'), rm = join(dir, 'rm'), prompts = join(dir, 'prompts.jsonl');

before(() => {
  const tok = new ByteTokenizer();
  const model = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 2);
  saveModelDir(lm, model, { tokenizer: tok });
  addScalarHead(model, 'score');
  saveModelDir(rm, model, { tokenizer: tok });
  writeFileSync(prompts, ['{"prompt":"one"}', '{"prompt":"two"}', '{"prompt":"three"}'].join('\n') + '\n');
});

const inputs = (o: Partial<OnlineInputs>): OnlineInputs => ({
  model: lm, task: undefined, taskOpts: '', matcher: undefined, verifier: undefined, rewardModel: undefined, rmWeight: 1, prompts: undefined, chatTemplateKwargs: {}, ...o,
});

test('readOnlineSetup: a task brings its prompts and its verifier, a reward model joins it at its weight', async () => {
  const s = await readOnlineSetup(inputs({ task: 'arithmetic', taskOpts: 'digits=1,trainSize=4,testSize=1', rewardModel: rm, rmWeight: 0.5 }), { name: 'grpo', seed: 3, batchSize: 8 });
  assert.equal(s.prompts.length, 4, "the task's four training problems");
  assert.ok(s.rewardModel?.params.has('score.weight'));
  const notes: unknown[] = [];
  const completion = ' 7';
  await s.reward([s.prompts[0]!.text], [completion], { promptIds: [s.prompts[0]!.id], completionTokens: [s.tokenizer.encode(completion)], finishReasons: ['stop'], notes });
  const parts = notes[0] as Record<string, { weight: number }>;
  assert.deepEqual(Object.keys(parts).sort(), ['reward-model', 'verifier']);
  assert.deepEqual([parts['verifier']!.weight, parts['reward-model']!.weight], [1, 0.5]);
  assert.deepEqual(s.sources, { model: lm, task: 'arithmetic', taskOpts: 'digits=1,trainSize=4,testSize=1', matcher: null, verifier: null, rewardModel: rm, rmWeight: 0.5, prompts: null });
  await assert.rejects(readOnlineSetup(inputs({ rewardModel: rm }), { name: 'rloo', seed: 0, batchSize: 8 }), /rloo config: prompts <file> is required with rewardModel alone/);
});

test('runRlooJob: the policy in <out>/model, a headline of the last step, and the same result from a resume of the finished run', async () => {
  const out = join(dir, 'rloo');
  const options = { model: lm, rewardModel: rm, prompts, steps: 2, promptsPerStep: 2, samplesPerPrompt: 2, maxNewTokens: 3, saveEvery: 0, quiet: true, out };
  const lines: string[] = [];
  const r = await runRlooJob(options, { log: (s) => lines.push(s) });
  assert.deepEqual([r.out, r.model, r.step, r.prompts], [out, join(out, 'model'), 2, 3]);
  assert.deepEqual(Object.keys(r.last ?? {}).sort(), ['kl', 'score']);
  assert.match(lines.join('\n'), /3 prompts, policy .*lm .*reward .*rm/);
  const again: string[] = [];
  assert.deepEqual(await runRlooJob({ ...options, resume: true }, { log: (s) => again.push(s) }), r);
  assert.match(again[0]!, /resuming .* \(done: step-2, final\/step-2\)/);
});
