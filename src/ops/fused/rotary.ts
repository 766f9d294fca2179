// Rotary position embedding as one autograd node (Su et al. 2021, RoFormer; the rotate-half layout
// of GPT-NeoX and Llama): out = x·cos + rotate_half(x)·sin, with x's heads read in place from a
// projection. Written with slice, neg, concat, mul and add, the rotation kept five intermediates
// and a copy of the heads alive per projection until the backward ran (with the projection's
// output, three quarters of a Llama layer's attention activations: issue 22, GRPO's peak at the
// SmolLM2-135M shape). Its gradient needs only the tables, so this node keeps nothing but them.
import { backend } from '../../backend/index.js';
import { gradOf, needsGrad, record } from '../../autograd/index.js';
import { Tensor, empty, shapeStr } from '../../tensor/index.js';
import { ShapeError, expectFloat } from '../errors.js';

/** Where the heads of x sit: (B, h, T, D) at `offset` with strides (sB, sH, sT, 1). */
export interface HeadsView {
  shape: readonly [number, number, number, number];
  strides: readonly [number, number, number];
  offset: number;
}

/** The view of a contiguous (B, h, T, D) tensor. */
export function contiguousHeads(x: Tensor): HeadsView {
  const [B, h, T, D] = x.shape as [number, number, number, number];
  return { shape: [B, h, T, D], strides: [h * T * D, T * D, D], offset: 0 };
}

/** The reference rotation of one head row (the kernel-level decoder's, in JavaScript). */
export { rotateHead } from '../../backend/index.js';

/**
 * The heads of x (a (B, h, T, D) view, by default x itself) rotated by tables cos and sin of shape
 * (B, 1, T, D): a new contiguous (B, h, T, D). Each element is rounded as the composed ops round
 * it, each product to float32 and then their sum, so the numbers equal applyRope's written out.
 */
export function rotary(x: Tensor, cos: Tensor, sin: Tensor, view: HeadsView = contiguousHeads(x)): Tensor {
  const op = 'rotary';
  expectFloat(op, x);
  const [B, h, T, D] = view.shape, [sB, sH, sT] = view.strides, at = view.offset;
  if (D % 2 !== 0) throw new ShapeError(op, `head size ${D} is odd; rotate-half needs an even one`);
  for (const [name, t] of [['cos', cos], ['sin', sin]] as const) {
    if (t.shape.join() !== [B, 1, T, D].join()) throw new ShapeError(op, `${name} has shape ${shapeStr(t.shape)}, expected ${shapeStr([B, 1, T, D])}`);
  }
  const last = at + (B - 1) * sB + (h - 1) * sH + (T - 1) * sT + D - 1;
  if (at < 0 || last >= x.size) throw new ShapeError(op, `heads ${shapeStr(view.shape)} at offset ${at} with strides [${sB}, ${sH}, ${sT}, 1] leave ${shapeStr(x.shape)}`);
  const out = empty([B, h, T, D]), shape = [B, h, T, D], strides = [sB, sH, sT];
  backend().rotaryForward(out.f32, x.f32, cos.f32, sin.f32, shape, strides, at);
  if (!needsGrad(x)) return out;
  // Its gradient needs only the tables (the backend's rotaryBackward).
  return record(out, op, [x], (g) => backend().rotaryBackward(gradOf(x)!, g, cos.f32, sin.f32, shape, strides, at));
}

/** The view of `heads` heads of D channels from channel `channel` of a (B, T, W) projection. */
export function projectionHeads(x: Tensor, heads: number, D: number, channel = 0): HeadsView {
  const [B, T, W] = x.shape as [number, number, number];
  return { shape: [B, heads, T, D], strides: [T * W, D, W], offset: channel };
}
