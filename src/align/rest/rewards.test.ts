import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { Transformer, addScalarHead, defaultConfig, saveModelDir } from '../../model/index.js';
import { g2pPerVerifier, g2pProblem, g2pVerifier } from '../../data/tasks/builtin/g2p.js';
import type { RewardMeta } from '../trainer/reward-fn.js';
import { firstLine, metricReward, metricScore, normaliseRewards, parseRewardSpec } from './rewards.js';
import { tempDir } from '../../io/temp-dir.test.js';

const read = g2pProblem('read')!; // R EH D, or R IY D
const cat = g2pProblem('cat')!; // K AE T
const meta = (ids: string[]): RewardMeta => ({ promptIds: ids, completionTokens: ids.map(() => []), finishReasons: ids.map(() => 'stop' as const) });

test('1 − PER matches the g2p task\'s graded verifier, alternatives included', async () => {
  for (const [p, c] of [[cat, 'K AE T'], [cat, 'K AH T'], [cat, 'K AE T S IH'], [read, 'R IY D'], [read, 'R EY D'], [cat, '']] as const) {
    assert.equal(metricScore('per', firstLine(c), [p.reference!, ...((p.meta?.['alternatives'] as string[] | undefined) ?? [])]), (await g2pPerVerifier.verify(p, c)).reward, `${p.id}: ${c}`);
  }
});

test('metric rewards score the first line against the best reference, row by prompt id', async () => {
  const notes: unknown[] = [];
  const r = await metricReward([cat, read], 'chrf')(['cat\n', 'read\n'], ['K AE T\nextra', 'R IY D'], { ...meta([cat.id, read.id]), notes });
  assert.deepEqual(r, [1, 1]);
  assert.deepEqual(notes[0], { metric: 'chrf', scored: 'K AE T' });
  // chrF recall cannot tell a hedge from the answer: both score 1, while chrF and 1 − PER fall.
  const hedge = 'K AE T K AH T';
  assert.equal(metricScore('chrf-recall', hedge, ['K AE T']), 1);
  assert.ok(metricScore('chrf', hedge, ['K AE T']) < 1 && metricScore('per', hedge, ['K AE T']) === 0);
  // Unclipped phoneme recall prefers an answer padded with reference phonemes to the answer itself.
  assert.ok(Math.abs(metricScore('recall-unclipped', 'K AE T', ['K AE T']) - 0.8) < 1e-12);
  assert.equal(metricScore('recall-unclipped', 'K AE T T', ['K AE T']), 1);
  assert.ok(Math.abs(metricScore('recall-unclipped', 'K AH T', ['K AE T']) - (2 / 3) / 1.25) < 1e-12);
  assert.ok(metricScore('per', 'K AE T T', ['K AE T']) < metricScore('per', 'K AE T', ['K AE T']));
  await assert.rejects(metricReward([cat], 'bleu')(['x'], ['y'], meta(['nope'])), /prompt id "nope"/);
});

test('reward specs: single terms, weighted sums and errors that name the term', async () => {
  const one = parseRewardSpec('per', [cat], g2pVerifier);
  assert.ok(one.bounded);
  assert.deepEqual(await one.reward(['cat\n'], ['K AH T'], meta([cat.id])), [1 - 1 / 3]);
  const mix = parseRewardSpec('0.5*verifier + 0.5*per', [cat], g2pVerifier);
  assert.ok(mix.bounded);
  const [v] = await mix.reward(['cat\n'], ['K AH T'], meta([cat.id]));
  assert.ok(Math.abs(v! - 0.5 * (1 - 1 / 3)) < 1e-12);
  assert.ok(!parseRewardSpec('2*per', [cat], g2pVerifier).bounded, 'a sum that can pass 1 must be normalised');
  assert.throws(() => parseRewardSpec('per+wer', [cat], g2pVerifier), /unknown reward "wer"/);
  assert.throws(() => parseRewardSpec('rm:/nonexistent/rm', [cat], g2pVerifier), /config\.json/);
});

test('a reward-model directory (rm:<dir>) scores prompt + completion and is marked unbounded', async () => {
  const dir = join(tempDir('rest-rm-'), 'rm');
  const tok = new ByteTokenizer();
  const rm = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 3);
  addScalarHead(rm, 'score');
  saveModelDir(dir, rm, { tokenizer: tok });
  const parsed = parseRewardSpec(`0.5*per+0.5*rm:${dir}`, [cat], g2pVerifier);
  assert.equal(parsed.bounded, false, 'an RM score needs normalising (sigmoid or minmax)');
  const [a, b] = await parsed.reward(['cat\n', 'cat\n'], ['K AE T', 'K AH T'], meta([cat.id, cat.id]));
  assert.ok(Number.isFinite(a) && Number.isFinite(b) && a !== b);
});

test('normalisation maps raw rewards into [0, 1]', () => {
  assert.deepEqual(normaliseRewards([-0.5, 0.25, 2], 'clip'), [0, 0.25, 1]);
  assert.deepEqual(normaliseRewards([1, 3, 2], 'minmax'), [0, 1, 0.5]);
  assert.deepEqual(normaliseRewards([0.3, 0.3], 'minmax'), [0.5, 0.5]);
  assert.equal(normaliseRewards([0], 'sigmoid')[0], 0.5);
  assert.throws(() => normaliseRewards([NaN], 'clip'), /reward 0 is NaN/);
});
