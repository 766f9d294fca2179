// Batched matrix product with optional transposed operands and broadcast batch axes.
// For C = A'·B' (A' = op(A), B' = op(B)): dA' = dC·B'ᵀ and dB' = A'ᵀ·dC, each written back in
// the layout A and B are stored in, so no transposed copy is ever made.
import { backend } from '../backend/index.js';
import { gradOf, gradSlot, needsGrad, record } from '../autograd/index.js';
import { Tensor, broadcastShapes, empty, numel, shapeStr, stridesOf } from '../tensor/index.js';
import { ShapeError, expectFloat } from './errors.js';

export interface MatmulOptions {
  /** a is stored (..., K, M) and used transposed. */
  transA?: boolean;
  /** b is stored (..., N, K) and used transposed (x·Wᵀ with W (out, in), as nn.Linear stores it). */
  transB?: boolean;
  /** (N) added to every row of the product in the same pass: a linear layer's bias. */
  bias?: Tensor | null;
  /** With a bfloat16 b: round a to bfloat16 for the product and its backward (halfProduct). */
  bf16Compute?: boolean;
}

/** Offsets of each batch element into an operand whose batch shape broadcasts to `batch`. */
function batchOffsets(own: readonly number[], batch: readonly number[], matSize: number): number[] {
  const n = numel(batch);
  const st = stridesOf(own);
  const off = batch.length - own.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rem = i, o = 0;
    for (let ax = batch.length - 1; ax >= 0; ax--) {
      const idx = rem % batch[ax]!;
      rem = Math.floor(rem / batch[ax]!);
      const oa = ax - off;
      if (oa >= 0 && own[oa] !== 1) o += idx * st[oa]!;
    }
    out[i] = o * matSize;
  }
  return out;
}

/** A uniform stride if the offsets are i·s, else null. */
function uniformStride(offs: number[]): number | null {
  const s = offs.length > 1 ? offs[1]! - offs[0]! : 0;
  for (let i = 0; i < offs.length; i++) if (offs[i] !== i * s) return null;
  return s;
}

type Gemm = (out: Float32Array, outOff: number, x: Float32Array, xOff: number, y: Float32Array, yOff: number,
  M: number, N: number, K: number, tx: boolean, ty: boolean) => void;

/**
 * out[outOffs[i]] (+)= x[xOffs[i]]·y[yOffs[i]]: one batched call when the offsets are regular,
 * else one gemm per batch element. With `accumulate` false every output block is written once,
 * overwriting what was there: only for outputs whose offsets are all distinct.
 */
function batched(outOffs: number[], xOffs: number[], yOffs: number[], out: Float32Array, x: Float32Array, y: Float32Array,
  M: number, N: number, K: number, tx: boolean, ty: boolean, accumulate = true): void {
  const so = uniformStride(outOffs), sx = uniformStride(xOffs), sy = uniformStride(yOffs);
  if (so !== null && sx !== null && sy !== null) {
    backend().matmul(out, x, y, outOffs.length, M, N, K, tx, ty, sx, sy, so, accumulate);
    return;
  }
  const one: Gemm = (o, oo, a, ao, b, bo) =>
    backend().matmul(o.subarray(oo), a.subarray(ao), b.subarray(bo), 1, M, N, K, tx, ty, 0, 0, 0, accumulate);
  for (let i = 0; i < outOffs.length; i++) one(out, outOffs[i]!, x, xOffs[i]!, y, yOffs[i]!, M, N, K, tx, ty);
}

