// The online jobs as library calls (job-inputs.ts, job-run.ts): what readOnlineSetup builds from
// a task and a reward model, and what runRlooJob returns, again on a resume of a finished run.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { addScalarHead, defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer, loadTokenizer } from '../../tokenizer/index.js';
import { foreignDir } from '../../tokenizer/test-util.test.js';
import { runRlooJob } from '../rloo/job.js';
import { readOnlineSetup, readPrompts, type OnlineInputs } from './job-inputs.js';
import { sampleRollouts, scoreRollouts } from './rollout.js';

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

test("readPrompts: a chat prompt is rendered with the policy tokenizer's template and sampled after its control tokens", async () => {
  const tok = loadTokenizer(foreignDir());
  const file = join(dir, 'chat-prompts.jsonl');
  writeFileSync(file, ['{"prompt":"plain <|im_end|> text"}', '{"prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"Who is Ahab?"}]}'].join('\n') + '\n');
  const [plain, chat] = await readPrompts(file, tok);
  assert.deepEqual(plain, { id: 'chat-prompts.jsonl:1', text: 'plain <|im_end|> text' });
  assert.deepEqual(chat, { id: 'chat-prompts.jsonl:2', text: '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWho is Ahab?<|im_end|>\n<|im_start|>assistant\n', chat: true });
  const policy = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 96 }), undefined, 4);
  const seen: (readonly boolean[] | undefined)[] = [];
  const r = sampleRollouts({ policy, reference: policy, tokenizer: tok, prompts: [plain!, chat!], n: 1, seed: 1, sampling: { temperature: 1, topK: 0, maxNewTokens: 3, stopTokens: [tok.eos!], batchSize: 2 } });
  await scoreRollouts(r, async (p, _c, meta) => { seen.push(meta.chatPrompts); return p.map(() => 0); }, 0);
  const imEnd = tok.tokenId('<|im_end|>')!;
  assert.ok(!r.prompts[0]!.includes(imEnd), 'plain text keeps its "<|im_end|>" as text');
  assert.equal(r.prompts[1]![0], tok.tokenId('<|im_start|>'), 'the template\'s tokens are control tokens');
  assert.deepEqual(seen, [[false, true]], 'the reward function is told which prompts are chat renders');
});
