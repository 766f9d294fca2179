// Selection by a condition, with broadcasting: where(cond, a, b) and maskedFill.
import { backend } from '../backend/index.js';
import { gradOf, needsGrad, record } from '../autograd/index.js';
import { Tensor, broadcastShapes, broadcastStrides, scalar, shapeStr, zeros } from '../tensor/index.js';
import { ShapeError, expectFloat } from './errors.js';

/** cond ≠ 0 ? a : b elementwise; cond may be float32 or int32. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const op = 'where';
  const ta = typeof a === 'number' ? scalar(a) : a, tb = typeof b === 'number' ? scalar(b) : b;
  expectFloat(op, ta, 'a');
  expectFloat(op, tb, 'b');
  const ab = broadcastShapes(ta.shape, tb.shape);
  const shape = ab && broadcastShapes(cond.shape, ab);
  if (!shape) throw new ShapeError(op, `cond ${shapeStr(cond.shape)}, a ${shapeStr(ta.shape)} and b ${shapeStr(tb.shape)} do not broadcast together`);
  if (cond.isHalf) throw new TypeError(`${op}: cond must be float32 or int32, got ${cond.dtype}`);
  const cd = cond.data as Float32Array | Int32Array;
  const cs = broadcastStrides(cond.shape, shape), as = broadcastStrides(ta.shape, shape), bs = broadcastStrides(tb.shape, shape);
  const out = zeros(shape);
  backend().whereForward(out.f32, cd, cs, ta.f32, as, tb.f32, bs, shape);
  if (!needsGrad(ta, tb)) return out;
  return record(out, op, [ta, tb], (g) => backend().whereBackward(gradOf(ta), gradOf(tb), g, cd, cs, as, bs, shape));
}

/** x with `value` wherever mask ≠ 0 (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  return where(mask, scalar(value), x);
}
