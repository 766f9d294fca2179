// Rotary position embedding, rotate-half layout (GPT-NeoX, Llama): the reference kernels behind
// ops/fused/rotary.ts. x's heads are read in place through a (B, h, T, D) view of strides
// (sB, sH, sT, 1) at an offset; the tables cos and sin are (B, T, D); the output and the gradient
// are contiguous (B, h, T, D).
import type { F32, Strides } from '../kernels.js';

/** fn(i, o, r) for every head row: its start in the view, in the contiguous output, in the tables. */
function eachHead(shape: Strides, strides: Strides, offset: number, fn: (i: number, o: number, r: number) => void): void {
  const [B, h, T, D] = shape as [number, number, number, number], [sB, sH, sT] = strides as [number, number, number];
  for (let b = 0, o = 0; b < B; b++) {
    for (let hh = 0; hh < h; hh++) {
      for (let t = 0; t < T; t++, o += D) fn(offset + b * sB + hh * sH + t * sT, o, (b * T + t) * D);
    }
  }
}

/**
 * One head of D values at src[i] rotated by the table row at c[r], s[r], into dst[o]: x·cos +
 * rotate_half(x)·sin, each product rounded to float32 and then their sum, as the composed ops
 * (mul, mul, add) and the kernel-level decoder round it.
 */
export function rotateHead(dst: F32, o: number, src: F32, i: number, c: F32, s: F32, r: number, D: number): void {
  const half = D / 2, f = Math.fround;
  for (let d = 0; d < half; d++) {
    const lo = src[i + d]!, hi = src[i + d + half]!;
    dst[o + d] = f(f(lo * c[r + d]!) + f(-hi * s[r + d]!));
    dst[o + d + half] = f(f(hi * c[r + d + half]!) + f(lo * s[r + d + half]!));
  }
}

export function rotaryForward(out: F32, x: F32, cos: F32, sin: F32, shape: Strides, strides: Strides, offset: number): void {
  const D = shape[3]!;
  eachHead(shape, strides, offset, (i, o, r) => rotateHead(out, o, x, i, cos, sin, r, D));
}

/**
 * dx (x's view) += the rotation's transpose applied to g: d/dx of x·cos is g·cos; rotate_half's
 * transpose sends g·sin of the first half, negated, to the second half and of the second half to
 * the first. Rounded as the composed graph rounds it: the rotated term to float32 (plus zero),
 * then g·cos fused onto it in one rounding (the mul backward's FMA), then added to dx. Here the
 * fused step is the exact product in float64 and one rounding of the sum to float64 before the
 * one to float32: a double rounding, which can differ from the FMA's single one only at an exact
 * tie, about one element in 2^29.
 */
export function rotaryBackward(dx: F32, g: F32, cos: F32, sin: F32, shape: Strides, strides: Strides, offset: number): void {
  const half = shape[3]! / 2, f = Math.fround, c = cos, s = sin;
  eachHead(shape, strides, offset, (i, o, r) => {
    for (let d = 0; d < half; d++) {
      const gLo = g[o + d]!, gHi = g[o + d + half]!;
      dx[i + d] = f(dx[i + d]! + f(gLo * c[r + d]! + f(0 + f(gHi * s[r + d + half]!))));
      dx[i + d + half] = f(dx[i + d + half]! + f(gHi * c[r + d + half]! - f(0 + f(gLo * s[r + d]!))));
    }
  });
}
