import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { resolveDpoConfig } from './config.js';
import { computeLogps } from './reference.js';
import { trainDpo, type DpoLog } from './dpo.js';
import { tokenizePairs, type PreferencePair } from '../trainer/preference-data.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-dpo-'));
after(() => rmSync(root, { recursive: true, force: true }));

const tok = new ByteTokenizer();
const tiny = (seed = 0) => new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40, initStd: 0.1 }), undefined, seed);

const WORDS = ['sun', 'tea', 'cat', 'map', 'pen', 'car', 'box', 'hat', 'cup', 'owl', 'fig', 'jam'];
const pairs: PreferencePair[] = WORDS.map((w, i) => ({ prompt: `Is the ${w} ok?`, chosen: ` yes, ${WORDS[(i + 1) % WORDS.length]}`, rejected: ` no, ${WORDS[(i + 5) % WORDS.length]}` }));
const cfg = { steps: 30, batchSize: 4, lr: 1e-2, warmupSteps: 0, seed: 3, refBatchSize: 8 };
const snapshot = (m: Transformer) => new Map([...m.params].map(([k, v]) => [k, v.f32.slice()]));

/** Wraps model.hidden to count forwards. */
function countForwards(m: Transformer): { calls: number } {
  const c = { calls: 0 };
  const hidden = m.hidden.bind(m);
  m.hidden = (...args) => { c.calls++; return hidden(...args); };
  return c;
}

test('DPO: ln 2 at the first step, the margin and log π(chosen) − log π(rejected) rise, every parameter changes', async () => {
  const policy = tiny(1);
  const before = snapshot(policy);
  const res = await trainDpo({ policy, tokenizer: tok, pairs, config: cfg, quiet: true });
  const first = res.logs[0]!, tail = res.logs.slice(-5);
  assert.ok(Math.abs(first.loss - Math.LN2) < 1e-6, `first-step loss ${first.loss}, expected ln 2 (policy = reference)`);
  assert.ok(Math.abs(first.margin) < 1e-6 && Math.abs(first.rewardChosen) < 1e-6);
  const avg = (f: (l: DpoLog) => number) => tail.reduce((a, l) => a + f(l), 0) / tail.length;
  assert.ok(avg((l) => l.margin) > 1, `mean margin of the last steps ${avg((l) => l.margin)}`);
  assert.ok(avg((l) => l.loss) < 0.3, `mean loss of the last steps ${avg((l) => l.loss)}`);
  assert.ok(avg((l) => l.accuracy) === 1);
  const gap0 = first.logpChosen - first.logpRejected, gap1 = avg((l) => l.logpChosen - l.logpRejected);
  assert.ok(gap1 > gap0 + 10, `log π(chosen) − log π(rejected): ${gap0} → ${gap1}`);
  for (const [k, v] of policy.params) assert.notDeepEqual(v.f32, before.get(k), `${k} did not change`);
});

test('every variant starts at its value for policy = reference: ln 2, and (1/2β)² for IPO', async () => {
  const cases = [
    { lossType: 'sigmoid', labelSmoothing: 0, want: Math.LN2 },
    { lossType: 'cdpo', labelSmoothing: 0.1, want: Math.LN2 },
    { lossType: 'robust', labelSmoothing: 0.2, want: Math.LN2 },
    { lossType: 'ipo', labelSmoothing: 0, want: 25 }, // β = 0.1: (0 − 1/(2·0.1))²
  ] as const;
  for (const c of cases) {
    const res = await trainDpo({ policy: tiny(2), tokenizer: tok, pairs, config: { ...cfg, steps: 1, lossType: c.lossType, labelSmoothing: c.labelSmoothing }, quiet: true });
    assert.ok(Math.abs(res.logs[0]!.loss - c.want) < 1e-5, `${c.lossType}: first loss ${res.logs[0]!.loss}, expected ${c.want}`);
  }
});

