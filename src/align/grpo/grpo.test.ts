import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLora, generate, layoutOf } from '../../model/index.js';
import { Rng } from '../../tensor/index.js';
import { RunStore } from '../../runs/run-store.js';
import { binaryVerdict, type Verifier } from '../../rewards/verifier.js';
import type { Problem } from '../../data/tasks/task.js';
import { trainGrpo } from './grpo.js';
import { verifierReward } from '../trainer/reward-fn.js';
import { changed, freshStore, payForTarget, prompts, snapshot, targetFraction, tinyModel, tok } from '../rollout/fixtures.test.js';
import { GRPO_LOSS_TYPES } from '../losses/index.js';

// A verifiable task the tiny model can learn: the answer is right when it starts with 'f'.
const problems: Problem[] = prompts.map((p) => ({ id: p.id, prompt: p.text, answer: 'f' }));
const startsRight: Verifier = { name: 'starts-right', verify: (p, c) => binaryVerdict(c.startsWith(p.answer!), c.slice(0, 1)) };

function passRate(model: ReturnType<typeof tinyModel>): number {
  const s = generate(model, prompts.map((p) => tok.encode(p.text)), { maxNewTokens: 4, n: 64, seed: 4321, stopTokens: [tok.eos!] });
  return s.filter((x) => x.tokens[0] === 5).length / s.length;
}

test('grpo raises a verifier\'s pass rate, changes every parameter, keeps the k3 KL ≥ 0 and starts at ratio 1', async () => {
  const policy = tinyModel(11);
  const before = snapshot(policy);
  const p0 = passRate(policy);
  const store = freshStore();
  const { logs } = await trainGrpo({
    policy, tokenizer: tok, prompts, reward: verifierReward(problems, startsRight), store, quiet: true,
    config: { steps: 25, promptsPerStep: 4, samplesPerPrompt: 8, maxNewTokens: 4, epochs: 2, minibatchSize: 16, lr: 1e-2, beta: 0.04, saveEvery: 0, seed: 1 },
  });
  store.close();
  const p1 = passRate(policy);
  console.log(`grpo: pass rate ${p0.toFixed(3)} → ${p1.toFixed(3)}`);
  assert.ok(p1 > p0 + 0.3, `pass rate ${p0} → ${p1}`);
  assert.deepEqual(changed(policy, before).sort(), [...before.keys()].sort());
  for (const l of logs) {
    assert.ok(l.kl >= 0, `step ${l.step}: k3 KL ${l.kl}`);
    assert.ok(l.ratioDeviation < 1e-5, `step ${l.step}: ratio deviation ${l.ratioDeviation}`);
  }
  assert.ok(logs.some((l) => l.kl > 0), 'the policy moved away from the reference');
  const rec = store.readSamples('step-25');
  assert.equal(rec.length, 25 * 4 * 8);
  assert.deepEqual(Object.keys(rec[0]!.verifier as object).sort(), ['correct', 'detail', 'extracted']);
});

test('grpo counts the groups whose rewards are all equal, and they carry no advantage', async () => {
  const store = freshStore();
  const { logs } = await trainGrpo({
    policy: tinyModel(12), tokenizer: tok, prompts, reward: async (_p, c) => c.map(() => 1), store, quiet: true,
    config: { steps: 2, promptsPerStep: 3, samplesPerPrompt: 4, maxNewTokens: 3, lr: 1e-2, saveEvery: 0 },
  });
  store.close();
  for (const l of logs) {
    assert.equal(l.zeroVarianceGroups, 3);
    assert.equal(l.zeroVarianceFraction, 1);
    assert.equal(l.groupStd, 0);
  }
  assert.ok(store.readSamples('step-2').every((r) => r['advantage'] === 0));
});

