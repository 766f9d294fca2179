import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afinnAnnotator, afinnScore, afinnWords, bradleyTerryAnnotator, vaderScore } from './sentiment.js';

test('afinn and vader agree on the sign of plainly positive and negative text', () => {
  assert.ok(afinnScore('good great happy') > 0);
  assert.ok(afinnScore('bad awful sad') < 0);
  assert.ok(vaderScore('good great happy') > 0.05);
  assert.ok(vaderScore('bad awful sad') < -0.05);
  assert.equal(afinnScore(''), 0);
  assert.equal(vaderScore(''), 0);
});

test('afinnScore sums word ratings, matches phrases first and can average over words', () => {
  // AFINN-111: good 3, great 3, happy 3; bad −3, awful −3, sad −2.
  assert.equal(afinnScore('Good, GREAT... happy!'), 9);
  assert.equal(afinnScore('bad awful sad'), -8);
  assert.equal(afinnScore('the movie was good', { mode: 'mean' }), 3 / 4);
  // "not good" is a phrase rated −2, not −2 + 3; "can't stand" (−3) with a curly apostrophe.
  assert.equal(afinnScore('not good'), -2);
  assert.equal(afinnScore('I can\u2019t stand it'), -3);
  // A hyphenated word in the list counts once; one that is not is scored by its parts.
  assert.equal(afinnScore('a cover-up'), -3);
  assert.equal(afinnScore('good-happy'), 6);
  assert.deepEqual(afinnWords("It's a cover-up, naïve!"), ["it's", 'a', 'cover-up', 'naïve']);
  assert.throws(() => afinnScore('x', { mode: 'max' as 'sum' }), /mode must be 'sum' or 'mean', got "max"/);
});

test('the annotator prefers a with empirical rate σ(β·Δ) on synthetic scores', () => {
  const beta = 0.7, n = 20000;
  for (const delta of [-3, -1, 0, 0.5, 2]) {
    const ann = bradleyTerryAnnotator(Number, { beta, seed: 11 });
    let wins = 0;
    for (let i = 0; i < n; i++) if (ann.judge(String(delta), '0').preferA) wins++;
    const p = 1 / (1 + Math.exp(-beta * delta));
    // Four binomial standard deviations.
    const tol = 4 * Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(wins / n - p) <= tol, `Δ=${delta}: rate ${wins / n} vs σ(βΔ) = ${p.toFixed(4)} ± ${tol.toFixed(4)}`);
  }
});

test('afinnAnnotator: seeded, labels into {prompt, chosen, rejected}, β = 0 is a coin and large β is greedy', () => {
  const pairs = Array.from({ length: 200 }, (_, i) => [`a good day ${i}`, `a bad day ${i}`] as const);
  const run = (seed: number, beta: number) => {
    const ann = afinnAnnotator({ beta, seed });
    return pairs.map(([a, b]) => ann.label('p', a, b).chosen === a);
  };
  assert.deepEqual(run(3, 0.3), run(3, 0.3), 'same seed, same labels');
  assert.notDeepEqual(run(3, 0.3), run(4, 0.3));
  assert.ok(run(0, 50).every(Boolean), 'a near-deterministic annotator always picks the positive text');
  const coin = run(0, 0).filter(Boolean).length / pairs.length;
  assert.ok(coin > 0.35 && coin < 0.65, `β = 0 prefers "good" ${coin} of the time`);
  const j = afinnAnnotator({ beta: 1 }).judge('good', 'bad');
  assert.equal(j.scoreA, 3);
  assert.equal(j.scoreB, -3);
  assert.ok(Math.abs(j.pA - 1 / (1 + Math.exp(-6))) < 1e-12);
  assert.throws(() => afinnAnnotator({ beta: -1 }), /beta must be a finite number ≥ 0, got -1/);
});
