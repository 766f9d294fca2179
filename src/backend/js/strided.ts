// Strided copies: the one kernel behind transpose/permute, slice and concat, forward and back.
import type { F32, Strides } from '../kernels.js';
import { contiguous, walkRows } from './walk.js';

export function stridedCopy(out: F32, inp: F32, inpOffset: number, inpStrides: Strides, shape: Strides, accumulate: boolean): void {
  walkRows(shape, inpStrides, contiguous(shape), [], (pi, po, _z, n, si) => {
    if (accumulate) for (let j = 0; j < n; j++) out[po + j] += inp[pi + j * si];
    else for (let j = 0; j < n; j++) out[po + j] = inp[pi + j * si];
  }, inpOffset);
}

export function stridedScatter(out: F32, outOffset: number, outStrides: Strides, inp: F32, shape: Strides, accumulate: boolean): void {
  walkRows(shape, outStrides, contiguous(shape), [], (po, pi, _z, n, so) => {
    if (accumulate) for (let j = 0; j < n; j++) out[po + j * so] += inp[pi + j];
    else for (let j = 0; j < n; j++) out[po + j * so] = inp[pi + j];
  }, outOffset);
}
