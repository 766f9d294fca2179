import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../data/prng.js';
import { applyThreshold, checkSchedule, parseSchedule, type FilterItem, type ThresholdSchedule } from './thresholds.js';

/** 20 prompts × 8 samples of random rewards (some exactly 0 or 1), plus one data example per prompt. */
function grown(seed = 1): FilterItem[] {
  const rand = mulberry32(seed);
  const items: FilterItem[] = [];
  for (let p = 0; p < 20; p++) {
    for (let j = 0; j < 8; j++) {
      const u = rand();
      items.push({ promptId: `p${p}`, reward: u < 0.1 ? 0 : u > 0.9 ? 1 : Math.round(u * 20) / 20, source: 'policy' });
    }
    items.push({ promptId: `p${p}`, reward: 0.5 + 0.5 * rand(), source: 'data' });
  }
  return items;
}

const keptSet = (items: FilterItem[], s: ThresholdSchedule, step: number) => applyThreshold(items, s, step).kept;

test('fixed thresholds keep R > τ (the paper\'s filter), and the kept set shrinks as τ rises', () => {
  const items = grown();
  const s: ThresholdSchedule = { kind: 'fixed', thresholds: [0, 0.7, 0.8, 0.9, 0.95] };
  let prev: boolean[] | null = null;
  for (let i = 0; i < 5; i++) {
    const kept = keptSet(items, s, i);
    kept.forEach((k, j) => assert.equal(k, items[j]!.reward > s.thresholds[i]!));
    if (prev) {
      kept.forEach((k, j) => assert.ok(!k || prev![j], `item ${j} kept at step ${i + 1} but not at step ${i}`));
      assert.ok(kept.filter(Boolean).length <= prev.filter(Boolean).length);
    }
    prev = kept;
  }
});

test('per-prompt percentile keeps the stated share of each prompt\'s samples', () => {
  // Positive, distinct-enough rewards: 8 samples per prompt.
  const rand = mulberry32(7);
  const items: FilterItem[] = [];
  for (let p = 0; p < 10; p++) for (let j = 0; j < 8; j++) items.push({ promptId: `p${p}`, reward: 0.05 + 0.95 * Math.round(rand() * 4) / 4, source: 'policy' });
  const s: ThresholdSchedule = { kind: 'percentile', percentiles: [0, 50, 75, 87.5] };
  const want = [8, 4, 2, 1];
  let prev: boolean[] | null = null;
  for (let i = 0; i < 4; i++) {
    const res = applyThreshold(items, s, i);
    for (let p = 0; p < 10; p++) {
      const mine = items.map((it, j) => ({ it, k: res.kept[j]! })).filter((x) => x.it.promptId === `p${p}`);
      assert.equal(mine.filter((x) => x.k).length, want[i], `prompt ${p}, percentile ${s.percentiles[i]}`);
      // Every kept sample is at least as good as every dropped one.
      const minKept = Math.min(...mine.filter((x) => x.k).map((x) => x.it.reward));
      assert.ok(mine.filter((x) => !x.k).every((x) => x.it.reward <= minKept));
      assert.equal(res.thresholds.get(`p${p}`), minKept);
    }
    if (prev) res.kept.forEach((k, j) => assert.ok(!k || prev![j], 'nested'));
    prev = res.kept;
  }
});

test('interpolated per-prompt thresholds τ = γ·max + (1 − γ)·mean shrink the kept set as γ rises', () => {
  const items = grown(3);
  const s: ThresholdSchedule = { kind: 'interpolate', gammas: [0, 0.5, 0.9, 1] };
  let prev: boolean[] | null = null;
  for (let i = 0; i < 4; i++) {
    const res = applyThreshold(items, s, i);
    const r0 = items.filter((it) => it.promptId === 'p0' && it.source === 'policy').map((it) => it.reward);
    const g = s.gammas[i]!;
    assert.ok(Math.abs(res.thresholds.get('p0')! - (g * Math.max(...r0) + (1 - g) * r0.reduce((a, b) => a + b, 0) / r0.length)) < 1e-12);
    res.kept.forEach((k, j) => {
      const it = items[j]!;
      assert.equal(k, it.reward >= res.thresholds.get(it.promptId)! && it.reward > 0, `item ${j}`);
      if (prev) assert.ok(!k || prev[j], 'nested');
    });
    prev = res.kept;
  }
  // γ = 1 keeps exactly each prompt's best samples (ties included) when they are above 0.
  const best = applyThreshold(items, s, 3);
  for (let p = 0; p < 20; p++) {
    const pol = items.map((it, j) => ({ it, k: best.kept[j]! })).filter((x) => x.it.promptId === `p${p}` && x.it.source === 'policy');
    const max = Math.max(...pol.map((x) => x.it.reward));
    pol.forEach((x) => assert.equal(x.k, x.it.reward === max && max > 0));
  }
});

test('all-zero prompts keep nothing under the per-prompt rules; all-perfect prompts keep everything', () => {
  const items: FilterItem[] = [
    ...Array.from({ length: 4 }, () => ({ promptId: 'zero', reward: 0, source: 'policy' as const })),
    ...Array.from({ length: 4 }, () => ({ promptId: 'one', reward: 1, source: 'policy' as const })),
  ];
  for (const s of [{ kind: 'interpolate', gammas: [0.5] }, { kind: 'percentile', percentiles: [0] }] as ThresholdSchedule[]) {
    assert.deepEqual(applyThreshold(items, s, 0).kept, [false, false, false, false, true, true, true, true]);
  }
});

test('schedules parse from the command line and are checked', () => {
  assert.deepEqual(parseSchedule('0,0.7,0.8'), { kind: 'fixed', thresholds: [0, 0.7, 0.8] });
  assert.deepEqual(parseSchedule('percentile:0,50,75'), { kind: 'percentile', percentiles: [0, 50, 75] });
  assert.deepEqual(parseSchedule('interpolate: 0, 0.5'), { kind: 'interpolate', gammas: [0, 0.5] });
  assert.throws(() => parseSchedule('median:1'), /expected fixed/);
  assert.throws(() => checkSchedule({ kind: 'fixed', thresholds: [0.7, 0.5, 0.9] }, 3), /must not fall/);
  assert.throws(() => checkSchedule({ kind: 'fixed', thresholds: [0.7] }, 3), /1 values .* for 3 Improve steps/);
  assert.throws(() => checkSchedule({ kind: 'fixed', thresholds: [1] }, 1), /keeps nothing at τ = 1/);
  assert.throws(() => applyThreshold([{ promptId: 'a', reward: 3, source: 'policy' }], { kind: 'fixed', thresholds: [0] }, 0), /normalised/);
});
