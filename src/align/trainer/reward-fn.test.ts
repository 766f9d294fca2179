import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { addScalarHead, saveModelDir, scalarAtLast } from '../../model/index.js';
import { Tensor } from '../../tensor/index.js';
import { binaryVerdict, type Verifier } from '../../rewards/verifier.js';
import type { Problem } from '../../data/tasks/task.js';
import { verifierReward, weightedReward, type RewardMeta } from './reward-fn.js';
import { loadRewardModel, rewardModelReward } from '../reward/reward-fn-model.js';
import { tinyModel, tok } from '../rollout/fixtures.test.js';

const meta = (ids: string[]): RewardMeta => ({ promptIds: ids, completionTokens: ids.map(() => []), finishReasons: ids.map(() => 'stop' as const) });

const problems: Problem[] = [{ id: 'x', prompt: 'say f\n', answer: 'f' }, { id: 'y', prompt: 'say g\n', answer: 'g' }];
const startsWith: Verifier = {
  name: 'starts-with',
  verify: async (p, c) => binaryVerdict(c.startsWith(p.answer!), c.slice(0, 1), `expected ${p.answer}`),
};

test('a verifier reward grades each completion against its own problem and says why', async () => {
  const fn = verifierReward(problems, startsWith);
  const m = { ...meta(['x', 'y', 'x']), notes: [] as unknown[] };
  assert.deepEqual(await fn(['say f\n', 'say g\n', 'say f\n'], ['fa', 'fa', 'b'], m), [1, 0, 0]);
  assert.deepEqual(m.notes[1], { correct: false, extracted: 'f', detail: 'expected g' });
  await assert.rejects(fn(['?'], ['f'], meta(['nope'])), /prompt id "nope"/);
  await assert.rejects(fn(['a', 'b'], ['f'], meta(['x'])), /prompts has 2 entries/);
});

test('a weighted reward sums its parts and keeps each part in the notes', async () => {
  const length = async (_p: string[], c: string[]) => c.map((x) => x.length);
  const fn = weightedReward([{ name: 'correct', fn: verifierReward(problems, startsWith), weight: 2 }, { name: 'length', fn: length, weight: -0.1 }]);
  const m = { ...meta(['x', 'y']), notes: [] as unknown[] };
  const r = await fn(['', ''], ['fab', 'g'], m);
  assert.ok(Math.abs(r[0]! - (2 - 0.3)) < 1e-12 && Math.abs(r[1]! - (2 - 0.1)) < 1e-12);
  assert.deepEqual((m.notes[0] as Record<string, { reward: number }>)['length']!.reward, 3);
  await assert.rejects(weightedReward([{ name: 'bad', fn: async () => [NaN], weight: 1 }])([''], [''], meta(['x'])), /reward 0 is NaN/);
});

test('a reward model scores prompt + completion + EOS at its last token, from a directory too', async () => {
  const rm = tinyModel(5);
  addScalarHead(rm, 'score');
  const prompts = ['ab', 'c', 'hgf'], completions = ['c', 'hhd', ''];
  const m = meta(['1', '2', '3']);
  const alone = prompts.map((p, i) => {
    const q = [...tok.encode(p), ...tok.encode(completions[i]!), tok.eos!];
    return scalarAtLast(rm, rm.hidden(new Tensor(Int32Array.from(q), [1, q.length])), [q.length - 1]).item();
  });
  const scores = await rewardModelReward(rm, tok, { batchSize: 2 })(prompts, completions, m);
  scores.forEach((s, i) => assert.ok(Math.abs(s - alone[i]!) < 1e-5, `text ${i}: ${s} vs ${alone[i]}`));
  assert.ok(new Set(scores.map((x) => x.toFixed(4))).size === 3, 'scores differ between texts');

  const dir = join(mkdtempSync(join(tmpdir(), 'alignkit-rm-')), 'rm');
  saveModelDir(dir, rm, { tokenizer: tok });
  const loaded = loadRewardModel(dir);
  const again = await loaded.reward(prompts, completions, m);
  rmSync(dirname(dir), { recursive: true, force: true });
  again.forEach((s, i) => assert.ok(Math.abs(s - scores[i]!) < 1e-6));
  assert.throws(() => rewardModelReward(tinyModel(1), tok), /no "score" head/);
});
