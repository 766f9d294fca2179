// Every command that takes an LLM judge, run against a fake OpenAI-compatible judge
// (test/fixtures/fake-openai-server.ts) that answers by a rule, and answers garbage for one
// prompt: the rewards are the rule's scores, the garbage prompt's samples are left out of
// training and recorded in judge-failures.jsonl with the raw answers, and a run sharing the cache
// asks nothing it already asked.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeServer, type FakeServer } from '../../../test/fixtures/fake-openai-server.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { readJsonl } from '../../io/jsonl.js';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer, CharTokenizer } from '../../tokenizer/index.js';
import { runExportDataJob } from '../export-data/job.js';
import { runGrpoJob } from '../grpo/job.js';
import { runOnlineDpoJob } from '../online-dpo/job.js';
import { runPpoJob } from '../ppo/job.js';
import { runRestJob } from '../rest/job.js';
import { runRlooJob } from '../rloo/job.js';

const root = tempDir('judge-jobs-');
const lm = join(root, 'lm'), prompts = join(root, 'prompts.jsonl');
const scoreT = join(root, 'score.txt'), pairT = join(root, 'pair.txt');
let srv: FakeServer;

/** Scores a completion by its length (capped at 10); prefers the longer of two; garbage for the prompt "broken". */
function rule(content: string): string {
  if (content.includes('Q: broken')) return 'As a language model I cannot rate this.';
  const parts = [...content.matchAll(/\[\[BEGIN\]\]([\s\S]*?)\[\[END\]\]/g)].map((m) => m[1]!);
  if (parts.length === 1) return `Reasoning...\nScore: ${Math.min(10, parts[0]!.length)}`;
  return parts[0]!.length >= parts[1]!.length ? 'Winner: A' : 'Winner: B';
}

before(async () => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 1), { tokenizer: tok });
  writeFileSync(prompts, ['hello', 'broken', 'good day'].map((p) => JSON.stringify({ prompt: p })).join('\n') + '\n');
  writeFileSync(scoreT, 'Q: {prompt}\n[[BEGIN]]{completion}[[END]]\nRate it 0-10 as "Score: N".\n');
  writeFileSync(pairT, 'Q: {prompt}\nA: [[BEGIN]]{completion_a}[[END]]\nB: [[BEGIN]]{completion_b}[[END]]\nWhich is better? "Winner: A" or "Winner: B".\n');
  srv = await startFakeServer({ answer: rule });
});
after(async () => { await srv.close(); });

