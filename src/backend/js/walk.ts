// Walks an N-d index space row by row: for every index of the leading axes it calls `row` with
// the flat offsets of up to three strided operands and the length and strides of the last axis.
// Kernels put their element loop inside `row`, so the per-element cost is a plain indexed loop.
import type { Strides } from '../kernels.js';

export type RowFn = (o0: number, o1: number, o2: number, n: number, s0: number, s1: number, s2: number) => void;

export function walkRows(shape: Strides, s0: Strides, s1: Strides, s2: Strides, row: RowFn, base0 = 0, base1 = 0, base2 = 0): void {
  const r = shape.length;
  if (r === 0) {
    row(base0, base1, base2, 1, 0, 0, 0);
    return;
  }
  for (const d of shape) if (d === 0) return;
  const last = r - 1;
  const n = shape[last];
  const idx = new Array<number>(last).fill(0);
  let o0 = base0, o1 = base1, o2 = base2;
  for (;;) {
    row(o0, o1, o2, n, s0[last] ?? 0, s1[last] ?? 0, s2[last] ?? 0);
    let ax = last - 1;
    for (; ax >= 0; ax--) {
      idx[ax]++;
      o0 += s0[ax] ?? 0; o1 += s1[ax] ?? 0; o2 += s2[ax] ?? 0;
      if (idx[ax] < shape[ax]) break;
      o0 -= (s0[ax] ?? 0) * shape[ax]; o1 -= (s1[ax] ?? 0) * shape[ax]; o2 -= (s2[ax] ?? 0) * shape[ax];
      idx[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/** Row-major strides of a contiguous array of this shape. */
export function contiguous(shape: Strides): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
