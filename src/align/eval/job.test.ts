// `alignkit eval` in each of its modes (issue 16: there was no way to evaluate a trained policy).
// The task mode's figures are recomputed from the generations it writes, with pass@k from its
// binomial definition (Chen et al. 2021) rather than the product form pass-at-k.ts uses, and a
// reward model's scores are checked against the scores of the written completions.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { readJsonl } from '../../io/jsonl.js';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { scoreTexts } from '../reward/reward-model.js';
import { evalCommand } from '../../cli/commands/tools/eval.js';
import { runEvalJob } from './job.js';
import type { GenerationScores } from './generations.js';

const root = tempDir('alignkit-eval-job-');
const tok = new ByteTokenizer();
const lm = join(root, 'lm'), rm = join(root, 'rm');
const model = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 3);
saveModelDir(lm, model, { tokenizer: tok });
addScalarHead(model, 'score');
saveModelDir(rm, model, { tokenizer: tok });

// A verifier that accepts a completion whose first character has an even code, and reads that
// character as the answer, so that maj@k has something to vote on.
const qa = join(root, 'qa.jsonl'), even = join(root, 'even.mjs'), prompts = join(root, 'prompts.jsonl');
writeFileSync(qa, Array.from({ length: 24 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: String.fromCharCode(98 + 2 * (i % 3)) })).join('\n') + '\n');
writeFileSync(even, 'export function verify(p, c) { const ok = c.length > 0 && c.charCodeAt(0) % 2 === 0; return { correct: ok, reward: ok ? 1 : 0.25, extracted: c.slice(0, 1) || null }; }\n');
writeFileSync(prompts, ['{"prompt":"hello"}', '{"prompt":"how are you"}', '{"prompt":"tell me"}'].join('\n') + '\n');

interface Gen { promptId: string; text: string; kind: 'greedy' | 'sample'; verdict?: { correct: boolean; reward: number; extracted?: string | null }; rmScore?: number }
const gens = (r: GenerationScores) => readJsonl(r.generations).map((x) => x.value as Gen);

/** 1 − C(n−c, k) / C(n, k) with exact binomials. */
function passAtKByBinomials(n: number, c: number, k: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 1; i <= b; i++) r = (r * BigInt(a - b + i)) / BigInt(i);
    return r;
  };
  return 1 - Number(choose(n - c, k)) / Number(choose(n, k));
}

test('eval --task: greedy pass@1, pass@k, maj@k and mean reward agree with the generations it writes', async () => {
  const out = join(root, 'task');
  const r = await runEvalJob({ model: lm, task: qa, verifier: even, taskOpts: 'testFraction=0.5', k: 3, n: 5, maxNewTokens: 4, out }) as GenerationScores;
  const all = gens(r), greedy = all.filter((g) => g.kind === 'greedy'), samples = all.filter((g) => g.kind === 'sample');
  assert.equal(r.mode, 'task');
  assert.ok(r.problems >= 6, `${r.problems} test problems`);
  assert.deepEqual([greedy.length, samples.length], [r.problems, 5 * r.problems]);
  assert.equal(r.pass1, greedy.filter((g) => g.verdict!.correct).length / r.problems);
  assert.equal(r.meanReward, greedy.reduce((s, g) => s + g.verdict!.reward, 0) / r.problems);
  const task = readFileSync(qa, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; answer: string });
  let pk = 0, maj = 0;
  for (let i = 0; i < r.problems; i++) {
    const mine = samples.slice(5 * i, 5 * i + 5);
    assert.ok(mine.every((m) => m.promptId === greedy[i]!.promptId), 'samples follow their problem');
    pk += passAtKByBinomials(5, mine.filter((m) => m.verdict!.correct).length, 3);
    // The most frequent answer of the first k samples; of answers that tie, the one seen first.
    const answers = mine.slice(0, 3).map((m) => m.verdict!.extracted).filter((a): a is string => !!a);
    const count = (a: string) => answers.filter((b) => b === a).length;
    const vote = answers.find((a) => answers.every((b) => count(b) <= count(a))) ?? null;
    const gold = task[Number(mine[0]!.promptId.split(':')[1]) - 1]!.answer;
    if (vote === gold) maj++;
  }
  assert.ok(Math.abs(r.passAtK! - pk / r.problems) < 1e-12, `${r.passAtK} vs ${pk / r.problems}`);
  assert.equal(r.majAtK, maj / r.problems);
  assert.deepEqual(JSON.parse(readFileSync(r.scores, 'utf8')), r);
  const again = await runEvalJob({ model: lm, task: qa, verifier: even, taskOpts: 'testFraction=0.5', k: 3, n: 5, maxNewTokens: 4, out: join(root, 'task2') }) as GenerationScores;
  assert.deepEqual({ ...again, generations: '', scores: '' }, { ...r, generations: '', scores: '' }, 'the same seed, the same figures');
});