/** gradSlot's shape for a gradient that must be accumulated onto (zero-filled when new). */
function zeroedSlot(t: Tensor): { grad: Float32Array; fresh: false } | null {
  const grad = gradOf(t);
  return grad && { grad, fresh: false };
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  if (b.isHalf) return matmulHalfWeight(a, b, opts);
  expectFloat(op, a, 'a');
  expectFloat(op, b, 'b');
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(op, `operands must have rank ≥ 2, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  const tA = opts.transA ?? false, tB = opts.transB ?? false;
  // (…, M, K)·(K, N) with b one matrix, as a linear layer on (B, T, C): the leading axes of a
  // fold into M, so one GEMM runs instead of one per batch element, with no reshape.
  const fold = b.rank === 2 && a.rank > 2 && !tA;
  const ac = a.shape[a.rank - 1]!, ar = fold ? a.size / Math.max(ac, 1) : a.shape[a.rank - 2]!;
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const M = tA ? ac : ar, K = tA ? ar : ac;
  const Kb = tB ? bc : br, N = tB ? br : bc;
  if (K !== Kb) {
    throw new ShapeError(op, `inner dimensions differ: a ${shapeStr(a.shape)}${tA ? 'ᵀ' : ''} has K=${K}, b ${shapeStr(b.shape)}${tB ? 'ᵀ' : ''} has K=${Kb}`);
  }
  const aBatch = fold ? [] : a.shape.slice(0, -2), bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  if (!batch) throw new ShapeError(op, `batch axes of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not broadcast`);
  const bias = opts.bias ?? null;
  if (bias) {
    expectFloat(op, bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== N) throw new ShapeError(op, `bias has shape ${shapeStr(bias.shape)}, expected [${N}] (the product's last axis)`);
  }
  // Every output block is written once (K = 0 writes zeros), so its contents need no zero fill.
  const out = empty(fold ? [...a.shape.slice(0, -1), N] : [...batch, M, N]);
  const rows = N === 0 ? 0 : out.size / N;
  const aOffs = batchOffsets(aBatch, batch, ar * ac), bOffs = batchOffsets(bBatch, batch, br * bc);
  const oOffs = batchOffsets(batch, batch, M * N);
  // The bias is written first and the products accumulate onto it; one product (a linear layer)
  // does both in one kernel, which sets each tile of out to the bias as it computes it.
  if (bias && oOffs.length === 1) backend().matmulBias(out.f32, a.f32.subarray(aOffs[0]), b.f32.subarray(bOffs[0]), bias.f32, M, N, K, tA, tB);
  else {
    if (bias) backend().stridedCopy(out.f32, bias.f32, 0, [0, 1], [rows, N], false);
    batched(oOffs, aOffs, bOffs, out.f32, a.f32, b.f32, M, N, K, tA, tB, bias !== null);
  }
  const inputs = bias ? [a, b, bias] : [a, b];
  if (!needsGrad(...inputs)) return out;
  // An operand broadcast over the batch sums its gradient over it: those blocks must accumulate.
  const aWhole = oOffs.length === 1 || aBatch.length === batch.length && aBatch.every((d, i) => d === batch[i]);
  const bWhole = oOffs.length === 1 || bBatch.length === batch.length && bBatch.every((d, i) => d === batch[i]);
  return record(out, op, inputs, (g) => {
    // A gradient this product creates is overwritten rather than zero-filled and added to.
    const da = aWhole ? gradSlot(a) : zeroedSlot(a), db = bWhole ? gradSlot(b) : zeroedSlot(b);
    const dbias = gradOf(bias);
    if (da) {
      // dA' = dC·B'ᵀ, stored as A is.
      if (!tA) batched(aOffs, oOffs, bOffs, da.grad, g, b.f32, M, K, N, false, !tB, !da.fresh);
      else batched(aOffs, bOffs, oOffs, da.grad, b.f32, g, K, M, N, tB, true, !da.fresh);
    }
    if (db) {
      // dB' = A'ᵀ·dC, stored as B is.
      if (!tB) batched(bOffs, aOffs, oOffs, db.grad, a.f32, g, K, N, M, !tA, false, !db.fresh);
      else batched(bOffs, oOffs, aOffs, db.grad, g, a.f32, N, K, M, true, tA, !db.fresh);
    }
    // dbias = Σ over rows of dC: the backward of add(y, bias), as the unfused layer computed it.
    if (dbias) backend().binaryBackward('add', null, dbias, g, g, [N, 1], bias!.f32, [0, 1], [rows, N]);
  });
}

// The product of activations with a frozen 16-bit weight, for every op that has one (matmul's
// 16-bit path below, the fused LM head, nn/lora-linear, the Llama decoder): exact by default
// (matmulHalf widens the weight, so the result is the float32 model's, bit for bit), or, opted
// into with `bf16Compute` (Transformer.bf16Compute, --bf16-compute; issue 20), with the
// activations rounded to bfloat16 and the products summed in float32 (matmulBf16Dot: AVX-512
// BF16's vdpbf16ps, twice the multiply-adds per instruction), what torch's autocast to bf16 does.


/**
 * Rows below which bf16 compute keeps the exact product: the bf16 kernel packs the weight per
 * call, which at batch 1 and 2 costs more than the float32 thin kernels' whole product (measured
 * on a 2-core Zen 4 at 1536×576 and 4864×896: 0.3–0.6× as fast at 1–2 rows, 1.3–2× from 4 rows).
 */
export const BF16_COMPUTE_MIN_ROWS = 4;

/**
 * out (M, N) (+)= a (M, K)·op(w), w a 16-bit weight stored (N, K) when transB, else (K, N). With
 * bf16Compute and a bfloat16 w of M ≥ BF16_COMPUTE_MIN_ROWS rows, a is rounded to bfloat16.
 */
export function halfProduct(out: Float32Array, a: Float32Array, w: Tensor, M: number, N: number, K: number, transB: boolean,
  accumulate: boolean, bf16Compute = false): void {
  const bf16 = w.dtype === 'bfloat16';
  if (bf16Compute && bf16 && M >= BF16_COMPUTE_MIN_ROWS) backend().matmulBf16Dot(out, a, w.u16, M, N, K, transB, accumulate);
  else backend().matmulHalf(out, a, w.u16, bf16, M, N, K, transB, accumulate);
}

/**
 * matmul with a frozen 16-bit weight b (2-D, bfloat16 or float16, issue 18): the kernel widens it
 * as it reads it, so the product is that of the widened float32 weight, bit for bit (unless
 * opts.bf16Compute, halfProduct). b takes no
 * gradient (a 16-bit tensor cannot require one); the backward is dA' = dC·B'ᵀ, from b as stored.
 */
function matmulHalfWeight(a: Tensor, b: Tensor, opts: MatmulOptions): Tensor {
  const op = 'matmul';
  expectFloat(op, a, 'a');
  if (b.rank !== 2 || a.rank < 2 || opts.transA) {
    throw new ShapeError(op, `a ${b.dtype} weight must be the 2-D right operand of an untransposed a; got a ${shapeStr(a.shape)}${opts.transA ? 'ᵀ' : ''}, b ${shapeStr(b.shape)}`);
  }
  const tB = opts.transB ?? false, K = a.shape[a.rank - 1]!, M = a.size / Math.max(K, 1);
  const [br, bc] = b.shape as [number, number];
  const Kb = tB ? bc : br, N = tB ? br : bc;
  if (K !== Kb) throw new ShapeError(op, `inner dimensions differ: a ${shapeStr(a.shape)} has K=${K}, b ${shapeStr(b.shape)}${tB ? 'ᵀ' : ''} has K=${Kb}`);
  const bias = opts.bias ?? null;
  if (bias) {
    expectFloat(op, bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== N) throw new ShapeError(op, `bias has shape ${shapeStr(bias.shape)}, expected [${N}] (the product's last axis)`);
  }
  const out = empty([...a.shape.slice(0, -1), N]);
  const bf16 = opts.bf16Compute ?? false;
  if (bias) backend().stridedCopy(out.f32, bias.f32, 0, [0, 1], [M, N], false);
  halfProduct(out.f32, a.f32, b, M, N, K, tB, bias !== null, bf16);
  const inputs = bias ? [a, bias] : [a];
  if (!needsGrad(...inputs)) return out;
  return record(out, op, inputs, (g) => {
    const da = gradSlot(a), dbias = gradOf(bias);
    // dA = dC·B'ᵀ: B' = Wᵀ (tB) makes it dC·W, and B' = W makes it dC·Wᵀ.
    if (da) halfProduct(da.grad, g, b, M, K, N, !tB, !da.fresh, bf16);
    if (dbias) backend().binaryBackward('add', null, dbias, g, g, [N, 1], bias!.f32, [0, 1], [M, N]);
  });
}
