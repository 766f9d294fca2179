// Elementwise ops: broadcasting arithmetic and the unary functions, each with its gradient.
import { backend, type BinaryOp, type UnaryOp } from '../backend/index.js';
import { gradOf, gradSlot, needsGrad, record } from '../autograd/index.js';
import { Tensor, broadcastShapes, broadcastStrides, empty, numel, scalar } from '../tensor/index.js';
import { expectFloat, shapeMismatch } from './errors.js';

export type Operand = Tensor | number;

function asTensor(x: Operand): Tensor {
  return typeof x === 'number' ? scalar(x) : x;
}

function binary(op: BinaryOp, xa: Operand, xb: Operand): Tensor {
  const a = asTensor(xa), b = asTensor(xb);
  expectFloat(op, a, 'left operand');
  expectFloat(op, b, 'right operand');
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw shapeMismatch(op, a.shape, b.shape, 'shapes that broadcast (equal, or 1, on each trailing axis)');
  const out = empty(shape);
  const as = broadcastStrides(a.shape, shape), bs = broadcastStrides(b.shape, shape);
  backend().binaryForward(op, out.f32, a.f32, as, b.f32, bs, shape);
  if (!needsGrad(a, b)) return out;
  return record(out, op, [a, b], (g) => {
    // A gradient this backward creates for an operand of the output's shape is written in one
    // pass (g, −g or g times the other factor) rather than zero-filled and then added to: the
    // same values but for the sign of a zero (0 + (−0) is +0), which no sum with a nonzero term
    // keeps. The residual adds and the products of a layer's backward are such first writes.
    const writable = (t: Tensor): boolean => op !== 'div' && t.size === out.size && !t.grad;
    const wroteA = writable(a) && firstWrite(op, 'a', gradSlot(a), g, b, bs, shape);
    const wroteB = writable(b) && firstWrite(op, 'b', gradSlot(b), g, a, as, shape);
    const da = wroteA ? null : gradOf(a), db = wroteB ? null : gradOf(b);
    if (!da && !db) return;
    // Only the values a gradient needs are read (a sum's none; a product's other factor): the
    // rest may have been released (Tensor.release). g stands in for them: no larger than either.
    const reads = op === 'div' ? [true, true] : op === 'mul' ? [db !== null, da !== null] : [false, false];
    backend().binaryBackward(op, da, db, g, reads[0] ? a.f32 : g, as, reads[1] ? b.f32 : g, bs, shape);
  });
}

const MINUS_ONE = Float32Array.of(-1);

/**
 * Writes the fresh gradient of operand `which` (of the output's shape) of add, sub or mul: g, −g
 * (b of sub) or g times the other operand; false when the operand takes no gradient.
 */
function firstWrite(op: BinaryOp, which: 'a' | 'b', slot: { grad: Float32Array } | null, g: Float32Array, other: Tensor,
  otherStrides: number[], shape: number[]): boolean {
  if (!slot) return false;
  const be = backend(), unit = broadcastStrides(shape, shape);
  if (op === 'mul') be.binaryForward('mul', slot.grad, g, unit, other.f32, otherStrides, shape);
  else if (op === 'sub' && which === 'b') be.binaryForward('mul', slot.grad, g, unit, MINUS_ONE, shape.map(() => 0), shape);
  else slot.grad.set(g);
  return true;
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);

function unary(op: UnaryOp, x: Tensor, p = 0): Tensor {
  expectFloat(op, x);
  const out = empty(x.shape);
  backend().unaryForward(op, out.f32, x.f32, x.size, p);
  if (!needsGrad(x)) return out;
  return record(out, op, [x], (g) => backend().unaryBackward(op, gradOf(x)!, g, x.f32, out.f32, x.size, p));
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** x^p for a constant exponent p. */
export const pow = (x: Tensor, p: number): Tensor => unary('pow', x, p);

export function gelu(x: Tensor): Tensor {
  expectFloat('gelu', x);
  const out = empty(x.shape);
  backend().geluForward(out.f32, x.f32, x.size);
  return record(out, 'gelu', [x], (g) => backend().geluBackward(gradOf(x)!, x.f32, g, x.size));
}

export function silu(x: Tensor): Tensor {
  expectFloat('silu', x);
  const out = empty(x.shape);
  backend().siluForward(out.f32, x.f32, x.size);
  return record(out, 'silu', [x], (g) => backend().siluBackward(gradOf(x)!, x.f32, g, x.size));
}

/** Σ x², as a number: the norm helper that gradient clipping builds on. */
export function sumOfSquares(x: Tensor): number {
  expectFloat('sumOfSquares', x);
  return backend().sumSquares(x.f32, numel(x.shape));
}
