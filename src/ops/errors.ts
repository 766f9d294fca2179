// Errors raised at the op boundary: they name the op, the shapes involved and what was expected.
import { shapeStr, type Shape, type Tensor } from '../tensor/index.js';

export class ShapeError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'ShapeError';
  }
}

export function shapeMismatch(op: string, a: Shape, b: Shape, expected: string): ShapeError {
  return new ShapeError(op, `shapes ${shapeStr(a)} and ${shapeStr(b)} do not match: expected ${expected}`);
}

export function expectFloat(op: string, t: Tensor, what = 'input'): void {
  if (t.dtype === 'float32') return;
  const why = t.isHalf ? ` (a frozen 16-bit weight${t.name ? ` "${t.name}"` : ''}: only matmul's right operand and embedding's table read those; widen it with values() for anything else)` : '';
  throw new TypeError(`${op}: ${what} must be float32, got ${t.dtype} of shape ${shapeStr(t.shape)}${why}`);
}

export function expectInt(op: string, t: Tensor, what = 'ids'): void {
  if (t.dtype !== 'int32') throw new TypeError(`${op}: ${what} must be int32, got ${t.dtype} of shape ${shapeStr(t.shape)}`);
}

export function expectRank(op: string, t: Tensor, rank: number | [number, number], what = 'input'): void {
  const [lo, hi] = Array.isArray(rank) ? rank : [rank, rank];
  if (t.rank < lo || t.rank > hi) {
    const want = lo === hi ? `rank ${lo}` : `rank ${lo} to ${hi}`;
    throw new ShapeError(op, `${what} has shape ${shapeStr(t.shape)}, expected ${want}`);
  }
}
