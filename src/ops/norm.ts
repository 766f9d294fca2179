// LayerNorm and RMSNorm over the last axis, with a learnable weight (and optional bias).
import { backend } from '../backend/index.js';
import { gradOf, needsGrad, record } from '../autograd/index.js';
import { Tensor, empty, shapeStr } from '../tensor/index.js';
import { ShapeError, expectFloat } from './errors.js';

function rows(op: string, x: Tensor, weight: Tensor, bias: Tensor | null): [number, number] {
  expectFloat(op, x);
  expectFloat(op, weight, 'weight');
  if (x.rank === 0) throw new ShapeError(op, 'input must have at least one axis');
  const C = x.shape[x.rank - 1]!;
  if (weight.rank !== 1 || weight.shape[0] !== C) {
    throw new ShapeError(op, `weight has shape ${shapeStr(weight.shape)}, expected [${C}] to match input ${shapeStr(x.shape)}`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== C)) {
    throw new ShapeError(op, `bias has shape ${shapeStr(bias.shape)}, expected [${C}] to match input ${shapeStr(x.shape)}`);
  }
  return [C === 0 ? 0 : x.size / C, C];
}

/** y = (x − mean)/√(var + eps)·weight + bias over the last axis (biased variance). */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const [N, C] = rows('layerNorm', x, weight, bias);
  const out = empty(x.shape);
  const mean = new Float32Array(N), rstd = new Float32Array(N);
  backend().layerNormForward(out.f32, mean, rstd, x.f32, weight.f32, bias ? bias.f32 : null, N, C, eps);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (!needsGrad(...inputs)) return out;
  return record(out, 'layerNorm', inputs, (g) =>
    backend().layerNormBackward(gradOf(x), gradOf(weight), gradOf(bias), g, x.f32, weight.f32, mean, rstd, N, C));
}

/** y = x/√(mean(x²) + eps)·weight over the last axis. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  const [N, C] = rows('rmsNorm', x, weight, null);
  const out = empty(x.shape);
  const rstd = new Float32Array(N);
  backend().rmsNormForward(out.f32, rstd, x.f32, weight.f32, N, C, eps);
  if (!needsGrad(x, weight)) return out;
  return record(out, 'rmsNorm', [x, weight], (g) =>
    backend().rmsNormBackward(gradOf(x), gradOf(weight), g, x.f32, weight.f32, rstd, N, C));
}
