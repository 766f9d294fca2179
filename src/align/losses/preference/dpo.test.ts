import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../../autograd/index.js';
import { Rng, tensor, type Tensor } from '../../../tensor/index.js';
import { dpoLoss, type DpoOptions } from './dpo.js';
import { DPO_LOSS_NAMES, type DpoLossType } from './dpo-loss-types.js';

const close = (a: number, b: number, tol = 1e-4, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const logSig = (x: number) => -Math.log1p(Math.exp(-x));

function numericGrad(f: (x: Tensor) => Tensor, values: number[], h = 1e-2): number[] {
  return values.map((_, i) => {
    const at = (d: number) => noGrad(() => f(tensor(values.map((v, j) => (j === i ? v + d : v)))).item());
    return (at(h) - at(-h)) / (2 * h);
  });
}

// Summed completion log-probabilities of realistic size; policy = reference at initialisation.
const pc = [-42.5, -17.25, -88.0], pr = [-40.0, -23.5, -91.75];

test('sigmoid, cDPO and robust DPO give ln 2 at initialisation (policy = reference)', () => {
  for (const opts of [{}, { lossType: 'cdpo', labelSmoothing: 0.1 }, { lossType: 'robust', labelSmoothing: 0.2 }, { beta: 0.5, labelSmoothing: 0.3 }] as DpoOptions[]) {
    const out = dpoLoss(tensor(pc), tensor(pr), pc, pr, opts);
    close(out.loss.item(), Math.LN2, 1e-4, JSON.stringify(opts));
    assert.deepEqual(out.margins, [0, 0, 0]);
    assert.equal(out.accuracy, 0);
  }
});

test('IPO at initialisation is (1/(2β))²', () => {
  for (const beta of [0.1, 0.5, 1]) {
    close(dpoLoss(tensor(pc), tensor(pr), pc, pr, { lossType: 'ipo', beta }).loss.item(), (1 / (2 * beta)) ** 2, 1e-4, `β=${beta}`);
  }
});

test('known values away from initialisation, and the implicit-reward metrics', () => {
  const beta = 0.2, eps = 0.1;
  const polC = [-10, -5], polR = [-12, -5], refC = [-11, -5.5], refR = [-11, -4.5];
  const d = polC.map((_, i) => polC[i]! - refC[i]! - (polR[i]! - refR[i]!)); // [2, 1]
  const h = d.map((x) => beta * x);
  const avg = (f: (i: number) => number) => (f(0) + f(1)) / 2;
  const cases: [DpoOptions, number][] = [
    [{ beta }, avg((i) => -logSig(h[i]!))],
    [{ beta, lossType: 'cdpo', labelSmoothing: eps }, avg((i) => -(1 - eps) * logSig(h[i]!) - eps * logSig(-h[i]!))],
    [{ beta, lossType: 'robust', labelSmoothing: eps }, avg((i) => ((1 - eps) * -logSig(h[i]!) - eps * -logSig(-h[i]!)) / (1 - 2 * eps))],
    [{ beta, lossType: 'ipo' }, avg((i) => (d[i]! - 1 / (2 * beta)) ** 2)],
  ];
  for (const [opts, want] of cases) {
    const out = dpoLoss(tensor(polC), tensor(polR), refC, refR, opts);
    close(out.loss.item(), want, 1e-5, String(opts.lossType ?? 'sigmoid'));
    out.chosenRewards.forEach((v, i) => close(v, beta * (polC[i]! - refC[i]!), 1e-6));
    out.rejectedRewards.forEach((v, i) => close(v, beta * (polR[i]! - refR[i]!), 1e-6));
    out.margins.forEach((v, i) => close(v, h[i]!, 1e-6));
    assert.equal(out.accuracy, 1);
  }
});

test('gradients w.r.t. policy log-probabilities match finite differences for every variant', () => {
  const rng = new Rng(7);
  const n = () => Array.from({ length: 4 }, () => -20 + 4 * rng.normal());
  const polC = n(), polR = n(), refC = n(), refR = n();
  const variants: DpoOptions[] = [{ beta: 0.3 }, { beta: 0.3, lossType: 'cdpo', labelSmoothing: 0.15 },
    { beta: 0.3, lossType: 'robust', labelSmoothing: 0.15 }, { beta: 0.3, lossType: 'ipo' }];
  for (const opts of variants) {
    const c = tensor(polC, undefined, { requiresGrad: true }), r = tensor(polR, undefined, { requiresGrad: true });
    dpoLoss(c, r, refC, refR, opts).loss.backward();
    const dc = numericGrad((x) => dpoLoss(x, tensor(polR), refC, refR, opts).loss, polC);
    const dr = numericGrad((x) => dpoLoss(tensor(polC), x, refC, refR, opts).loss, polR);
    c.grad!.toArray().forEach((g, i) => close(g, dc[i]!, 2e-3, `${String(opts.lossType)} d/dchosen[${i}]`));
    r.grad!.toArray().forEach((g, i) => close(g, dr[i]!, 2e-3, `${String(opts.lossType)} d/drejected[${i}]`));
  }
});

test('gradient at initialisation is ∓β/(2B) (sigmoid DPO)', () => {
  const c = tensor(pc, undefined, { requiresGrad: true }), r = tensor(pr, undefined, { requiresGrad: true });
  dpoLoss(c, r, tensor(pc), tensor(pr), { beta: 0.1 }).loss.backward();
  c.grad!.toArray().forEach((g) => close(g, -0.1 / 6, 1e-7));
  r.grad!.toArray().forEach((g) => close(g, 0.1 / 6, 1e-7));
});

test('bad options and shapes are refused with the value named', () => {
  const c = tensor([-1, -2]), r = tensor([-1, -2]);
  assert.throws(() => dpoLoss(c, r, [-1, -2], [-1, -2], { beta: 0 }), /beta must be a positive/);
  assert.throws(() => dpoLoss(c, r, [-1, -2], [-1, -2], { lossType: 'cdpo' }), /needs labelSmoothing/);
  assert.throws(() => dpoLoss(c, r, [-1, -2], [-1, -2], { labelSmoothing: 0.5 }), /labelSmoothing must be in/);
  assert.throws(() => dpoLoss(c, r, [-1], [-1, -2]), /refChosen has shape \[1\]/);
  assert.throws(() => dpoLoss(c, r, [-1, -2], [-1, -2], { lossType: 'kto' as never }), /lossType 'kto' is none of/);
});

test('every TRL loss type: gradients w.r.t. the policy log-probabilities match finite differences', () => {
  const rng = new Rng(11);
  const n = () => Array.from({ length: 5 }, () => -20 + 4 * rng.normal());
  const polC = n(), polR = n(), refC = n(), refR = n();
  const lens = { chosenLengths: [3, 7, 1, 4, 9], rejectedLengths: [5, 2, 6, 1, 3] };
  for (const lossType of DPO_LOSS_NAMES) {
    const opts: DpoOptions = { beta: 0.3, lossType, labelSmoothing: 0.1, discopopTau: 0.5, ...lens };
    const c = tensor(polC, undefined, { requiresGrad: true }), r = tensor(polR, undefined, { requiresGrad: true });
    const out = dpoLoss(c, r, refC, refR, opts);
    assert.ok(Number.isFinite(out.loss.item()), `${lossType}: loss ${out.loss.item()}`);
    out.loss.backward();
    const dc = numericGrad((x) => dpoLoss(x, tensor(polR), refC, refR, opts).loss, polC, 1e-2);
    const dr = numericGrad((x) => dpoLoss(tensor(polC), x, refC, refR, opts).loss, polR, 1e-2);
    // sft reads the chosen completions only: no gradient reaches the rejected ones.
    (c.grad?.toArray() ?? polC.map(() => 0)).forEach((g, i) => close(g, dc[i]!, 3e-3, `${lossType} d/dchosen[${i}]`));
    (r.grad?.toArray() ?? polR.map(() => 0)).forEach((g, i) => close(g, dr[i]!, 3e-3, `${lossType} d/drejected[${i}]`));
  }
});

test('loss types combine as Σ wₖ·termₖ, and reference-free is a zero reference', () => {
  const polC = [-4, -6, -3], polR = [-5, -5.5, -7], refC = [-4.5, -6, -2], refR = [-5, -5, -6.5];
  const lens = { chosenLengths: [2, 3, 1], rejectedLengths: [2, 2, 4] };
  const one = (lossType: DpoLossType) => dpoLoss(tensor(polC), tensor(polR), refC, refR, { lossType, ...lens }).loss.item();
  const mix = dpoLoss(tensor(polC), tensor(polR), refC, refR, { lossType: ['sigmoid', 'bco_pair', 'sft'], lossWeights: [0.8, 0.2, 1], ...lens }).loss.item();
  close(mix, 0.8 * one('sigmoid') + 0.2 * one('bco_pair') + one('sft'), 1e-5);
  close(one('sft'), -(polC[0]! + polC[1]! + polC[2]!) / 6, 1e-5);
  const free = dpoLoss(tensor(polC), tensor(polR), [0, 0, 0], [0, 0, 0], { beta: 0.2 });
  const h = polC.map((c, i) => 0.2 * (c - polR[i]!));
  close(free.loss.item(), h.reduce((s, x) => s - logSig(x), 0) / 3, 1e-5);
  assert.throws(() => dpoLoss(tensor(polC), tensor(polR), refC, refR, { lossType: ['sigmoid', 'sft'], lossWeights: [1] }), /1 lossWeights for 2 loss types/);
  assert.throws(() => dpoLoss(tensor(polC), tensor(polR), refC, refR, { lossType: 'exo_pair' }), /'exo_pair' needs labelSmoothing/);
});
