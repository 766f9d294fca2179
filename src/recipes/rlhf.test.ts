import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { rewardHackingCheck, type PolicyRow, type RlhfDemoResult } from './rlhf.js';
import { tempDir } from '../io/temp-dir.test.js';

const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const frac = (v: number) => assert.ok(v >= 0 && v <= 1, `${v} is not a fraction`);

test('alignkit demo rlhf --tiny --json: reward models, PPO, DPO and the evaluation all ran', () => {
  const out = join(tempDir('rlhf-'), 'run');
  const r = spawnSync(process.execPath, [main, 'demo', 'rlhf', '--tiny', '--json', '--quiet', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Omit<RlhfDemoResult, 'config'> & { out: string };
  assert.deepEqual(res.reward_models.map((m) => m.fraction), [0.1, 0.25, 1]);
  for (const m of res.reward_models) { frac(m.heldout_accuracy); assert.ok(m.pairs >= 2 && m.test_pairs > 0); }
  assert.ok(res.reward_models[0]!.pairs < res.reward_models[2]!.pairs);
  assert.equal(res.setup.train_pairs, res.reward_models[2]!.pairs);
  assert.equal(res.ppo.available, true);
  assert.equal(res.ppo.steps, 2);
  assert.ok(Number.isFinite(res.ppo.last!.score!) && Number.isFinite(res.ppo.last!.kl!));
  assert.equal(res.dpo.steps, 4);
  frac(res.dpo.eval_accuracy!);
  assert.deepEqual(res.policies.map((p) => p.method), ['reference', 'ppo', 'dpo']);
  for (const p of res.policies) {
    for (const v of [p.rm_score, p.afinn, p.vader, p.kl]) assert.ok(Number.isFinite(v), `${p.method}: ${v}`);
    assert.ok(p.vader >= -1 && p.vader <= 1);
    assert.ok(p.samples > 0);
  }
  assert.ok(Math.abs(res.policies[0]!.kl) < 1e-3, 'the reference has no KL to itself');
  assert.equal(typeof res.reward_hacking.detected, 'boolean');
  assert.ok(res.seconds > 0);

  // --resume on a finished run redoes nothing and reports the same figures.
  const again = spawnSync(process.execPath, [main, 'demo', 'rlhf', '--tiny', '--json', '--quiet', '--resume', '--out', out], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  const res2 = JSON.parse(again.stdout) as typeof res;
  assert.deepEqual(res2.reward_models, res.reward_models);
  assert.deepEqual(res2.policies, res.policies);
  // Without --resume the directory is not overwritten.
  const refuse = spawnSync(process.execPath, [main, 'demo', 'rlhf', '--tiny', '--quiet', '--out', out], { encoding: 'utf8' });
  assert.notEqual(refuse.status, 0);
});

test('the reward-hacking check warns when the reward model rises while the annotator or the judge falls', () => {
  const row = (method: PolicyRow['method'], rm: number, afinn: number, vader: number): PolicyRow => ({ method, rm_score: rm, afinn, vader, kl: 0, samples: 1 });
  const ref = row('reference', 0, 0.5, 0.1);
  assert.equal(rewardHackingCheck(ref, row('ppo', 1, 1, 0.3)).detected, false);
  const hacked = rewardHackingCheck(ref, row('ppo', 1, 0.2, 0.3));
  assert.equal(hacked.detected, true);
  assert.match(hacked.message, /reward hacking under PPO/);
  assert.equal(rewardHackingCheck(ref, row('dpo', 1, 0.9, -0.2)).detected, true);
  assert.equal(rewardHackingCheck(ref, row('dpo', -1, 0.9, -0.2)).detected, true, 'AFINN up while VADER down: the judge disagrees');
});
