import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../../autograd/index.js';
import { Rng, tensor, type Tensor } from '../../../tensor/index.js';
import { bradleyTerryLoss, preferenceAccuracy } from './bradley-terry.js';

const close = (a: number, b: number, tol = 1e-4, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

/** Central finite differences of a scalar function of x's values. */
function numericGrad(f: (x: Tensor) => Tensor, values: number[], h = 1e-2): number[] {
  return values.map((_, i) => {
    const at = (d: number) => noGrad(() => f(tensor(values.map((v, j) => (j === i ? v + d : v)))).item());
    return (at(h) - at(-h)) / (2 * h);
  });
}

test('equal rewards give ln 2 (Ouyang et al. 2022 eq. 1 at initialisation)', () => {
  const r = tensor([0.3, -1.2, 5, 0]);
  const { loss, accuracy } = bradleyTerryLoss(r, r.clone());
  close(loss.item(), Math.LN2, 1e-6);
  assert.equal(accuracy, 0);
});

test('known value: −log σ(r⁺ − r⁻ − m), averaged', () => {
  const c = [1, 0, 2], r = [0, 1, 2], m = [0, 0.5, 1];
  const want = c.map((x, i) => Math.log1p(Math.exp(-(x - r[i]! - m[i]!)))).reduce((s, x) => s + x) / 3;
  close(bradleyTerryLoss(tensor(c), tensor(r), m).loss.item(), want, 1e-6);
  close(bradleyTerryLoss(tensor(c), tensor(r), 0.5).loss.item(),
    c.map((x, i) => Math.log1p(Math.exp(-(x - r[i]! - 0.5)))).reduce((s, x) => s + x) / 3, 1e-6);
});

test('gradient w.r.t. both rewards matches finite differences, margin included', () => {
  const rng = new Rng(1);
  const c = Array.from({ length: 5 }, () => 3 * rng.normal()), r = Array.from({ length: 5 }, () => 3 * rng.normal());
  const m = [0, 1, 0.5, 2, 0];
  const rc = tensor(c, undefined, { requiresGrad: true }), rr = tensor(r, undefined, { requiresGrad: true });
  bradleyTerryLoss(rc, rr, m).loss.backward();
  const dc = numericGrad((x) => bradleyTerryLoss(x, tensor(r), m).loss, c);
  const dr = numericGrad((x) => bradleyTerryLoss(tensor(c), x, m).loss, r);
  rc.grad!.toArray().forEach((g, i) => close(g, dc[i]!, 1e-3, `d/drChosen[${i}]`));
  rr.grad!.toArray().forEach((g, i) => close(g, dr[i]!, 1e-3, `d/drRejected[${i}]`));
});

test('gradient at a zero reward gap is exactly −½/B (σ(0) = ½, not a relu kink)', () => {
  const rc = tensor([0, 0], undefined, { requiresGrad: true });
  bradleyTerryLoss(rc, tensor([0, 0])).loss.backward();
  assert.deepEqual(rc.grad!.toArray(), [-0.25, -0.25]);
});

test('huge reward gaps stay finite in value and gradient', () => {
  const rc = tensor([200, -200], undefined, { requiresGrad: true });
  const { loss } = bradleyTerryLoss(rc, tensor([0, 0]));
  close(loss.item(), 100, 1e-3);
  loss.backward();
  close(rc.grad!.data[0]!, 0, 1e-9);
  close(rc.grad!.data[1]!, -0.5, 1e-6);
});

test('accuracy counts strict wins and mismatched inputs are refused', () => {
  assert.equal(preferenceAccuracy([1, 2, 3, 0], [0, 2, 1, 1]), 0.5);
  assert.equal(bradleyTerryLoss(tensor([1, 2, 3, 0]), tensor([0, 2, 1, 1])).accuracy, 0.5);
  assert.throws(() => bradleyTerryLoss(tensor([1, 2]), tensor([1, 2, 3])), /must have one shape/);
  assert.throws(() => bradleyTerryLoss(tensor([1, 2]), tensor([1, 2]), [1, 2, 3]), /margin has shape/);
});
