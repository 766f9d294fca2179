// What every loss family shares: the two input layouts, the boundary checks, and three pieces of
// math the engine has no single op for (softplus, clamp, elementwise max). Each is built from
// `where` and the unary ops so that its gradient is exact, including at the ties and at x = 0
// where a relu/abs formulation would give the wrong derivative (σ(0) = ½, not 0).
import { add, div, exp, log, mul, neg, sum, where } from '../../ops/index.js';
import { Tensor, shapeStr, tensor } from '../../tensor/index.js';

/** Per-row numbers, B rows of T values, responses right-padded: the bookkeeping layout. */
export type Rows = readonly (readonly number[])[];

/** A constant input of a loss: a tensor (detached: no gradient flows into it) or plain numbers. */
export type Values = Tensor | Rows | readonly number[];

/** Equal up to axes of size 1: (B), (B, 1) and (1, B) all hold the same B values. */
function sameValues(a: readonly number[], b: readonly number[]): boolean {
  const sa = a.filter((d) => d !== 1), sb = b.filter((d) => d !== 1);
  return sa.length === sb.length && sa.every((d, i) => d === sb[i]);
}

/**
 * `x` as a detached float32 tensor of `shape` (a (B) input may stand for (B, 1) and the like);
 * throws naming `op` and `what` otherwise.
 */
export function constant(op: string, what: string, x: Values, shape: readonly number[]): Tensor {
  let t: Tensor;
  if (x instanceof Tensor) {
    if (x.dtype !== 'float32') throw new TypeError(`${op}: ${what} must be float32, got ${x.dtype}`);
    t = x.detach();
  } else if (x.length > 0 && Array.isArray(x[0])) {
    const rows = x as Rows;
    const T = rows[0]!.length;
    if (!rows.every((r) => Array.isArray(r) && r.length === T)) throw new RangeError(`${op}: ${what} rows must all have ${T} values`);
    t = tensor(Float64Array.from(rows.flat()), [rows.length, T]);
  } else {
    t = tensor(Float64Array.from(x as readonly number[]), [x.length]);
  }
  if (!sameValues(t.shape, shape)) {
    throw new RangeError(`${op}: ${what} has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
  }
  return new Tensor(t.data, shape);
}

/** Checks that a differentiable input is a non-empty float32 tensor. */
export function expectInput(op: string, what: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${what} must be a Tensor`);
  if (x.dtype !== 'float32') throw new TypeError(`${op}: ${what} must be float32, got ${x.dtype}`);
  if (x.size === 0) throw new RangeError(`${op}: ${what} is empty (shape ${shapeStr(x.shape)})`);
}

/** Checks a 0/1 mask tensor and returns its count of ones, which must be positive. */
export function maskCount(op: string, mask: Tensor): number {
  let n = 0;
  for (const m of mask.data) {
    if (m !== 0 && m !== 1) throw new RangeError(`${op}: mask holds ${m}, expected only 0 and 1`);
    n += m;
  }
  if (n === 0) throw new RangeError(`${op}: mask selects no position (all zeros, shape ${shapeStr(mask.shape)})`);
  return n;
}

export function expectNonNegative(op: string, what: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${op}: ${what} must be a finite number ≥ 0, got ${v}`);
}

/** A constant int32 0/1 tensor of x's shape: 1 where pred holds of x's value (and index). */
function test(x: Tensor, pred: (v: number, i: number) => boolean): Tensor {
  const m = new Int32Array(x.size);
  const d = x.data;
  for (let i = 0; i < m.length; i++) m[i] = pred(d[i]!, i) ? 1 : 0;
  return new Tensor(m, x.shape);
}

/** softplus(x) = log(1 + eˣ) = max(x, 0) + log(1 + e^(−|x|)): never overflows; gradient σ(x). */
export function softplus(x: Tensor): Tensor {
  const pos = test(x, (v) => v > 0);
  return add(where(pos, x, 0), log(add(exp(where(pos, neg(x), x)), 1)));
}

/** log σ(x) = −softplus(−x). */
export function logSigmoid(x: Tensor): Tensor {
  return neg(softplus(neg(x)));
}

const at = (b: Tensor | number, i: number): number => (typeof b === 'number' ? b : b.data[i]!);

/** x clipped to [lo, hi] (numbers, or constant tensors of x's shape); no gradient where clipped. */
export function clamp(x: Tensor, lo: Tensor | number, hi: Tensor | number): Tensor {
  const below = test(x, (v, i) => v < at(lo, i));
  const above = test(x, (v, i) => v > at(hi, i));
  return where(below, lo, where(above, hi, x));
}

/** Elementwise max of two tensors of one shape; a tie goes to `a`. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return where(test(a, (v, i) => v >= b.data[i]!), a, b);
}

/** Σ x·m / Σ m over all positions; m is a constant 0/1 mask of x's shape with `count` ones. */
export function maskedMean(x: Tensor, mask: Tensor, count = maskCount('maskedMean', mask)): Tensor {
  return div(sum(mul(x, mask)), count);
}

/** Checks a flat reward list laid out as consecutive groups of `groupSize` samples per prompt. */
export function expectGroups(op: string, rewards: readonly number[], groupSize: number, min = 1): void {
  if (!(Number.isInteger(groupSize) && groupSize >= min)) throw new RangeError(`${op}: groupSize must be an integer ≥ ${min}, got ${groupSize}`);
  if (rewards.length === 0 || rewards.length % groupSize !== 0) {
    throw new RangeError(`${op}: ${rewards.length} rewards do not split into groups of ${groupSize} (one group per prompt, samples consecutive)`);
  }
  rewards.forEach((r, i) => { if (!Number.isFinite(r)) throw new RangeError(`${op}: reward ${i} is ${r}, expected a finite number`); });
}

/** Number of values a constant input holds. */
export function sizeOf(x: Values): number {
  if (x instanceof Tensor) return x.size;
  if (x.length > 0 && Array.isArray(x[0])) return (x as Rows).reduce((n, r) => n + r.length, 0);
  return x.length;
}
