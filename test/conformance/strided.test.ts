// Strided kernels on both backends: broadcasting binary ops (same shape, bias over the last
// axis, per-row, scalar, outer products, transposed views), `where` with float and int
// conditions, and the strided copy and scatter behind permute, slice and concat.
import { describe, test } from 'node:test';
import type { BinaryOp } from '../../src/backend/index.js';
import { conform, f, fn, Gen, skipNative, withThreads } from './harness.js';

const size = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

function contiguous(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) { s[k] = acc; acc *= shape[k]!; }
  return s;
}

/** Strides of an operand of `own` shape broadcast to the output shape (0 on size-1 axes). */
function broadcast(own: number[], out: number[]): number[] {
  const c = contiguous(own), lead = out.length - own.length;
  return out.map((_, k) => (k < lead || own[k - lead] === 1 ? 0 : c[k - lead]!));
}

// [output shape, a's shape, b's shape]
const CASES: [number[], number[], number[]][] = [
  [[1], [1], [1]],
  [[7, 33], [7, 33], [7, 33]],          // same shape: one contiguous run
  [[1000, 65], [1000, 65], [65]],       // bias over the last axis, long enough to split
  [[33, 7], [33, 7], [33, 1]],          // per-row scale
  [[5, 7, 33], [5, 7, 33], [1]],        // scalar
  [[7, 33], [7, 1], [1, 33]],           // outer sum: both operands broadcast
  [[3, 4, 5, 6], [3, 1, 5, 6], [4, 1, 6]],
  [[200, 600], [200, 600], [200, 600]],
];

