import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CharTokenizer } from '../../tokenizer/index.js';
import { defaultConfig, loadModelDir, Transformer } from '../../model/index.js';
import { RunStore, type SampleRecord } from '../../runs/run-store.js';
import { readJsonl } from '../../io/jsonl.js';
import { binaryVerdict } from '../../rewards/verifier.js';
import type { Problem, Task } from '../../data/tasks/task.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { improveKey, runRest, type RestConfig } from './rest.js';
import { RestCritic, improvePolicy, resolveImproveConfig, type ImproveExample } from './improve.js';
import { tempDir } from '../../io/temp-dir.test.js';

// A toy task: the reward is the share of 'a' in the answer, exact match is "aaa".
const tok = CharTokenizer.fromCorpus('abq:0123456789\n');
const problems: Problem[] = Array.from({ length: 14 }, (_, i) => ({ id: `p${i}`, prompt: `q${i}:`, answer: 'aaa', reference: 'aaa' }));
const task: Task = {
  name: 'toy', train: problems.slice(0, 10), test: problems.slice(10, 12),
  verifier: { name: 'aaa', verify: (_p, c) => binaryVerdict(c.trim() === 'aaa', c.trim()) },
};
const original = problems.slice(12);
const shareOfA: RewardFn = async (_prompts, completions) => completions.map((c) => (c.length ? [...c].filter((x) => x === 'a').length / c.length : 0));

const config: Partial<RestConfig> = {
  growSteps: 2, improveSteps: 2, samplesPerPrompt: 4, temperature: 1, maxNewTokens: 4, validationProblems: 2,
  schedule: { kind: 'fixed', thresholds: [0.2, 0.5] }, batchSize: 32, evalBestOfN: 2,
  improve: { batchSize: 4, maxSteps: 3, evalEvery: 2, lr: 3e-3, minLr: 3e-4, warmupSteps: 0 },
};
const policy0 = () => new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 16, initStd: 0.3 }), undefined, 4);
const tmp = () => join(tempDir('rest-'), 'run');

async function run(dir: string, resume: boolean, over: Partial<RestConfig> = {}, onStageComplete?: (s: string) => void) {
  const cfg = { ...config, ...over };
  const store = RunStore.open(dir, { toy: true, ...cfg } as Record<string, unknown>, { resume });
  try {
    return await runRest({ policy0: policy0(), tokenizer: tok, task, original, reward: shareOfA, monitor: shareOfA, store, config: cfg, quiet: true, ...(onStageComplete ? { onStageComplete } : {}) });
  } finally {
    store.close();
  }
}

const samplesOf = (dir: string, g: number) => readJsonl(join(dir, 'samples', `grow${g}.jsonl`)).map((r) => r.value as SampleRecord);

test('Grow writes N samples per prompt with rewards; each Improve step marks what its threshold kept and trains on exactly that', async () => {
  const dir = tmp();
  const rows = await run(dir, false);
  assert.deepEqual(rows.map((r) => [r.grow, r.improve]), [[0, 0], [1, 1], [1, 2], [2, 1], [2, 2]]);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { completed: { stage: string; result: { kept: number; keptData: number; examples: number; steps: number } }[] };
  for (const g of [1, 2]) {
    const recs = samplesOf(dir, g);
    const policy = recs.filter((r) => r['source'] === 'policy'), data = recs.filter((r) => r['source'] === 'data');
    assert.equal(policy.length, 8 * 4, '4 samples for each of the 8 Grow prompts (2 held out for validation)');
    for (const id of task.train.slice(0, 8).map((p) => p.id)) assert.equal(policy.filter((r) => r.promptId === id).length, 4);
    assert.deepEqual(data.map((r) => r.sample), ['aaa', 'aaa'], 'the original data stays in D_g');
    assert.ok(policy.every((r) => r.policy === (g === 1 ? 'policy0' : 'g1-i2')), 'samples name the policy that drew them');
    for (const r of recs) {
      assert.ok(r.reward >= 0 && r.reward <= 1 && r.reward === r['rawReward']);
      const want = [...r.sample].filter((x) => x === 'a').length / Math.max(r.sample.length, 1);
      assert.ok(Math.abs(r.reward - want) < 1e-12, 'the stored reward is the reward of the stored sample');
      const kept = r.kept as Record<string, boolean>;
      assert.deepEqual(Object.keys(kept), ['improve1', 'improve2']);
      assert.equal(kept['improve1'], r.reward > 0.2);
      assert.equal(kept['improve2'], r.reward > 0.5);
      if (kept['improve2']) assert.ok(kept['improve1'], 'a rising threshold keeps a subset');
    }
    for (const i of [1, 2]) {
      const res = state.completed.find((c) => c.stage === `grow${g}/improve${i}`)!.result;
      const keptPolicy = policy.filter((r) => (r.kept as Record<string, boolean>)[improveKey(i)]).length;
      const keptData = data.filter((r) => (r.kept as Record<string, boolean>)[improveKey(i)]).length;
      assert.equal(res.kept, keptPolicy);
      assert.equal(res.keptData, keptData);
      assert.equal(res.examples, keptPolicy + keptData, 'the Improve step trained on the kept records and nothing else');
      assert.equal(rows.find((r) => r.grow === g && r.improve === i)!.kept, keptPolicy);
      assert.ok(res.steps > 0);
    }
  }
  for (const r of rows) for (const v of [r.validationReward, r.testReward, r.testExact, r.bestOfNReward!]) assert.ok(v >= 0 && v <= 1);
});

