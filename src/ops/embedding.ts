// Embedding lookup by Int32 ids, and cross-entropy from logits with an ignore index.
import { backend } from '../backend/index.js';
import { gradOf, gradSlot, needsGrad, record } from '../autograd/index.js';
import { Tensor, empty, shapeStr, zeros } from '../tensor/index.js';
import { mul } from './elementwise.js';
import { ShapeError, expectFloat, expectInt } from './errors.js';
import { sum } from './reduce.js';

/** Rows of `table` (V, C) picked by `ids` (any shape) → (...ids.shape, C). */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  const op = 'embedding';
  if (!table.isHalf) expectFloat(op, table, 'table');
  expectInt(op, ids);
  if (table.rank !== 2) throw new ShapeError(op, `table has shape ${shapeStr(table.shape)}, expected (V, C)`);
  const [V, C] = table.shape as [number, number];
  const idv = ids.i32;
  for (let i = 0; i < idv.length; i++) {
    if (idv[i]! < 0 || idv[i]! >= V) throw new RangeError(`${op}: id ${idv[i]} at position ${i} is outside the table's ${V} rows`);
  }
  const out = empty([...ids.shape, C]);
  // A 16-bit table (a frozen weight, issue 18) is widened row by row; it never takes a gradient.
  if (table.isHalf) backend().embeddingForwardHalf(out.f32, idv, table.u16, table.dtype === 'bfloat16', idv.length, C);
  else backend().embeddingForward(out.f32, idv, table.f32, idv.length, C);
  if (!needsGrad(table)) return out;
  return record(out, op, [table], (g) => backend().embeddingBackward(gradOf(table)!, g, idv, idv.length, C));
}

export interface CrossEntropyOptions {
  /** Targets equal to this contribute no loss and no gradient (PyTorch's default, -100). */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets, 'sum', or 'none' for the per-token losses. */
  reduction?: 'mean' | 'sum' | 'none';
}

/** −log softmax(logits)[target]; logits (..., V), targets (...) int32. */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  expectFloat(op, logits, 'logits');
  expectInt(op, targets, 'targets');
  if (logits.rank < 1) throw new ShapeError(op, 'logits must have a class axis');
  const V = logits.shape[logits.rank - 1]!;
  const lead = logits.shape.slice(0, -1);
  if (lead.length !== targets.rank || lead.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError(op, `logits ${shapeStr(logits.shape)} and targets ${shapeStr(targets.shape)} do not match: expected targets of shape ${shapeStr(lead)}`);
  }
  const tv = targets.i32, N = tv.length;
  let count = 0;
  for (let i = 0; i < N; i++) {
    if (tv[i] === ignoreIndex) continue;
    if (tv[i]! < 0 || tv[i]! >= V) throw new RangeError(`${op}: target ${tv[i]} at position ${i} is outside [0, ${V}) (ignoreIndex is ${ignoreIndex})`);
    count++;
  }
  const losses = zeros(lead);
  const lse = new Float32Array(N);
  backend().crossEntropyForward(losses.f32, lse, logits.f32, tv, N, V, ignoreIndex);
  const perToken = !needsGrad(logits) ? losses : record(losses, op, [logits], (g) => {
    const d = gradSlot(logits)!; // a fresh gradient is written over, not zero-filled first
    backend().crossEntropyBackward(d.grad, g, logits.f32, lse, tv, N, V, ignoreIndex, !d.fresh);
  });
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return perToken;
  const total = sum(perToken);
  return reduction === 'sum' ? total : mul(total, count === 0 ? 0 : 1 / count);
}