const judge = (mode: 'score' | 'pair' = 'score') => ({ judge: srv.url, judgeTemplate: mode === 'score' ? scoreT : pairT, judgeMode: mode, judgeRetries: 1 });
const online = { model: lm, prompts, steps: 2, promptsPerStep: 3, maxNewTokens: 5, saveEvery: 1, quiet: true } as const;
const records = (out: string, step: number) => readJsonl(join(out, 'samples', `step-${step}.jsonl`)).map((r) => r.value as Record<string, unknown>);
const failures = (out: string) => readFileSync(join(out, 'judge-failures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fields: Record<string, string>; tries: { answer: string }[] });
const lengthReward = (s: string) => Math.min(10, s.length) / 10;

test('grpo, rloo and ppo take the judge as their reward: rule scores, the unparseable prompt left out and recorded', async () => {
  for (const [name, run, perPrompt] of [['grpo', runGrpoJob, 2], ['rloo', runRlooJob, 2], ['ppo', runPpoJob, 1]] as const) {
    const out = join(root, name);
    const res = await (run as typeof runGrpoJob)({ ...online, ...judge(), samplesPerPrompt: perPrompt, out });
    assert.equal(res.step, 2, name);
    for (const step of [1, 2]) {
      const rec = records(out, step);
      assert.equal(rec.length, 2 * perPrompt, `${name} step ${step}: the two judged prompts' samples only`);
      assert.ok(rec.every((r) => r['prompt'] !== 'broken'), name);
      for (const r of rec) assert.equal(r['rawReward'], lengthReward(r['sample'] as string), `${name}: the reward is the judge's score / 10`);
    }
    const f = failures(out);
    assert.equal(f.length, 2 * perPrompt, `${name}: each step's broken samples, once each`);
    assert.ok(f.every((x) => x.fields['prompt'] === 'broken' && x.tries.length === 2 && x.tries[0]!.answer.startsWith('As a language model')), name);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { judge: Record<string, unknown> };
    assert.equal(cfg.judge['url'], srv.url);
    assert.equal(JSON.stringify(cfg).includes('apiKey'), false);
  }
});

test('a run over the same cache asks only what failed before; the result is the same', async () => {
  const before = srv.requests;
  const out = join(root, 'grpo-again');
  await runGrpoJob({ ...online, ...judge(), samplesPerPrompt: 2, out, judgeCache: join(root, 'grpo', 'judge') });
  assert.equal(srv.requests - before, 4 * 2, 'only the 4 broken samples, each asked 1 + 1 times');
  assert.deepEqual(records(out, 2).map((r) => r['reward']), records(join(root, 'grpo'), 2).map((r) => r['reward']));
});

test('online-dpo takes a judge URL: pair and score modes order the pairs, the broken prompt is left out', async () => {
  for (const mode of ['pair', 'score'] as const) {
    const out = join(root, `odpo-${mode}`);
    await runOnlineDpoJob({ ...online, ...judge(mode), out });
    const rec = records(out, 1);
    assert.equal(rec.length, 4, mode);
    for (let i = 0; i < 4; i += 2) {
      const [a, b] = [rec[i]!, rec[i + 1]!];
      assert.equal(b['chosen'], (b['sample'] as string).length > (a['sample'] as string).length, `${mode}: the longer wins, a tie goes to the first`);
    }
    assert.equal(failures(out).length, mode === 'pair' ? 2 : 4);
  }
});

test('rest takes the judge as a --reward term: Grow records carry its scores, unscored samples are left out', async () => {
  const tok = CharTokenizer.fromCorpus('abq:0123456789\n');
  const clm = join(root, 'clm'), qa = join(root, 'qa.jsonl');
  saveModelDir(clm, new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 16, initStd: 0.3 }), undefined, 4), { tokenizer: tok });
  // Prompts q0 … q15; the judge cannot answer about the odd ones.
  writeFileSync(qa, Array.from({ length: 16 }, (_, i) => JSON.stringify({ prompt: i % 2 ? `broken${i}:` : `q${i}:`, answer: 'aaa', reference: 'aaa' })).join('\n') + '\n');
  writeFileSync(join(root, 'rest.txt'), 'Q: {prompt}\nreference {reference}\n[[BEGIN]]{completion}[[END]]\n');
  const out = join(root, 'rest');
  await runRestJob({
    model: clm, task: qa, taskOpts: 'testFraction=0.25', reward: 'judge', original: 2, growSteps: 1, improveSteps: 1, samplesPerPrompt: 2, maxNewTokens: 4,
    validationProblems: 2, schedule: { kind: 'percentile', percentiles: [50] }, improveMaxSteps: 2, evalEvery: 1, batchSize: 4, quiet: true, out,
    judge: srv.url, judgeTemplate: join(root, 'rest.txt'), judgeRetries: 0,
  });
  const recs = readJsonl(join(out, 'samples', 'grow1.jsonl')).map((r) => r.value as Record<string, unknown>);
  assert.ok(recs.length > 0);
  assert.ok(recs.every((r) => !(r['prompt'] as string).startsWith('broken')), 'no unscored sample in the Grow set');
  for (const r of recs) assert.equal(r['rawReward'], lengthReward(r['sample'] as string));
  const f = failures(out);
  assert.ok(f.length > 0 && f.every((x) => x.fields['prompt']!.startsWith('broken') && x.fields['reference'] === 'aaa'));
  // The run's kept Grow samples (its one Improve step's filter) as TRL's SFT rows.
  const kept = recs.filter((r) => (r['kept'] as Record<string, boolean>)['improve1']);
  assert.equal((await runExportDataJob({ run: out, format: 'trl-sft', out: join(root, 'rest-kept.jsonl') })).rows, kept.length);
  assert.deepEqual(readJsonl(join(root, 'rest-kept.jsonl')).map((r) => r.value), kept.map((r) => ({ prompt: r['prompt'], completion: r['sample'] })));
  await assert.rejects(runRestJob({ model: clm, task: qa, reward: 'per', judge: srv.url, judgeTemplate: scoreT, out: join(root, 'never') }), /judge .* is given, but neither reward nor monitor has a judge term/);
  await assert.rejects(runRestJob({ model: clm, task: qa, reward: 'judge', out: join(root, 'never') }), /the judge term needs --judge/);
  assert.equal(existsSync(join(root, 'never')), false);
});