test('a threshold that keeps nothing leaves the previous policy as it was', async () => {
  const dir = tmp();
  await run(dir, false, { growSteps: 1, improveSteps: 1, schedule: { kind: 'fixed', thresholds: [0.99] }, includeOriginal: false });
  const p0 = loadModelDir(join(dir, 'checkpoints', 'policy0'), { tokenizer: false }).model;
  const p1 = loadModelDir(join(dir, 'checkpoints', 'g1-i1'), { tokenizer: false }).model;
  for (const [name, w] of p1.params) assert.deepEqual(w.f32, p0.params.get(name)!.f32, name);
});

test('a run that dies between two Improve steps resumes there and ends where an unbroken run ends', async () => {
  const whole = await run(tmp(), false);
  const dir = tmp();
  await assert.rejects(run(dir, false, {}, (stage) => { if (stage === 'grow1/improve1') throw new Error('killed'); }), /killed/);
  const grown = readFileSync(join(dir, 'samples', 'grow1.jsonl'), 'utf8');
  const ckpt = statSync(join(dir, 'checkpoints', 'g1-i1', 'model.safetensors')).mtimeMs;
  const stagesRun: string[] = [];
  const resumed = await run(dir, true, {}, (s) => stagesRun.push(s));
  assert.equal(stagesRun[0], 'grow1/improve1/eval', 'the resume starts after the last committed stage');
  assert.ok(!stagesRun.includes('grow1') && !stagesRun.includes('grow1/improve1'));
  assert.equal(statSync(join(dir, 'checkpoints', 'g1-i1', 'model.safetensors')).mtimeMs, ckpt, 'improve1 was not trained again');
  const before = grown.trim().split('\n').map((l) => JSON.parse(l) as SampleRecord), after = samplesOf(dir, 1);
  assert.deepEqual(after.map((r) => [r.sample, r.reward, (r.kept as Record<string, boolean>)['improve1']]), before.map((r) => [r.sample, r.reward, (r.kept as Record<string, boolean>)['improve1']]));
  assert.deepEqual(resumed, whole);
});

test('every offline loss and per-prompt schedule runs end to end', async () => {
  for (const [loss, schedule] of [['gold', { kind: 'percentile', percentiles: [50] }], ['oac', { kind: 'interpolate', gammas: [0.5] }], ['bvmpo', { kind: 'fixed', thresholds: [0] }]] as const) {
    const dir = tmp();
    const rows = await run(dir, false, { growSteps: 1, improveSteps: 1, schedule, improve: { ...config.improve, loss } });
    assert.equal(rows.length, 2);
    if (loss !== 'gold') assert.ok(RestCritic.load(join(dir, 'checkpoints', 'g1-i1')), `${loss} saves its critic beside the policy`);
    if (schedule.kind === 'percentile') {
      for (const p of task.train.slice(0, 8)) {
        const mine = samplesOf(dir, 1).filter((r) => r.promptId === p.id && r['source'] === 'policy');
        const kept = mine.filter((r) => (r.kept as Record<string, boolean>)['improve1']).length;
        assert.ok(kept <= 2 && (kept === 2 || mine.some((r) => r.reward === 0)), `${p.id}: the top half of 4 samples, less zero rewards`);
      }
    }
  }
});

test('improvePolicy changes the parameters with every loss, and keeps the starting weights when they validate best', async () => {
  const data: ImproveExample[] = Array.from({ length: 8 }, (_, i) => ({ prompt: tok.encode(`q${i}:`), completion: [...tok.encode('aab'), tok.eos!], reward: 0.5 + i / 16, behaviour: [-2, -2, -2, -2] }));
  for (const loss of ['bc', 'gold', 'oac', 'bvmpo'] as const) {
    const model = policy0(), before = model.clone();
    const res = await improvePolicy({
      model, critic: RestCritic.fresh(16, 0), data, config: resolveImproveConfig({ loss, batchSize: 4, maxSteps: 2, evalEvery: 1 }), padId: 0, seed: 0,
      validate: async () => 0.5, baseline: null, quiet: true,
    });
    assert.equal(res.steps, 2);
    assert.ok([...res.model.params].some(([k, w]) => w.f32.some((x, j) => x !== before.params.get(k)!.f32[j])), `${loss} changed nothing`);
    // A baseline the steps never beat keeps the starting weights.
    const kept = await improvePolicy({
      model: before.clone(), critic: RestCritic.fresh(16, 0), data, config: resolveImproveConfig({ loss, batchSize: 4, maxSteps: 2, evalEvery: 1 }), padId: 0, seed: 0,
      validate: async () => 0.5, baseline: 0.9, quiet: true,
    });
    assert.equal(kept.bestStep, 0);
    for (const [k, w] of kept.model.params) assert.deepEqual(w.f32, before.params.get(k)!.f32);
  }
});

test("improvePolicy uses the configured Adam betas (they were once ignored)", async () => {
  const data: ImproveExample[] = Array.from({ length: 8 }, (_, i) => ({ prompt: tok.encode(`q${i}:`), completion: [...tok.encode('aab'), tok.eos!], reward: 1 }));
  const trained = async (over: Parameters<typeof resolveImproveConfig>[0]) => (await improvePolicy({
    model: policy0(), critic: null, data, config: resolveImproveConfig({ batchSize: 4, maxSteps: 3, evalEvery: 3, warmupSteps: 0, ...over }), padId: 0, seed: 0,
    validate: async () => 0.5, baseline: null, quiet: true,
  })).model;
  const base = await trained({}), same = await trained({ beta1: 0.9, beta2: 0.95 });
  for (const over of [{ beta1: 0.5 }, { beta2: 0.5 }]) {
    const other = await trained(over);
    assert.ok([...other.params].some(([k, w]) => w.f32.some((x, j) => x !== base.params.get(k)!.f32[j])), `${JSON.stringify(over)} changed nothing`);
  }
  for (const [k, w] of same.params) assert.deepEqual(w.f32, base.params.get(k)!.f32);
});
