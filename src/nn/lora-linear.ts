// A frozen linear layer plus its LoRA update in one autograd node (issue 20: the LoRA step's
// memory and time at real shapes): y = x·op(W) + bias + scale·(x·Aᵀ)·Bᵀ, Hu et al. 2021 eq. 3.
// Composed from ops, the update costs four (…, out) tensors per projection that the graph keeps
// until backward (the base product, (x·Aᵀ)·Bᵀ, its scaled copy, the sum) and as many gradients;
// here only the output and the (…, r) h = x·Aᵀ are kept, and the backward makes no (…, out)
// temporary. The forward computes what the composition does, in
// its order (base product, x·Aᵀ, then h·Bᵀ, ×scale, + in one kernel, matmulScaledAdd, bit for bit
// the three), so its output is the composition's bit for bit; the backward's gradients are the
// composition's to rounding: x's gradient sums its terms in another order, and the scale multiplies
// h and B rather than g (the same bits where the scale is a power of two).
import { backend } from '../backend/index.js';
import { gradSlot, needsGrad, record, recycleGradBuffer, takeGradBuffer } from '../autograd/index.js';
import { halfProduct } from '../ops/index.js';
import { Tensor, empty, shapeStr } from '../tensor/index.js';

export interface LowRank {
  /** (r, in) */
  A: Tensor;
  /** (out, r) */
  B: Tensor;
  scale: number;
}

/** out (M, N) (+)= x (M, K)·op(w), w 16-bit or float32: the kernel matmul() would run. */
function baseProduct(out: Float32Array, x: Float32Array, w: Tensor, M: number, N: number, K: number, transB: boolean, accumulate: boolean,
  bf16Compute: boolean): void {
  if (w.isHalf) halfProduct(out, x, w, M, N, K, transB, accumulate, bf16Compute);
  else backend().matmul(out, x, w.f32, 1, M, N, K, false, transB, 0, 0, 0, accumulate);
}

/**
 * x (…, K) → (…, N): x·Wᵀ (`transB`, W (N, K)) or x·W (W (K, N)), plus bias (N), plus
 * scale·(x·Aᵀ)·Bᵀ. W and bias must be frozen (a LoRA base); A and B take gradients. With
 * bf16Compute, a bfloat16 W's products (forward and x's gradient) round x to bfloat16 (halfProduct).
 */
export function loraLinear(x: Tensor, w: Tensor, bias: Tensor | null, transB: boolean, lr: LowRank, bf16Compute = false): Tensor {
  const K = x.shape[x.rank - 1]!, M = x.size / Math.max(K, 1), r = lr.A.shape[0]!;
  const N = w.shape[transB ? 0 : 1]!;
  if (x.rank < 2 || w.rank !== 2 || w.shape[transB ? 1 : 0] !== K || lr.A.rank !== 2 || lr.A.shape[1] !== K || lr.B.rank !== 2 ||
    lr.B.shape[0] !== N || lr.B.shape[1] !== r || (bias && (bias.rank !== 1 || bias.shape[0] !== N))) {
    throw new Error(`loraLinear: shapes do not fit: x ${shapeStr(x.shape)}, W ${shapeStr(w.shape)}${transB ? 'ᵀ' : ''}, ` +
      `A ${shapeStr(lr.A.shape)}, B ${shapeStr(lr.B.shape)}${bias ? `, bias ${shapeStr(bias.shape)}` : ''}; expected A (r, ${K}), B (${N}, r)`);
  }
  if (w.requiresGrad || bias?.requiresGrad) throw new Error('loraLinear: the base weight and bias must be frozen (requiresGrad false)');
  const be = backend();
  const out = empty([...x.shape.slice(0, -1), N]);
  if (bias) be.stridedCopy(out.f32, bias.f32, 0, [0, 1], [M, N], false);
  baseProduct(out.f32, x.f32, w, M, N, K, transB, bias !== null, bf16Compute);
  const h = new Float32Array(M * r); // (M, r) = x·Aᵀ
  be.matmul(h, x.f32, lr.A.f32, 1, M, r, K, false, true, 0, 0, 0, false);
  be.matmulScaledAdd(out.f32, h, lr.B.f32, M, N, r, lr.scale); // out += scale·(h·Bᵀ), no (M, N) temporary
  if (!needsGrad(x, lr.A, lr.B)) return out;
  const s = Float32Array.of(lr.scale);
  return record(out, 'loraLinear', [x, lr.A, lr.B], (g) => {
    // dB = (scale·g)ᵀ·h, dh = (scale·g)·B, dA = dhᵀ·x, dx = dh·A + g·op(W)ᵀ. The scale goes onto
    // the small operands, h (M, r) and B (N, r), instead of a scaled copy of g (M, N): the same
    // bits where scale is a power of two (PEFT's alpha = 2r, the bench's 32/16), else to rounding.
    const dB = gradSlot(lr.B), dA = gradSlot(lr.A), dx = gradSlot(x);
    if (dB) {
      const hs = takeGradBuffer(M * r, false);
      be.binaryForward('mul', hs, h, [1], s, [0], [M * r]);
      be.matmul(dB.grad, g, hs, 1, N, r, M, true, false, 0, 0, 0, !dB.fresh);
      recycleGradBuffer(hs);
    }
    if (dA || dx) {
      const bs = takeGradBuffer(N * r, false), dh = takeGradBuffer(M * r, false);
      be.binaryForward('mul', bs, lr.B.f32, [1], s, [0], [N * r]);
      be.matmul(dh, g, bs, 1, M, r, N, false, false, 0, 0, 0, false);
      if (dA) be.matmul(dA.grad, dh, x.f32, 1, r, K, M, true, false, 0, 0, 0, !dA.fresh);
      if (dx) {
        be.matmul(dx.grad, dh, lr.A.f32, 1, M, K, r, false, false, 0, 0, 0, !dx.fresh);
        baseProduct(dx.grad, g, w, M, K, N, !transB, true, bf16Compute);
      }
      recycleGradBuffer(dh);
      recycleGradBuffer(bs);
    }
  });
}
