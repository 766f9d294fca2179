import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addScalarHead } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { trainPpo, VALUE_HEAD, type PpoLog } from './ppo.js';
import { changed, freshStore, meanTargetReward, payForTarget, prompts, snapshot, tinyModel, tok } from '../rollout/fixtures.test.js';

test('ppo raises the reward of a token it pays for, changes every parameter, and starts each update at ratio 1', async () => {
  const policy = tinyModel(1);
  const before = snapshot(policy);
  const r0 = meanTargetReward(policy);
  const store = freshStore();
  const t0 = performance.now();
  const { logs } = await trainPpo({
    policy, tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
    config: { steps: 30, promptsPerStep: 8, maxNewTokens: 6, epochs: 2, minibatchSize: 4, lr: 1e-2, klCoef: 0.01, klEstimator: 'k3', saveEvery: 0, seed: 3 },
  });
  store.close();
  const r1 = meanTargetReward(policy);
  console.log(`ppo: reward ${r0.toFixed(3)} → ${r1.toFixed(3)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.ok(r1 > r0 + 0.3, `mean reward ${r0} → ${r1}`);
  const moved = changed(policy, before);
  assert.ok(policy.params.has(`${VALUE_HEAD}.weight`));
  for (const k of before.keys()) assert.ok(moved.includes(k), `${k} did not change`);
  for (const l of logs) {
    assert.ok(l.ratioDeviation < 1e-5, `step ${l.step}: rollout and training log-probs differ by ${l.ratioDeviation}`);
    assert.ok(l.kl >= 0, `step ${l.step}: k3 KL ${l.kl} < 0`);
  }
});

test('ppo with a separate critic initialised from a reward model trains both, and the policy gets no value head', async () => {
  const policy = tinyModel(2);
  const rm = tinyModel(7);
  addScalarHead(rm, 'score');
  const critic = rm.clone();
  const [p0, c0] = [snapshot(policy), snapshot(critic)];
  const store = freshStore();
  const { logs } = await trainPpo({
    policy, critic: { model: critic, head: 'score' }, tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
    config: { steps: 3, promptsPerStep: 4, maxNewTokens: 4, epochs: 2, minibatchSize: 2, lr: 1e-2, saveEvery: 2, seed: 1 },
  });
  store.close();
  assert.equal(policy.params.has(`${VALUE_HEAD}.weight`), false);
  assert.deepEqual(changed(policy, p0).sort(), [...p0.keys()].sort());
  assert.deepEqual(changed(critic, c0).sort(), [...c0.keys()].sort());
  assert.equal(changed(rm, snapshot(rm)).length, 0);
  for (const l of logs) assert.ok(Number.isFinite(l.valueLoss) && l.ratioDeviation < 1e-5);
});

test('the adaptive KL coefficient moves towards the target: up when the KL is above it, down when below', async () => {
  const run = async (klTarget: number) => {
    const store = freshStore();
    const { logs } = await trainPpo({
      policy: tinyModel(3), tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
      config: { steps: 4, promptsPerStep: 4, maxNewTokens: 4, epochs: 1, minibatchSize: 0, lr: 3e-2, klCoef: 0.1, adaptiveKl: true, klTarget, klHorizon: 40, saveEvery: 0, seed: 2 },
    });
    store.close();
    return logs;
  };
  const high = await run(1e-4); // any KL exceeds it
  const low = await run(100); // no KL reaches it
  assert.equal(high[0]!.beta, 0.1);
  for (let i = 1; i < high.length; i++) {
    // Step 1 samples from the reference itself, so its k1 KL is 0 to rounding: the first move may go either way.
    if (high[i - 1]!.kl > 1e-4) assert.ok(high[i]!.beta > high[i - 1]!.beta, `β ${high[i - 1]!.beta} → ${high[i]!.beta} with KL ${high[i - 1]!.kl} above the target`);
    assert.ok(low[i]!.beta < low[i - 1]!.beta, `β ${low[i - 1]!.beta} → ${low[i]!.beta} with KL ${low[i - 1]!.kl} below the target`);
  }
  assert.ok(high.at(-1)!.beta > 0.1 && low.at(-1)!.beta < 0.1);
});

test('a crash mid-block resumes from the last completed block: same numbers, no metric twice, β restored', async () => {
  const config = { steps: 6, promptsPerStep: 4, maxNewTokens: 4, epochs: 2, minibatchSize: 2, lr: 1e-2, klCoef: 0.1, adaptiveKl: true, klTarget: 0.01, klHorizon: 20, saveEvery: 3, seed: 5 };
  const full = (await trainPpo({ policy: tinyModel(4), tokenizer: tok, prompts, reward: payForTarget, store: freshStore(config), config, quiet: true })).logs;

  const store = freshStore(config);
  await assert.rejects(trainPpo({
    policy: tinyModel(4), tokenizer: tok, prompts, reward: payForTarget, store, config, quiet: true,
    onLog: (l) => { if (l.step === 5) throw new Error('simulated crash'); },
  }), /simulated crash/);
  store.close();
  assert.deepEqual(store.completedStages(), ['step-3']);

  const again = RunStore.open(store.dir, config, { resume: true });
  // 3 since issue 21: the failure line the crashed stage left goes with its metrics.
  assert.equal(again.recovery.droppedMetrics, 3, 'the metrics of steps 4 and 5, and the stage\'s failure line, were dropped');
  // A different initial model: everything must come from the run's checkpoints.
  const resumed = (await trainPpo({ policy: tinyModel(99), tokenizer: tok, prompts, reward: payForTarget, store: again, config, quiet: true })).logs;
  assert.deepEqual(resumed.map((l) => l.step), [4, 5, 6]);
  resumed.forEach((l, i) => {
    const want: PpoLog = full[3 + i]!;
    for (const k of ['score', 'kl', 'beta', 'policyLoss', 'valueLoss'] as const) assert.ok(Math.abs(l[k] - want[k]) < 1e-6, `step ${l.step} ${k}: ${l[k]} vs ${want[k]}`);
  });
  const lines = readFileSync(join(store.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((s) => JSON.parse(s) as { step: number; stage: string });
  assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4, 5, 6]);
  assert.equal(again.readSamples('step-6').length, 3 * 4, 'the resumed block wrote its samples once');
  assert.deepEqual(again.completedStages(), ['step-3', 'step-6']);
  again.close();
});
