import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reinforcePpAdvantages } from './reinforce-pp.js';

const close = (a: number, b: number, tol = 1e-9, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

// Two prompts × two samples; completions of 3, 1, 2 and 2 tokens.
const scores = [1, 0, 0.5, 0.5];
const logp = [[-1, -2, -0.5], [-0.3], [-1.2, -0.7], [-2, -0.1]];
const ref = [[-1.5, -2, -0.25], [-0.4], [-1, -0.7], [-2.5, -0.3]];

/** The returns by hand: rₜ = −β(log π − log ref), the score added at the last token, summed from t on. */
function returnsByHand(shaped: number[], beta: number): number[][] {
  return logp.map((row, b) => row.map((_, t) => {
    let g = 0;
    for (let s = t; s < row.length; s++) g += -beta * (row[s]! - ref[b]![s]!) + (s === row.length - 1 ? shaped[b]! : 0);
    return g;
  }));
}

test('REINFORCE++: KL-penalised rewards-to-go, whitened over every token of the batch', () => {
  const beta = 0.1;
  const out = reinforcePpAdvantages(scores, logp, ref, { beta });
  const want = returnsByHand(scores, beta);
  out.returns.forEach((row, b) => row.forEach((g, t) => close(g, want[b]![t]!, 1e-9, `G[${b}][${t}]`)));
  const flat = want.flat(), mu = flat.reduce((s, x) => s + x, 0) / flat.length;
  const sd = Math.sqrt(flat.reduce((s, x) => s + (x - mu) ** 2, 0) / flat.length);
  out.advantages.forEach((row, b) => row.forEach((a, t) => close(a, (want[b]![t]! - mu) / sd, 1e-6, `A[${b}][${t}]`)));
  assert.deepEqual(out.advantages.map((r) => r.length), [3, 1, 2, 2]);
  const all = out.advantages.flat();
  close(all.reduce((s, x) => s + x, 0) / all.length, 0, 1e-9, 'mean');
  close(out.kl[0]![0]!, 0.5, 1e-12, 'k1 KL');
});

test('REINFORCE++-baseline: each prompt\'s mean score is subtracted first; a group of equal scores is left only the KL', () => {
  const beta = 0.05;
  const out = reinforcePpAdvantages(scores, logp, ref, { beta, baseline: true, groupSize: 2 });
  assert.deepEqual(out.shaped, [0.5, -0.5, 0, 0]);
  const want = returnsByHand([0.5, -0.5, 0, 0], beta);
  out.returns.forEach((row, b) => row.forEach((g, t) => close(g, want[b]![t]!, 1e-9, `G[${b}][${t}]`)));
  assert.throws(() => reinforcePpAdvantages(scores, logp, ref, { beta, baseline: true, groupSize: 3 }), /do not split into groups of 3/);
  assert.throws(() => reinforcePpAdvantages(scores, logp.slice(1), ref, { beta }), /4 scores, 3 rows/);
});
