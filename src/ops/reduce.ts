// Reductions over axes (sum, mean, max, with keepdim) and the softmaxes over the last axis.
// A multi-axis reduction is a chain of single-axis ones, each recorded on the tape.
import { backend } from '../backend/index.js';
import { gradOf, needsGrad, record } from '../autograd/index.js';
import { Tensor, normAxis, numel, zeros } from '../tensor/index.js';
import { mul } from './elementwise.js';
import { ShapeError, expectFloat } from './errors.js';
import { reshape } from './shape.js';

export type Axes = number | readonly number[] | undefined;

function resolveAxes(op: string, x: Tensor, axes: Axes): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normAxis(a, x.rank, op));
  if (new Set(list).size !== list.length) throw new ShapeError(op, `axes [${list.join(', ')}] repeat an axis`);
  return list.sort((p, q) => q - p);
}

function split(x: Tensor, axis: number): [number, number, number] {
  return [numel(x.shape.slice(0, axis)), x.shape[axis]!, numel(x.shape.slice(axis + 1))];
}

function sumAxis(x: Tensor, axis: number): Tensor {
  const [outer, R, inner] = split(x, axis);
  const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const out = zeros(shape);
  backend().sumForward(out.f32, x.f32, outer, R, inner);
  return record(out, 'sum', [x], (g) => backend().sumBackward(gradOf(x)!, g, outer, R, inner));
}

function maxAxis(x: Tensor, axis: number): Tensor {
  const [outer, R, inner] = split(x, axis);
  if (R === 0) throw new ShapeError('max', `cannot take the max over empty axis ${axis}`);
  const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const out = zeros(shape);
  const argmax = new Int32Array(outer * inner);
  backend().maxForward(out.f32, argmax, x.f32, outer, R, inner);
  return record(out, 'max', [x], (g) => backend().maxBackward(gradOf(x)!, g, argmax, outer, R, inner));
}

function reduce(op: string, x: Tensor, axes: Axes, keepdim: boolean, one: (t: Tensor, axis: number) => Tensor): Tensor {
  expectFloat(op, x);
  const list = resolveAxes(op, x, axes);
  let y = x;
  for (const a of list) y = one(y, a);
  if (keepdim) return y;
  return reshape(y, x.shape.filter((_, i) => !list.includes(i)));
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return reduce('sum', x, axes, keepdim, sumAxis);
}

export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const list = resolveAxes('mean', x, axes);
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  return mul(sum(x, axes, keepdim), 1 / count);
}

/** Max over `axes`; the gradient goes to the first maximal element. */
export function max(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return reduce('max', x, axes, keepdim, maxAxis);
}

function lastAxisRows(op: string, x: Tensor, axis: number): [number, number] {
  expectFloat(op, x);
  if (x.rank === 0 || normAxis(axis, x.rank, op) !== x.rank - 1) {
    throw new ShapeError(op, `only the last axis is supported, got axis ${axis} for rank ${x.rank}`);
  }
  const C = x.shape[x.rank - 1]!;
  return [C === 0 ? 0 : x.size / C, C];
}

export function softmax(x: Tensor, axis = -1): Tensor {
  const [N, C] = lastAxisRows('softmax', x, axis);
  const out = zeros(x.shape);
  backend().softmaxForward(out.f32, x.f32, N, C);
  if (!needsGrad(x)) return out;
  return record(out, 'softmax', [x], (g) => backend().softmaxBackward(gradOf(x)!, g, out.f32, N, C));
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const [N, C] = lastAxisRows('logSoftmax', x, axis);
  const out = zeros(x.shape);
  backend().logSoftmaxForward(out.f32, x.f32, N, C);
  if (!needsGrad(x)) return out;
  return record(out, 'logSoftmax', [x], (g) => backend().logSoftmaxBackward(gradOf(x)!, g, out.f32, N, C));
}
