// The online jobs as library calls (job-inputs.ts, job-run.ts): what readOnlineSetup builds from
// a task and a reward model, and what runRlooJob returns, again on a resume of a finished run.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { addScalarHead, defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer, loadTokenizer } from '../../tokenizer/index.js';
import { foreignDir } from '../../tokenizer/test-util.test.js';
import { runRlooJob } from '../rloo/job.js';
import { noJudge } from '../judge/options.js';
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
  model: lm, task: undefined, taskOpts: '', matcher: undefined, verifier: undefined, rewardFn: [], rewardModel: undefined, rmWeight: 1, prompts: undefined, chatTemplateKwargs: {}, ...noJudge, judgeWeight: 1, frozenDtype: 'keep', ...o,
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

// Reward modules and a verifier module over the rows of a prompt file (issue 16): TRL's
// reward_funcs, with weights, seeing each row's other fields.
const rows = join(dir, 'rows.jsonl'), lengthFn = join(dir, 'length.mjs'), answerFn = join(dir, 'answer.mjs'), startsWith = join(dir, 'starts.mjs');
before(() => {
  writeFileSync(rows, ['{"prompt":"2+2=","answer":4,"level":"easy"}', '{"prompt":"3+3=","answer":"6","level":"hard"}'].join('\n') + '\n');
  writeFileSync(lengthFn, 'export const reward = (prompt, completion) => completion.length;\n');
  writeFileSync(answerFn, 'export default (prompt, completion, row) => (row.level === "hard" ? 10 : 1) * (completion.includes(String(row.answer)) ? 1 : 0);\n');
  writeFileSync(startsWith, 'export function verify(problem, completion) { return completion.trim().startsWith(problem.answer) && problem.meta.level !== undefined; }\n');
});

const meta = (s: { prompts: { id: string }[] }, completions: string[], notes: unknown[] = []) => ({
  promptIds: s.prompts.map((p) => p.id), completionTokens: completions.map(() => []), finishReasons: completions.map(() => 'stop' as const), notes,
});

test('readOnlineSetup: reward modules with their weights and a verifier module grade the rows of a prompt file by their fields', async () => {
  const s = await readOnlineSetup(inputs({ prompts: rows, verifier: startsWith, rewardFn: [{ path: lengthFn, weight: 0.5 }, { path: answerFn, weight: 2 }] }), { name: 'grpo', seed: 0, batchSize: 8 });
  assert.deepEqual(s.prompts.map((p) => p.text), ['2+2=', '3+3=']);
  const notes: unknown[] = [];
  const r = await s.reward(['2+2=', '3+3='], [' 4', ' 66'], meta(s, [' 4', ' 66'], notes));
  // Row 1 (easy, answer 4): verifier 1 + 0.5·length 2 + 2·1; row 2 (hard, answer "6"): verifier 1 + 0.5·length 3 + 2·10.
  assert.deepEqual(r, [1 + 0.5 * 2 + 2 * 1, 1 + 0.5 * 3 + 2 * 10]);
  assert.deepEqual(Object.keys(notes[0] as object), ['verifier', `reward-fn:${lengthFn}`, `reward-fn:${answerFn}`]);
  assert.deepEqual(s.notes, [`reward: 1·verifier + 0.5·reward-fn:${lengthFn} + 2·reward-fn:${answerFn}`]);
  assert.deepEqual(s.sources.rewardFn, [{ path: lengthFn, weight: 0.5 }, { path: answerFn, weight: 2 }]);
  assert.deepEqual(await s.reward(['2+2='], ['5'], { ...meta(s, ['5']), promptIds: [s.prompts[0]!.id] }), [0 + 0.5 + 0]);
});

