// Ops that move data without arithmetic: reshape (a view), transpose/permute, slice, concat.
// All copies go through the backend's two strided kernels.
import { backend } from '../backend/index.js';
import { gradOf, needsGrad, record } from '../autograd/index.js';
import { Tensor, empty, normAxis, numel, shapeStr, stridesOf, type Shape } from '../tensor/index.js';
import { ShapeError, expectFloat } from './errors.js';

/** Same data, new shape; one axis may be -1 and is inferred. Shares the buffer (a view). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const rest = numel(s.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError('reshape', `cannot infer -1 in ${shapeStr(shape)} for ${x.size} elements from ${shapeStr(x.shape)}`);
    s[free] = x.size / rest;
  }
  if (numel(s) !== x.size) {
    throw new ShapeError('reshape', `cannot view ${shapeStr(x.shape)} (${x.size} elements) as ${shapeStr(shape)} (${numel(s)} elements)`);
  }
  const out = new Tensor(x.data, s);
  if (!needsGrad(x)) return out;
  // The gradient has x's layout too: one contiguous accumulate, in the backend (vectorised and
  // threaded), since every linear layer reshapes twice and a JS loop here was 17% of a step.
  return record(out, 'reshape', [x], (g) => backend().stridedCopy(gradOf(x)!, g, 0, [1], [g.length], true));
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const op = 'permute';
  if (perm.length !== x.rank) throw new ShapeError(op, `permutation [${perm.join(', ')}] has ${perm.length} axes, tensor ${shapeStr(x.shape)} has ${x.rank}`);
  expectFloat(op, x);
  const p = perm.map((a) => normAxis(a, x.rank, op));
  if (new Set(p).size !== p.length) throw new ShapeError(op, `[${perm.join(', ')}] is not a permutation`);
  const st = stridesOf(x.shape);
  const shape = p.map((a) => x.shape[a]!);
  const inStrides = p.map((a) => st[a]!);
  const out = empty(shape); // written in full by the copy
  backend().stridedCopy(out.f32, x.f32, 0, inStrides, shape, false);
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => backend().stridedScatter(gradOf(x)!, 0, inStrides, g, shape, true));
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const ia = normAxis(a, x.rank, 'transpose'), ib = normAxis(b, x.rank, 'transpose');
  [perm[ia], perm[ib]] = [perm[ib]!, perm[ia]!];
  return permute(x, perm);
}

/** Elements start ≤ i < end along `axis` (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const op = 'slice';
  expectFloat(op, x);
  const ax = normAxis(axis, x.rank, op);
  const n = x.shape[ax]!;
  const s = start < 0 ? start + n : start;
  const e = end === undefined ? n : end < 0 ? end + n : end;
  if (s < 0 || e > n || s > e) throw new ShapeError(op, `range [${start}, ${end ?? n}) is outside axis ${axis} of size ${n} in ${shapeStr(x.shape)}`);
  const st = stridesOf(x.shape);
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const offset = s * st[ax]!;
  const out = empty(shape); // written in full by the copy
  backend().stridedCopy(out.f32, x.f32, offset, st, shape, false);
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => backend().stridedScatter(gradOf(x)!, offset, st, g, shape, true));
}

/** Joins tensors along `axis`; all other axes must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const op = 'concat';
  if (xs.length === 0) throw new ShapeError(op, 'needs at least one tensor');
  const first = xs[0]!;
  const ax = normAxis(axis, first.rank, op);
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(op, `shapes ${shapeStr(first.shape)} and ${shapeStr(t.shape)} differ outside axis ${ax}`);
    }
    if (t.dtype !== 'float32') throw new TypeError(`${op}: tensors must be float32, got ${t.dtype}`);
  }
  const shape = first.shape.map((d, i) => (i === ax ? xs.reduce((n, t) => n + t.shape[ax]!, 0) : d));
  const out = empty(shape); // the parts tile the axis: every element written once
  const st = stridesOf(shape);
  const offsets: number[] = [];
  let pos = 0;
  for (const t of xs) {
    offsets.push(pos * st[ax]!);
    backend().stridedScatter(out.f32, pos * st[ax]!, st, t.f32, t.shape, false);
    pos += t.shape[ax]!;
  }
  if (!needsGrad(...xs)) return out;
  return record(out, op, xs, (g) => {
    xs.forEach((t, i) => {
      const d = gradOf(t);
      if (d) backend().stridedCopy(d, g, offsets[i]!, st, t.shape, true);
    });
  });
}

/**
 * A contiguous copy of the strided view of x that starts at element `offset` with `shape` and
 * `strides` (in elements), returned as `outShape` (default `shape`, same element count). One copy
 * where slice, permute and reshape would make two or three: the heads of a fused qkv projection
 * (B, T, 3C) → (B, H, T, D), or merging them back. The backward scatters into x's gradient.
 */
export function stridedView(x: Tensor, shape: Shape, strides: readonly number[], offset = 0, outShape: Shape = shape): Tensor {
  const op = 'stridedView';
  expectFloat(op, x);
  if (strides.length !== shape.length) throw new ShapeError(op, `strides [${strides.join(', ')}] do not match shape ${shapeStr(shape)}`);
  if (numel(outShape) !== numel(shape)) throw new ShapeError(op, `outShape ${shapeStr(outShape)} has another element count than ${shapeStr(shape)}`);
  const last = shape.reduce((o, d, i) => o + (d - 1) * strides[i]!, offset);
  if (numel(shape) > 0 && (offset < 0 || strides.some((s) => !Number.isInteger(s) || s < 0) || last >= x.size)) {
    throw new ShapeError(op, `view at offset ${offset} with strides [${strides.join(', ')}] and shape ${shapeStr(shape)} leaves ${shapeStr(x.shape)}`);
  }
  const n = numel(shape);
  // A view that is one contiguous block (a one-token step's heads) shares x's buffer, as reshape does.
  let contiguous = true;
  for (let i = shape.length - 1, want = 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== want) { contiguous = false; break; }
    want *= shape[i]!;
  }
  // Otherwise a fresh buffer that stridedCopy writes in full: not zero-filled first.
  const out = contiguous ? new Tensor(x.f32.subarray(offset, offset + n), outShape) : empty(outShape);
  if (!contiguous) backend().stridedCopy(out.f32, x.f32, offset, strides, shape, false);
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => backend().stridedScatter(gradOf(x)!, offset, strides, g, shape, true));
}