test('reference log-probs are computed once, before training, from the frozen reference', async () => {
  const policy = tiny(3), reference = tiny(3);
  const refBefore = snapshot(reference);
  const calls = countForwards(reference);
  const res = await trainDpo({ policy, reference, tokenizer: tok, pairs, eval: pairs.slice(0, 4), config: { ...cfg, steps: 12, evalEvery: 4 }, quiet: true });
  // 12 pairs → 24 sequences in forwards of 8, then 4 eval pairs → 8 sequences in one.
  assert.equal(calls.calls, 3 + 1, 'reference forwards: the precompute only');
  for (const [k, v] of reference.params) assert.deepEqual(v.f32, refBefore.get(k), `reference ${k} changed`);
  // The numbers used in training are the reference's, and the policy has moved away from them.
  const want = computeLogps(reference, tokenizePairs(pairs, tok, 40).pairs, 8, tok.pad!);
  assert.deepEqual(res.reference, want);
  const now = computeLogps(policy, tokenizePairs(pairs, tok, 40).pairs, 8, tok.pad!);
  assert.ok(now.chosen.some((v, i) => Math.abs(v - want.chosen[i]!) > 0.1), 'the policy trained while the stored reference numbers stayed');
  // The default reference is the policy as it was at the start.
  const p2 = tiny(4);
  const start = computeLogps(p2, tokenizePairs(pairs, tok, 40).pairs, 8, tok.pad!);
  assert.deepEqual((await trainDpo({ policy: p2, tokenizer: tok, pairs, config: { ...cfg, steps: 5 }, quiet: true })).reference, start);
});

test('resume after a crash: the reference is not recomputed, losses and weights match, every step logged once', async () => {
  const c = { ...cfg, steps: 9, saveEvery: 4, evalEvery: 3 };
  const evalSet = pairs.slice(0, 3);
  const straight = tiny(5);
  const full = (await trainDpo({ policy: straight, tokenizer: tok, pairs, eval: evalSet, config: c, quiet: true })).logs;
  const dir = join(root, 'resume');
  const first = RunStore.open(dir, { c }, { resume: false });
  await assert.rejects(trainDpo({
    policy: tiny(5), tokenizer: tok, pairs, eval: evalSet, config: c, store: first, quiet: true,
    onLog: (l) => { if (l.step === 6) throw new Error('simulated crash'); },
  }), /simulated crash/);
  first.close();
  const store = RunStore.open(dir, { c }, { resume: true });
  assert.deepEqual(store.completedStages(), ['reference', 'train/step-4']);
  const reference = tiny(77);
  const calls = countForwards(reference);
  const policy = tiny(99);
  const res = await trainDpo({ policy, reference, tokenizer: tok, pairs, eval: evalSet, config: c, store, quiet: true });
  assert.equal(calls.calls, 0, 'the stored reference log-probs were used');
  assert.deepEqual(res.logs.map((l) => l.step), [5, 6, 7, 8, 9]);
  res.logs.forEach((l, i) => {
    assert.equal(l.loss, full[4 + i]!.loss, `step ${l.step} loss`);
    assert.equal(l.evalLoss, full[4 + i]!.evalLoss, `step ${l.step} eval loss`);
  });
  for (const [k, v] of policy.params) assert.deepEqual(v.f32, straight.params.get(k)!.f32, `${k} differs from the uninterrupted run`);
  const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((s) => (JSON.parse(s) as { step: number }).step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Other data under the same run is refused rather than trained against the wrong reference.
  await assert.rejects(trainDpo({ policy: tiny(5), tokenizer: tok, pairs: pairs.slice(1), config: c, store, quiet: true }), /computed for other train pairs/);
  store.close();
});

test('config errors name the field and what was expected', () => {
  assert.throws(() => resolveDpoConfig({ lossType: 'kto' as 'ipo' }), /dpo config: lossType = "kto", expected one of sigmoid, ipo, cdpo, robust/);
  assert.throws(() => resolveDpoConfig({ lossType: 'cdpo' }), /lossType cdpo needs labelSmoothing in \(0, 0\.5\)/);
  assert.throws(() => resolveDpoConfig({ beta: 0 }), /beta = 0, expected a positive number/);
  assert.throws(() => resolveDpoConfig({ labelSmoothing: 0.5, lossType: 'robust' }), /labelSmoothing = 0.5, expected a number in \[0, 0\.5\)/);
  assert.throws(() => resolveDpoConfig({ lossType: ['sigmoid', 'sft'], lossWeights: [1] }), /lossWeights has 1 weights for 2 loss types/);
  assert.throws(() => resolveDpoConfig({ lossType: ['exo_pair'] }), /lossType exo_pair needs labelSmoothing/);
});
