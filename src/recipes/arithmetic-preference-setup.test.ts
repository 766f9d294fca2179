// The arithmetic preference setup of `alignkit demo ser --setup arithmetic`: the base is the ReST-EM
// demo's own seed SFT model (the same weights, bit for bit), pairs differ in their final answer, the
// annotator's score puts correctness first and the shorter scratchpad second, and a resumed store
// reloads the base and every labelled pair.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelDir, scoreTokens } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { tempDir } from '../io/temp-dir.test.js';
import { runRestEmDemo, tinyRestEmDemo } from './rest-em.js';
import {
  asPreference, buildArithmeticPreferenceSetup, decisiveArithmeticPairs, defaultArithmeticPreferenceSetup, judgeSolution, likelihoodAgreement, oneCorrectTestPairs, pairOf,
  type ArithmeticPairRecord, type ArithmeticPreferenceConfig,
} from './arithmetic-preference-setup.js';

const root = tempDir('alignkit-arith-setup-');
const tinyCfg = (seed: number): ArithmeticPreferenceConfig => ({
  ...defaultArithmeticPreferenceSetup, base: 'seed-sft', restEm: { ...tinyRestEmDemo(seed), restEm: { ...tinyRestEmDemo(seed).restEm, iterations: 1 } },
  poolProblems: 40, testProblems: 12, samplesPerProblem: 4, distinct: 'text',
});

test('judgeSolution: the correct solution first (+3), then the nearer answer (−0.5·log2(1 + distance), at most 99), then the shorter scratchpad (−0.05 a character)', () => {
  const p = { answer: '59' }, c = defaultArithmeticPreferenceSetup;
  const near = (x: number, y: number) => Math.abs(x - y) < 1e-12;
  const right = judgeSolution(c, p, '31 + 28 = 59\n#### 59');
  assert.equal(right.correct, true);
  assert.ok(near(right.score, 3 - 0.05 * 13));
  const offBy1 = judgeSolution(c, p, '31 + 28 = 58\n#### 58'), offBy10 = judgeSolution(c, p, '31 + 28 = 49\n#### 49');
  assert.equal(offBy1.correct, false);
  assert.ok(near(offBy1.score, -0.5 * 1 - 0.05 * 13));
  assert.ok(near(offBy10.score, -0.5 * Math.log2(11) - 0.05 * 13));
  // Far off, or no "####" line at all: the distance counts 99.
  assert.ok(near(judgeSolution(c, p, '31 + 28 = 5800\n#### 5800').score, -0.5 * Math.log2(100) - 0.05 * 15));
  const none = judgeSolution(c, p, '31 + 28 = 59');
  assert.equal(none.correct, false);
  assert.ok(near(none.score, -0.5 * Math.log2(100) - 0.05 * 12));
  assert.equal(judgeSolution(c, p, '31 + 28 = 59\n#### 059').correct, true);
  // The order the annotator's preference follows.
  assert.ok(right.score > offBy1.score && offBy1.score > offBy10.score && offBy10.score > none.score);
});

test('pairOf: the first solution and the first later one with another answer; null when every answer agrees', () => {
  const s = ['1 + 1 = 2\n#### 2', '1 + 1 = 2\n#### 2', '1 + 1 = 3\n#### 3', '1 + 1 = 4\n#### 4'];
  assert.deepEqual(pairOf(s), [s[0], s[2]]);
  assert.equal(pairOf([s[0]!, s[1]!, '1+1 = 2\n#### 2']), null);
  assert.deepEqual(pairOf([s[0]!, s[1]!, '1+1 = 2\n#### 2'], 'text'), [s[0], '1+1 = 2\n#### 2']);
  assert.equal(pairOf([]), null);
});