test('eval --task --reward-model also scores the completions; --split train and --limit choose the problems', async () => {
  const r = await runEvalJob({ model: lm, task: qa, verifier: even, rewardModel: rm, split: 'train', limit: 4, k: 0, maxNewTokens: 3, out: join(root, 'task-rm') }) as GenerationScores;
  assert.deepEqual([r.problems, r.k, r.n, r.passAtK, r.majAtK, r.rmSampledScore], [4, 0, 0, null, null, null]);
  const g = gens(r);
  assert.equal(g.length, 4);
  const { model: rmModel, tokenizer } = loadModelDir(rm);
  const problems = readFileSync(qa, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { prompt: string }).prompt);
  const prompt = (id: string) => problems[Number(id.split(':')[1]) - 1]!;
  const rescored = scoreTexts(rmModel, tokenizer!, g.map((x) => prompt(x.promptId)), g.map((x) => x.text));
  assert.deepEqual(g.map((x) => x.rmScore), rescored);
  assert.ok(Math.abs(r.rmScore! - rescored.reduce((a, b) => a + b, 0) / 4) < 1e-12);
});

test('eval --reward-model --prompts scores greedy completions and n samples of held-out prompts', async () => {
  const r = await runEvalJob({ model: lm, rewardModel: rm, prompts, n: 2, maxNewTokens: 3, out: join(root, 'rm') }) as GenerationScores;
  assert.deepEqual([r.mode, r.problems, r.pass1, r.meanReward], ['reward-model', 3, null, null]);
  const g = gens(r);
  assert.deepEqual([g.filter((x) => x.kind === 'greedy').length, g.filter((x) => x.kind === 'sample').length], [3, 6]);
  assert.ok(g.every((x) => typeof x.rmScore === 'number' && x.verdict === undefined));
  assert.ok(Math.abs(r.rmSampledScore! - g.filter((x) => x.kind === 'sample').reduce((s, x) => s + x.rmScore!, 0) / 6) < 1e-12);
});

test('the inputs choose the mode; inputs of two modes, or of none, are refused by name', async () => {
  const text = join(root, 'text.jsonl');
  writeFileSync(text, Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `some words, line ${i}` })).join('\n') + '\n');
  const p = await runEvalJob({ model: lm, data: text, all: true, seqLen: 8 });
  assert.equal(p.mode, 'perplexity');
  await assert.rejects(runEvalJob({ model: lm }), /give corpus or data \(perplexity\), task \(pass@k on its problems\) or rewardModel with prompts/);
  await assert.rejects(runEvalJob({ model: lm, data: text, task: qa }), /data is for perplexity and task for generations/);
  await assert.rejects(runEvalJob({ model: lm, rewardModel: rm }), /rewardModel without task needs prompts/);
  await assert.rejects(runEvalJob({ model: lm, task: qa, prompts }), /prompts is for rewardModel alone/);
  await assert.rejects(runEvalJob({ model: lm, task: qa, k: 4, n: 2 }), /k = 4 exceeds n = 2/);
  await assert.rejects(runEvalJob({ model: lm, task: 'arithmetic', taskOpts: 'digits=1,trainSize=4,testSize=0', out: join(root, 'none') }), /no test problems to evaluate \(give --test-data, or --split train\)/);
  const printed: string[] = [], log = console.log;
  console.log = (s: string) => { printed.push(s); };
  try {
    assert.equal(await evalCommand.run(['--model', lm, '--task', qa, '--verifier', even, '--k', '2', '--max-new-tokens', '3', '--out', join(root, 'cli'), '--quiet']), 0);
  } finally {
    console.log = log;
  }
  assert.match(printed[0]!, /^eval: .*qa\.jsonl, \d+ problems: pass@1 \d+\.\d%, pass@2 \d+\.\d% \(n 4\), maj@2 \d+\.\d%, mean reward \d\.\d{4}; every completion in .*generations\.jsonl$/);
});
