import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  calibrate, defaultSerSelectConfig, poolAccuracy, pseudoLabelPrecision, selectPairs, selectStatus1, selectStatus2, sigmoid, type SerSelectConfig,
} from './select.js';

const cfg = (over: Partial<SerSelectConfig> = {}): SerSelectConfig => ({ ...defaultSerSelectConfig, minPairs: 2, ...over });
const logit = (p: number) => Math.log(p / (1 - p));

test('status 1 (sigmoid-each): keeps pairs with one σ > hi and the other < lo; chosen is the higher-scored', () => {
  const za = [logit(0.6), logit(0.3), logit(0.5), logit(0.9), 1, 0.1];
  const zb = [logit(0.4), logit(0.7), logit(0.4), logit(0.6), 1, -0.1];
  const picks = selectStatus1(za, zb, cfg());
  assert.deepEqual(picks.map((p) => [p.index, p.chosen]), [[0, 'a'], [1, 'b']]);
  // 0.5 vs 0.4: 0.5 is not above 0.55; 0.9 vs 0.6: 0.6 is not below 0.45; ties never
  for (const p of picks) assert.ok((p.chosen === 'a' ? za[p.index]! > zb[p.index]! : zb[p.index]! > za[p.index]!));
});

test('status 1 (sigmoid-diff): σ(|Δ|) ≥ diffThreshold', () => {
  const c = cfg({ criterion: 'sigmoid-diff', status1: { ...defaultSerSelectConfig.status1, diffThreshold: sigmoid(1) } });
  const picks = selectStatus1([0, 2, -1.5, 0.5], [1.2, 1.5, 0, 0], c);
  assert.deepEqual(picks.map((p) => [p.index, p.chosen]), [[0, 'b'], [2, 'b']]);
});

test('status 2: |Δ| ≥ margin, on σ for sigmoid-each and on calibrated scores for sigmoid-diff', () => {
  const za = [logit(0.95), logit(0.6), logit(0.2), logit(0.5)];
  const zb = [logit(0.6), logit(0.55), logit(0.55), logit(0.5)];
  assert.deepEqual(selectStatus2(za, zb, cfg()).map((p) => [p.index, p.chosen]), [[0, 'a'], [2, 'b']]);
  assert.deepEqual(selectStatus2([0, 1, 0], [0.2, 0, 0.35], cfg({ criterion: 'sigmoid-diff' })).map((p) => p.index), [1, 2]);
});

test('selectPairs: status 1 while it finds minPairs, then status 2, then stop; never back to status 1', () => {
  // Raw scores on any scale: calibration makes them z-scores first.
  const sa = [10, -10, 0.1, 3], sb = [-10, 10, 0, -3];
  const s1 = selectPairs(sa, sb, 1, cfg());
  assert.equal(s1.status, 1);
  assert.ok(s1.picks.length >= 2);
  // A pool where nothing separates clearly by σ-each but differences exceed the margin in σ space.
  const a2 = [3, 2, 0.01, -0.01], b2 = [1, 0.5, -0.01, 0.01];
  const { za, zb } = calibrate(a2, b2);
  const n1 = selectStatus1(za, zb, cfg()).length;
  const s2 = selectPairs(a2, b2, 1, cfg({ minPairs: n1 + 1 }));
  assert.equal(s2.status, 2, JSON.stringify(s2));
  assert.equal(s2.counts.status1, n1);
  // From status 2, status 1 is not tried again.
  assert.equal(selectPairs(sa, sb, 2, cfg()).counts.status1, null);
  // Nothing confident: stop, with a reason and no picks.
  // (calibration is over the whole pool: small gaps inside pairs stay small when the pool spreads widely)
  const st = selectPairs([5, -5, 0.001], [5.001, -5, 0], 1, cfg());
  assert.equal(st.status, null);
  assert.equal(st.picks.length, 0);
  assert.match(st.stop!, /fewer than minPairs 2/);
  assert.match(selectPairs([], [], 1, cfg()).stop!, /empty/);
});

test('calibration makes selection independent of the reward scale and offset', () => {
  const sa = [1, -2, 0.3, 2, -0.5], sb = [-1, 1, 0.2, -1, 0.4];
  const a = selectPairs(sa, sb, 1, cfg()), b = selectPairs(sa.map((x) => 100 * x + 7), sb.map((x) => 100 * x + 7), 1, cfg());
  assert.deepEqual(a, b);
});

test('maxPerLoop keeps the most confident picks; precision and pool accuracy against hidden labels', () => {
  const sa = [5, -5, 3, 0], sb = [-5, 5, -3, 0.1];
  const all = selectPairs(sa, sb, 2, cfg({ minPairs: 1 }));
  const top = selectPairs(sa, sb, 2, cfg({ minPairs: 1, maxPerLoop: 2 }));
  assert.deepEqual(top.picks.map((p) => p.index), [0, 1]);
  assert.ok(all.picks.length > 2);
  const truth = ['a', 'a', undefined, 'b'] as const;
  assert.equal(pseudoLabelPrecision(top.picks, truth), 0.5);
  assert.equal(pseudoLabelPrecision([], truth), null);
  assert.equal(poolAccuracy(sa, sb, truth), 2 / 3);
  assert.equal(poolAccuracy([1, 1], [1, 0], ['a', 'a']), 0.75);
  assert.equal(poolAccuracy(sa, sb, [undefined, undefined, undefined, undefined]), null);
  assert.throws(() => selectPairs([1], [1, 2], 1, cfg()), /one pair each/);
});
