import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainOnlineDpo } from './online-dpo.js';
import { checkVerdicts, loadJudgeModule, pairWinners, type PairJudge } from './judge.js';
import { changed, freshStore, meanTargetReward, payForTarget, prompts, snapshot, tinyModel, tok } from '../rollout/fixtures.test.js';

const config = { steps: 30, promptsPerStep: 4, maxNewTokens: 6, lr: 1e-2, beta: 0.1, saveEvery: 0, seed: 1 };

test('online DPO with a reward: pairs sampled and labelled each step raise the reward; every parameter changes', async () => {
  const policy = tinyModel(31), before = snapshot(policy), r0 = meanTargetReward(policy);
  const store = freshStore();
  const { logs } = await trainOnlineDpo({ policy, tokenizer: tok, prompts, label: { kind: 'reward', reward: payForTarget }, store, config, quiet: true });
  store.close();
  const r1 = meanTargetReward(policy);
  console.log(`online-dpo: reward ${r0.toFixed(3)} → ${r1.toFixed(3)}`);
  assert.ok(r1 > r0 + 0.2, `reward ${r0} → ${r1}`);
  assert.deepEqual(changed(policy, before).sort(), [...before.keys()].sort());
  assert.ok(Math.abs(logs[0]!.loss - Math.LN2) < 1e-5, `first loss ${logs[0]!.loss}: π = ref gives ln 2`);
  assert.ok(logs.every((l) => l.scoreMargin >= 0), 'the chosen completion never scores below the rejected one');
  const rec = store.readSamples('step-30');
  assert.equal(rec.length, 30 * 4 * 2, 'every sample of the block, two per prompt');
  for (let i = 0; i < rec.length; i += 2) {
    assert.equal(rec[i]!['pair'], rec[i + 1]!['pair']);
    assert.notEqual(rec[i]!['chosen'], rec[i + 1]!['chosen'], 'one of each pair is chosen');
    const winner = rec[i]!['chosen'] ? rec[i]! : rec[i + 1]!, loser = rec[i]!['chosen'] ? rec[i + 1]! : rec[i]!;
    assert.ok((winner['reward'] as number) >= (loser['reward'] as number));
  }
});

test('online DPO with a pairwise judge: the judge\'s choices are what it learns', async () => {
  // Prefers the completion with more f's: the same target as the reward, told pairwise.
  const count = (s: string) => [...s].filter((ch) => ch === 'f').length;
  const judge: PairJudge = (_p, pairs) => pairs.map(([a, b]) => (count(b) > count(a) ? 1 : 0));
  const policy = tinyModel(32), r0 = meanTargetReward(policy);
  const store = freshStore();
  await trainOnlineDpo({ policy, tokenizer: tok, prompts, label: { kind: 'judge', judge, name: 'more-f' }, store, config, quiet: true });
  store.close();
  assert.ok(meanTargetReward(policy) > r0 + 0.2, `reward ${r0} → ${meanTargetReward(policy)}`);
});

test('pair winners, judge verdicts and judge modules', async () => {
  assert.deepEqual(pairWinners([1, 0, 0.5, 0.5, 0, 2]), [true, true, false]);
  assert.throws(() => checkVerdicts('j', [0, 2], 2), /verdict 1 is 2, expected 0/);
  assert.throws(() => checkVerdicts('j', [0], 2), /returned 1 values, expected an array of 2/);
  const dir = freshStore().dir;
  const file = join(dir, 'judge.mjs');
  writeFileSync(file, 'export function judge(prompt, a, b) { return b.length > a.length ? 1 : 0; }\n');
  assert.deepEqual(await (await loadJudgeModule(file))(['p', 'q'], [['aa', 'b'], ['a', 'bbb']]), [0, 1]);
  writeFileSync(join(dir, 'none.mjs'), 'export const x = 1;\n');
  await assert.rejects(loadJudgeModule(join(dir, 'none.mjs')), /exports neither judge/);
});