test('decisiveArithmeticPairs and oneCorrectTestPairs: test pairs only, oriented by the noiseless score (or correctness) whatever the noisy label', () => {
  const rec = (id: string, split: 'train' | 'test', sa: number, sb: number, chosen: 'a' | 'b'): ArithmeticPairRecord =>
    ({ split, id, prompt: id, answer: '1', a: `a${id}`, b: `b${id}`, correct_a: sa > sb, correct_b: false, score_a: sa, score_b: sb, chosen });
  const rs = [rec('0', 'test', 1, 0, 'b'), rec('1', 'test', 0, 1, 'b'), rec('2', 'test', 1, 1, 'a'), rec('3', 'train', 1, 0, 'a')];
  assert.deepEqual(decisiveArithmeticPairs(rs), [{ prompt: '0', chosen: 'a0', rejected: 'b0' }, { prompt: '1', chosen: 'b1', rejected: 'a1' }]);
  assert.deepEqual(asPreference(rs[0]!), { prompt: '0', chosen: 'b0', rejected: 'a0' });
  // One correct solution: oriented by correctness alone (pair 1's b is longer-scored but wrong).
  const oc = [{ ...rs[1]!, correct_a: true, correct_b: false }, { ...rs[2]!, correct_a: false, correct_b: true }, { ...rs[0]!, correct_a: true, correct_b: true }, { ...rs[3]!, correct_b: true, correct_a: false }];
  assert.deepEqual(oneCorrectTestPairs(oc), [{ prompt: '1', chosen: 'a1', rejected: 'b1' }, { prompt: '2', chosen: 'b2', rejected: 'a2' }]);
});

test("seed-sft is the ReST-EM demo's iteration-0 policy, weight for weight; the setup stage reloads what it wrote", async () => {
  const cfg = tinyCfg(3);
  const restOut = join(root, 'rest-em');
  await runRestEmDemo(cfg.restEm, restOut, { resume: false, quiet: true, log: () => {} });
  const iter0 = loadModelDir(join(restOut, 'checkpoints', 'iter0')).model;

  const out = join(root, 'setup');
  const store = RunStore.open(out, { t: 1 }, { resume: false });
  const s = await buildArithmeticPreferenceSetup(cfg, { store });
  store.close();
  for (const [name, t] of iter0.params) assert.deepEqual(s.policy.p(name).f32, t.f32, `${name} differs from the ReST-EM demo's seed SFT`);
  assert.ok(s.trainPairs.length > 0 && s.testPairs.length > 0);
  assert.equal(s.records.length, s.trainPairs.length + s.testPairs.length);
  assert.equal(s.premise.problems_without_pair, cfg.poolProblems + cfg.testProblems - s.records.length);
  for (const r of s.records) {
    const p = { answer: r.answer };
    assert.notEqual(r.a, r.b);
    assert.deepEqual([judgeSolution(cfg, p, r.a).score, judgeSolution(cfg, p, r.b).score], [r.score_a, r.score_b]);
  }
  // Every pair is in samples/setup.jsonl as two samples, `kept` the annotator's pick.
  assert.equal(readFileSync(join(out, 'samples', 'setup.jsonl'), 'utf8').trim().split('\n').length, 2 * s.records.length);

  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  const again = RunStore.open(out, { t: 1 }, { resume: true });
  const s2 = await buildArithmeticPreferenceSetup(cfg, { store: again });
  again.close();
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), metrics);
  assert.deepEqual(s2.records, s.records);
  assert.deepEqual(s2.premise, s.premise);
  for (const [name, t] of s.policy.params) assert.deepEqual(s2.policy.p(name).f32, t.f32);
});

test('likelihoodAgreement: the share of one-correct pairs whose correct solution has the higher log-likelihood, as one sequence at a time scores it', async () => {
  const cfg = tinyCfg(4);
  const s = await buildArithmeticPreferenceSetup(cfg);
  const tok = s.tokenizer;
  // Make one-correct pairs out of the sampled ones: the reference solution against a sampled one.
  const problems = new Map(s.testProblems.map((p) => [p.prompt, p]));
  const records = s.records.filter((r) => r.split === 'test').map((r) => ({ ...r, a: problems.get(r.prompt)!.reference!, correct_a: true, correct_b: false }));
  const ids = (t: string, eos: boolean) => [...tok.encode(t, { parseSpecial: false }), ...(eos ? [tok.eos!] : [])];
  const ll = (prompt: string, t: string) => scoreTokens(s.policy, ids(prompt, false), ids(t, true)).reduce((x, y) => x + y, 0);
  const want = records.filter((r) => ll(r.prompt, r.a) > ll(r.prompt, r.b)).length / records.length;
  assert.ok(Math.abs(likelihoodAgreement(s.policy, tok, records)! - want) < 1e-12);
  assert.equal(likelihoodAgreement(s.policy, tok, records.map((r) => ({ ...r, correct_b: true }))), null);
});
