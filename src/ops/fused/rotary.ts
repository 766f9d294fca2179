// Rotary position embedding as one autograd node (Su et al. 2021, RoFormer; the rotate-half layout
// of GPT-NeoX and Llama): out = x·cos + rotate_half(x)·sin, with x's heads read in place from a
// projection. Written with slice, neg, concat, mul and add, the rotation kept five intermediates
// and a copy of the heads alive per projection until the backward ran (with the projection's
// output, three quarters of a Llama layer's attention activations: issue 22, GRPO's peak at the
// SmolLM2-135M shape). Its gradient needs only the tables, so this node keeps nothing but them.
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
  const out = empty([B, h, T, D]);
  const src = x.f32, dst = out.f32, c = cos.f32, s = sin.f32, half = D / 2, f = Math.fround;
  eachHead(view, (i, o, r) => rotateHead(dst, o, src, i, c, s, r, D));
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => {
    // d/dx of x·cos is g·cos; rotate_half's transpose sends g·sin of the first half, negated, to
    // the second half and of the second half to the first. Rounded as the composed graph rounded
    // it: the rotated term to float32, then g·cos fused onto it (the native mul backward's FMA; the
    // exact product in float64, one rounding of the sum — a double rounding could differ from the
    // FMA's single one only at an exact tie, about one element in 2^29).
    const dx = gradOf(x)!;
    eachHead(view, (i, o, r) => {
      for (let d = 0; d < half; d++) {
        const gLo = g[o + d]!, gHi = g[o + d + half]!;
        dx[i + d] = f(dx[i + d]! + f(gLo * c[r + d]! + f(0 + f(gHi * s[r + d + half]!))));
        dx[i + d + half] = f(dx[i + d + half]! + f(gHi * c[r + d + half]! - f(0 + f(gLo * s[r + d]!))));
      }
    });
  });
}

/** fn(i, o, r) for every head row: its start in the view, in the contiguous output, in the tables. */
function eachHead(view: HeadsView, fn: (i: number, o: number, r: number) => void): void {
  const [B, h, T, D] = view.shape, [sB, sH, sT] = view.strides;
  for (let b = 0, o = 0; b < B; b++) {
    for (let hh = 0; hh < h; hh++) {
      for (let t = 0; t < T; t++, o += D) fn(view.offset + b * sB + hh * sH + t * sT, o, (b * T + t) * D);
    }
  }
}

/**
 * One head of D values at src[i] rotated by the table row at c[r], s[r], into dst[o]: x·cos +
 * rotate_half(x)·sin, each product rounded to float32 and then their sum, as the composed ops and
 * the kernel-level decoder round it.
 */
export function rotateHead(dst: Float32Array, o: number, src: Float32Array, i: number, c: Float32Array, s: Float32Array, r: number, D: number): void {
  const half = D / 2, f = Math.fround;
  for (let d = 0; d < half; d++) {
    const lo = src[i + d]!, hi = src[i + d + half]!;
    dst[o + d] = f(f(lo * c[r + d]!) + f(-hi * s[r + d]!));
    dst[o + d + half] = f(f(hi * c[r + d + half]!) + f(lo * s[r + d + half]!));
  }
}

/** The view of `heads` heads of D channels from channel `channel` of a (B, T, W) projection. */
export function projectionHeads(x: Tensor, heads: number, D: number, channel = 0): HeadsView {
  const [B, T, W] = x.shape as [number, number, number];
  return { shape: [B, heads, T, D], strides: [T * W, D, W], offset: channel };
}