test("a reward module beside a task sees each problem's answer and meta; alone, one module of weight 1 is the reward itself", async () => {
  const s = await readOnlineSetup(inputs({ task: 'arithmetic', taskOpts: 'digits=1,trainSize=4,testSize=1', rewardFn: [{ path: answerFn, weight: 1 }] }), { name: 'rloo', seed: 3, batchSize: 8 });
  const p = s.prompts[0]!;
  const notes: unknown[] = [];
  await s.reward([p.text], ['x'], { promptIds: [p.id], completionTokens: [[]], finishReasons: ['stop'], notes });
  assert.deepEqual(Object.keys(notes[0] as object), ['verifier', `reward-fn:${answerFn}`]);
  assert.match(s.notes[0]!, /^task arithmetic: 4 training and 1 test problems/);
  const alone = await readOnlineSetup(inputs({ prompts: rows, rewardFn: [{ path: lengthFn, weight: 1 }] }), { name: 'rloo', seed: 0, batchSize: 8 });
  assert.deepEqual(await alone.reward(['2+2=', '3+3='], ['ab', 'abcd'], meta(alone, ['ab', 'abcd'])), [2, 4]);
  await assert.rejects(readOnlineSetup(inputs({ rewardFn: [{ path: lengthFn, weight: 1 }] }), { name: 'rloo', seed: 0, batchSize: 8 }), /prompts <file> is required with rewardFn alone/);
  await assert.rejects(readOnlineSetup(inputs({ prompts: rows, matcher: 'numeric', verifier: startsWith }), { name: 'ppo', seed: 0, batchSize: 8 }), /matcher grades the problems of a task file/);
});

test('--reward-fn takes a.mjs,0.5*b.mjs on the command line and a list in a config file', async () => {
  const { grpoCommand } = await import('../../cli/commands/online/grpo.js');
  const base = ['--model', lm, '--prompts', rows];
  assert.deepEqual(grpoCommand.resolve([...base, '--reward-fn', 'a.mjs,0.5*b.mjs, -2e-1*c.mjs'])!.values.rewardFn,
    [{ path: 'a.mjs', weight: 1 }, { path: 'b.mjs', weight: 0.5 }, { path: 'c.mjs', weight: -0.2 }]);
  const yaml = join(dir, 'grpo.yaml');
  writeFileSync(yaml, 'reward_funcs:\n  - a.mjs\n  - path: b.mjs\n    weight: 3\n');
  assert.deepEqual(grpoCommand.resolve([...base, '--config', yaml])!.values.rewardFn, [{ path: 'a.mjs', weight: 1 }, { path: 'b.mjs', weight: 3 }]);
  assert.throws(() => grpoCommand.resolve([...base, '--reward-fn', '1e999*a.mjs']), /--reward-fn 1e999\*a\.mjs: expected a module path, or several as a\.mjs,0\.5\*b\.mjs$/);
  assert.throws(() => grpoCommand.resolve(['--model', lm]), /give --task .*--verifier .*--reward-fn .*or --reward-model/);
});

test('--verifier and --reward-fn train every online trainer, and the run records them', async () => {
  const { runGrpoJob } = await import('../grpo/job.js'), { runPpoJob } = await import('../ppo/job.js');
  const common = { model: lm, prompts: rows, verifier: startsWith, rewardFn: `${lengthFn},2*${answerFn}` as never, steps: 1, promptsPerStep: 2, maxNewTokens: 3, saveEvery: 0, quiet: true };
  for (const [name, run] of [['ppo', runPpoJob], ['grpo', runGrpoJob], ['rloo', runRlooJob]] as const) {
    const out = join(dir, `verifier-${name}`);
    const r = await (run as typeof runRlooJob)({ ...common, ...(name === 'ppo' ? {} : { samplesPerPrompt: 2 }), out });
    assert.equal(r.step, 1, name);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([cfg['verifier'], cfg['rewardFn']], [startsWith, [{ path: lengthFn, weight: 1 }, { path: answerFn, weight: 2 }]], name);
    const rec = JSON.parse(readFileSync(join(out, 'samples', 'step-1.jsonl'), 'utf8').split('\n')[0]!) as { verifier: Record<string, { weight: number }> };
    assert.deepEqual(Object.keys(rec.verifier), ['verifier', `reward-fn:${lengthFn}`, `reward-fn:${answerFn}`], `${name}: why each sample got its reward`);
  }
});
