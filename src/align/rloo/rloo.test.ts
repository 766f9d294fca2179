import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainRloo } from './rloo.js';
import { changed, freshStore, meanTargetReward, payForTarget, prompts, snapshot, tinyModel, tok } from '../rollout/fixtures.test.js';

test('rloo raises the reward of a token it pays for and changes every parameter', async () => {
  const policy = tinyModel(21);
  const before = snapshot(policy);
  const r0 = meanTargetReward(policy);
  const store = freshStore();
  const { logs } = await trainRloo({
    policy, tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
    config: { steps: 30, promptsPerStep: 4, samplesPerPrompt: 4, maxNewTokens: 6, lr: 1e-2, beta: 0.01, saveEvery: 10, seed: 2 },
  });
  store.close();
  const r1 = meanTargetReward(policy);
  console.log(`rloo: reward ${r0.toFixed(3)} → ${r1.toFixed(3)}`);
  assert.ok(r1 > r0 + 0.3, `mean reward ${r0} → ${r1}`);
  assert.deepEqual(changed(policy, before).sort(), [...before.keys()].sort());
  assert.deepEqual(store.completedStages(), ['step-10', 'step-20', 'step-30']);
  for (const l of logs) assert.ok(l.ratioDeviation < 1e-5, `step ${l.step}: ratio deviation ${l.ratioDeviation}`);
});

test('rloo folds β·KL into each sample\'s reward before the leave-one-out baseline', async () => {
  const store = freshStore();
  const { logs } = await trainRloo({
    policy: tinyModel(22), tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
    config: { steps: 3, promptsPerStep: 2, samplesPerPrompt: 3, maxNewTokens: 4, lr: 5e-2, beta: 0.5, saveEvery: 0, seed: 4 },
  });
  store.close();
  for (const l of logs) assert.ok(Math.abs(l.reward - (l.score - 0.5 * l.kl)) < 1e-9, `step ${l.step}`);
  assert.ok(Math.abs(logs[0]!.kl) < 1e-5, 'step 1 samples from the reference itself');
  assert.ok(logs.at(-1)!.kl > 1e-3, 'later steps sample from a policy that moved');
  const rec = store.readSamples('step-3');
  for (let g = 0; g < rec.length; g += 3) {
    // Leave-one-out advantages of a group sum to zero.
    const s = rec.slice(g, g + 3).reduce((a, r) => a + (r['advantage'] as number), 0);
    assert.ok(Math.abs(s) < 1e-9, `group ${g / 3}: advantages sum to ${s}`);
  }
});