/** A policy with LoRA adapters on the attention projections: resume must bring the adapters back as adapters. */
function loraModel(seed: number): ReturnType<typeof tinyModel> {
  const m = tinyModel(seed);
  m.lora = createLora(m.params, layoutOf(m.config), { rank: 2, alpha: 4, dropout: 0, targets: ['c_attn'] }, new Rng(1));
  return m;
}

test('grpo resumes a LoRA policy after a crash: same numbers, no step twice', async () => {
  const config = { steps: 4, promptsPerStep: 2, samplesPerPrompt: 4, maxNewTokens: 4, lr: 1e-2, saveEvery: 2, seed: 3 };
  const full = (await trainGrpo({ policy: loraModel(13), tokenizer: tok, prompts, reward: payForTarget, store: freshStore(config), config, quiet: true })).logs;
  const store = freshStore(config);
  await assert.rejects(trainGrpo({
    policy: loraModel(13), tokenizer: tok, prompts, reward: payForTarget, store, config, quiet: true,
    onLog: (l) => { if (l.step === 3) throw new Error('simulated crash'); },
  }), /simulated crash/);
  store.close();
  const again = RunStore.open(store.dir, config, { resume: true });
  const resumed = (await trainGrpo({ policy: loraModel(77), tokenizer: tok, prompts, reward: payForTarget, store: again, config, quiet: true })).logs;
  again.close();
  assert.deepEqual(resumed.map((l) => l.step), [3, 4]);
  resumed.forEach((l, i) => assert.ok(Math.abs(l.loss - full[2 + i]!.loss) < 1e-6 && l.score === full[2 + i]!.score));
  const steps = readFileSync(join(store.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((s) => (JSON.parse(s) as { step: number }).step);
  assert.deepEqual(steps, [1, 2, 3, 4]);
});

test('grpo with dynamic sampling trains only on groups whose rewards differ; masked truncations leave the loss', async () => {
  const store = freshStore();
  // Prompt p0 always pays 1: its groups carry no signal and are left out.
  const reward: typeof payForTarget = async (_p, _c, meta) => meta.promptIds.map((id, i) => (id === 'p0' ? 1 : targetFraction(meta.completionTokens[i]!)));
  const { logs } = await trainGrpo({
    policy: tinyModel(14), tokenizer: tok, prompts, reward, store, quiet: true,
    config: { steps: 3, promptsPerStep: 4, samplesPerPrompt: 4, maxNewTokens: 2, lr: 1e-2, saveEvery: 0, dynamicSampling: true, maskTruncatedCompletions: true, lossType: 'dapo', clipHigh: 0.28 },
  });
  store.close();
  for (const l of logs) {
    assert.equal(l.trained, 4 * (4 - l.zeroVarianceGroups), `step ${l.step}: trained ${l.trained} with ${l.zeroVarianceGroups} constant groups`);
    assert.ok(l.zeroVarianceGroups >= 1, 'the p0 group is constant');
    assert.ok(l.masked <= Math.round(l.noEos * 16), `masked ${l.masked}, cut ${l.noEos * 16}`);
  }
  assert.ok(logs.some((l) => l.masked > 0), 'with 2 new tokens some completions are cut and masked');
});

test('every GRPO loss type trains: the policy changes and the first update starts at ratio 1', async () => {
  for (const lossType of GRPO_LOSS_TYPES) {
    const policy = tinyModel(15);
    const before = snapshot(policy);
    const store = freshStore();
    const { logs } = await trainGrpo({
      policy, tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
      config: { steps: 2, promptsPerStep: 2, samplesPerPrompt: 4, maxNewTokens: 4, lr: 1e-2, saveEvery: 0, lossType, importanceSamplingLevel: lossType === 'grpo' ? 'sequence' : 'token', scaleRewards: 'batch' },
    });
    store.close();
    assert.ok(changed(policy, before).length > 0, `${lossType}: no parameter changed`);
    assert.ok(logs.every((l) => Number.isFinite(l.loss) && l.ratioDeviation < 1e-5), `${lossType}: ${JSON.stringify(logs)}`);
  }
});