describe('conformance: strided', { skip: skipNative }, () => {
  test('binary ops forward and backward over broadcast shapes, with null gradients', () => {
    const g = new Gen(31);
    const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div'];
    for (const [shape, sa, sb] of CASES)
      for (const op of ops) {
        const as = broadcast(sa, shape), bs = broadcast(sb, shape), n = size(shape);
        const a = g.normal(size(sa)), b = op === 'div' ? g.uniform(size(sb), 0.5, 2) : g.normal(size(sb));
        const what = `${op} ${shape.join('×')} a=${sa.join('×')} b=${sb.join('×')}`;
        conform(`binaryForward ${what}`, { out: new Float32Array(n), a, b },
          (be, x) => be.binaryForward(op, f(x, 'out'), f(x, 'a'), as, f(x, 'b'), bs, shape));
        const tol = n / Math.min(size(sa), size(sb)) >= 1000 ? 1e-4 : 1e-5;
        for (const grads of [3, 1, 2]) {
          const bufs = { da: grads & 1 ? g.normal(size(sa)) : null, db: grads & 2 ? g.normal(size(sb)) : null, dout: g.normal(n), a, b };
          conform(`binaryBackward ${what} grads=${grads}`, bufs,
            (be, x) => be.binaryBackward(op, fn(x, 'da'), fn(x, 'db'), f(x, 'dout'), f(x, 'a'), as, f(x, 'b'), bs, shape), tol);
        }
      }
  });

  test('binary ops on a transposed view (non-unit inner strides)', () => {
    const g = new Gen(32);
    const shape = [33, 7], at = [1, 33], bs = [7, 1];  // a is a (7, 33) array read transposed
    conform('binaryForward mul transposed', { out: new Float32Array(231), a: g.normal(231), b: g.normal(231) },
      (be, x) => be.binaryForward('mul', f(x, 'out'), f(x, 'a'), at, f(x, 'b'), bs, shape));
    conform('binaryBackward div transposed', { da: g.normal(231), db: g.normal(231), dout: g.normal(231), a: g.normal(231), b: g.uniform(231, 1, 2) },
      (be, x) => be.binaryBackward('div', fn(x, 'da'), fn(x, 'db'), f(x, 'dout'), f(x, 'a'), at, f(x, 'b'), bs, shape));
  });

  test('where with float and int32 conditions, broadcast operands and null gradients', () => {
    const g = new Gen(33);
    for (const [shape, sa, sb] of CASES)
      for (const intCond of [false, true]) {
        const n = size(shape), cshape = shape.map((d, k) => (k === 0 ? 1 : d));
        const cs = broadcast(cshape, shape), as = broadcast(sa, shape), bs = broadcast(sb, shape);
        const bits = g.ids(size(cshape), 2);
        const cond = intCond ? bits : Float32Array.from(bits);
        const what = `${shape.join('×')} int=${intCond}`;
        conform(`whereForward ${what}`, { out: new Float32Array(n), cond, a: g.normal(size(sa)), b: g.normal(size(sb)) },
          (be, x) => be.whereForward(f(x, 'out'), x.cond as Float32Array | Int32Array, cs, f(x, 'a'), as, f(x, 'b'), bs, shape));
        for (const grads of [3, 1, 2])
          conform(`whereBackward ${what} grads=${grads}`,
            { da: grads & 1 ? g.normal(size(sa)) : null, db: grads & 2 ? g.normal(size(sb)) : null, dout: g.normal(n), cond },
            (be, x) => be.whereBackward(fn(x, 'da'), fn(x, 'db'), f(x, 'dout'), x.cond as Float32Array | Int32Array, cs, as, bs, shape), 1e-4);
      }
  });

  test('strided copy: permutes, slices at an offset, broadcasts, accumulate', () => {
    const g = new Gen(34);
    const inp = g.normal(4 * 5 * 6 * 7 + 11);
    const views: [string, number, number[], number[]][] = [
      ['identity', 0, [210, 42, 7, 1], [4, 5, 6, 7]],
      ['permute (0, 2, 3, 1)', 0, [210, 7, 1, 42], [4, 6, 7, 5]],
      ['transpose of the last two', 0, [210, 42, 1, 7], [4, 5, 7, 6]],
      ['slice [1:3, :, 2:5, ::2] at an offset', 11 + 210 + 14, [210, 42, 7, 2], [2, 5, 3, 4]],
      ['broadcast (stride 0) of a row', 3, [0, 1], [9, 50]],
      ['scalar', 5, [], []],
      ['long rows for the thread split', 0, [1, 100], [100, 8]],
    ];
    for (const [name, off, st, shape] of views)
      for (const acc of [false, true])
        conform(`stridedCopy ${name} acc=${acc}`, { out: g.normal(size(shape)), inp },
          (be, x) => be.stridedCopy(f(x, 'out'), f(x, 'inp'), off, st, shape, acc));
  });

  test('scatter into a permuted view and a transposed binary backward, split across threads', () => {
    const g = new Gen(36);
    // (64, 48, 40) scattered into its (0, 2, 1) permutation: every destination element once.
    const shape = [64, 48, 40], st = [48 * 40, 1, 48], n = size(shape);
    // a (300, 200) array read transposed: rows stay rows after coalescing, each gradient element in one row.
    const bshape = [200, 300], at = [1, 200], bs = [300, 1], m = size(bshape);
    for (const threads of [2, 3])
      withThreads(threads, () => {
        for (const acc of [false, true])
          conform(`stridedScatter permuted, ${threads} threads, acc=${acc}`, { out: g.normal(n), inp: g.normal(n) },
            (be, x) => be.stridedScatter(f(x, 'out'), 0, st, f(x, 'inp'), shape, acc));
        conform(`binaryBackward mul transposed, ${threads} threads`, { da: g.normal(m), db: g.normal(m), dout: g.normal(m), a: g.normal(m), b: g.normal(m) },
          (be, x) => be.binaryBackward('mul', fn(x, 'da'), fn(x, 'db'), f(x, 'dout'), f(x, 'a'), at, f(x, 'b'), bs, bshape));
      });
  });

  test('strided scatter: into permuted and sliced views, and accumulation through stride 0', () => {
    const g = new Gen(35);
    const views: [string, number, number[], number[]][] = [
      ['permute (0, 2, 1)', 0, [42, 1, 6], [5, 6, 7]],
      ['slice at an offset', 13, [40, 3], [4, 9]],
      ['column of a matrix', 2, [7], [30]],
      ['stride-0 destination (last write wins, or sums)', 1, [0, 1], [20, 9]],
    ];
    for (const [name, off, st, shape] of views)
      for (const acc of [false, true]) {
        conform(`stridedScatter ${name} acc=${acc}`, { out: g.normal(300), inp: g.normal(size(shape)) },
          (be, x) => be.stridedScatter(f(x, 'out'), off, st, f(x, 'inp'), shape, acc));
      }
  });
});
