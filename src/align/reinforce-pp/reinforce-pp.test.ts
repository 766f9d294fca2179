import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainReinforcePp } from './reinforce-pp.js';
import { resolveReinforcePpConfig } from './config.js';
import { changed, freshStore, meanTargetReward, payForTarget, prompts, snapshot, tinyModel, tok } from '../rollout/fixtures.test.js';

for (const baseline of [false, true]) {
  test(`REINFORCE++${baseline ? '-baseline' : ''} raises a toy reward and changes every parameter`, async () => {
    const policy = tinyModel(21);
    const before = snapshot(policy), r0 = meanTargetReward(policy);
    const store = freshStore();
    const { logs } = await trainReinforcePp({
      policy, tokenizer: tok, prompts, reward: payForTarget, store, quiet: true,
      config: { steps: 30, promptsPerStep: 4, samplesPerPrompt: 4, maxNewTokens: 6, lr: 1e-2, beta: 0.01, baseline, epochs: 2, minibatchSize: 8, saveEvery: 0, seed: 2 },
    });
    store.close();
    const r1 = meanTargetReward(policy);
    console.log(`reinforce-pp${baseline ? ' baseline' : ''}: reward ${r0.toFixed(3)} → ${r1.toFixed(3)}`);
    assert.ok(r1 > r0 + 0.2, `reward ${r0} → ${r1}`);
    assert.deepEqual(changed(policy, before).sort(), [...before.keys()].sort());
    assert.ok(logs.every((l) => l.ratioDeviation < 1e-5), 'the first minibatch starts at ratio 1');
  });
}

test('reinforce-pp config: the baseline needs a group', () => {
  assert.throws(() => resolveReinforcePpConfig({ baseline: true, samplesPerPrompt: 1 }), /baseline needs samplesPerPrompt ≥ 2/);
});
