// The kernel interface. Kernels see typed arrays and dimensions, never a Tensor (as llm.c's do).
// Conventions, shared by every backend and checked by one conformance suite:
// - forward kernels overwrite their outputs;
// - backward kernels ACCUMULATE (+=) into the gradients they are given, so that autograd can
//   sum contributions from several uses of a tensor without temporaries;
// - a gradient argument that is `null` is not wanted and is skipped;
// - shapes are row-major; strides are in elements, 0 on a broadcast axis.
// B, T, C, V, H, D mean batch, time, channels, vocabulary, heads, head size.

export type F32 = Float32Array;
export type I32 = Int32Array;
/** 16-bit floats as their bit patterns: bfloat16 or IEEE binary16, as the kernel's `bf16` flag says. */
export type U16 = Uint16Array;
/** int8 codes of a weight-only quantised matrix. */
export type I8 = Int8Array;
export type Strides = readonly number[];

export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'relu' | 'pow';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

export interface Backend {
  readonly name: string;

  /**
   * out[b] (+)= op(a[b]) · op(b[b]) for b < batch, op(a) (M, K), op(b) (K, N), out[b] (M, N).
   * `transA` means a[b] is stored (K, M); `transB` means b[b] is stored (N, K). Batch strides may
   * be 0 (a broadcast operand, or an output summed over the batch when `accumulate`).
   */
  matmul(out: F32, a: F32, b: F32, batch: number, M: number, N: number, K: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, strideOut: number, accumulate: boolean): void;

  /**
   * out (M, N) (+)= a (M, K) · op(w) with a 16-bit weight w (bfloat16 when `bf16`, else binary16),
   * stored (N, K) when `transB` (x·Wᵀ), else (K, N); widened to float32 exactly as it is read, so
   * the result is that of `matmul` on the widened weight (issue 18: frozen weights stay 16-bit).
   */
  matmulHalf(out: F32, a: F32, w: U16, bf16: boolean, M: number, N: number, K: number, transB: boolean, accumulate: boolean): void;

  /**
   * out (M, N) (+)= a (M, K) · Wᵀ with an int8 weight-only W (N, K): W[n][k] = q[n·K + k]·scales[n]
   * rounded to float32 (per-output-channel scales); the result is matmul's on that dequantised W
   * (issue 20: int8 decoding, 1 byte an element read).
   */
  matmulInt8(out: F32, a: F32, q: I8, scales: F32, M: number, N: number, K: number, accumulate: boolean): void;

  /** out = f(inp) elementwise; `p` is the exponent for 'pow'. */
  unaryForward(op: UnaryOp, out: F32, inp: F32, n: number, p: number): void;
  /** dinp += f'(inp) · dout; `out` is f(inp), which several derivatives reuse. */
  unaryBackward(op: UnaryOp, dinp: F32, dout: F32, inp: F32, out: F32, n: number, p: number): void;

  /** GELU, tanh approximation (GPT-2). */
  geluForward(out: F32, inp: F32, n: number): void;
  geluBackward(dinp: F32, inp: F32, dout: F32, n: number): void;
  siluForward(out: F32, inp: F32, n: number): void;
  /**
   * rows × width float32 values of src (row r at r·width) rounded to bfloat16 bits (nearest, ties
   * to even; a NaN stays quiet) into dst at dstOffset + r·dstStride: a bfloat16 KV cache's store.
   */
  roundRowsBf16(dst: U16, src: F32, rows: number, width: number, dstOffset: number, dstStride: number): void;
  /** out = act(gate) ⊙ up, act SiLU or (gelu) tanh-GELU: the two ops' values in one pass. */
  gluForward(out: F32, gate: F32, up: F32, n: number, gelu: boolean): void;
  siluBackward(dinp: F32, inp: F32, dout: F32, n: number): void;
  /**
   * The backward of out = act(gate) ⊙ up (gluForward) from its gradient g, in one pass: dgate (or
   * null) += act′(gate)·(g·up); dup (or null) = g·act(gate) with upFresh, else += it. Bit for bit
   * the activation, two binary products and silu/geluBackward that it stands for.
   */
  gluBackward(dgate: F32 | null, dup: F32 | null, g: F32, gate: F32, up: F32, n: number, gelu: boolean, upFresh: boolean): void;

  /** out[i] = a[i·aStrides] op b[i·bStrides] over the output shape. */
  binaryForward(op: BinaryOp, out: F32, a: F32, aStrides: Strides, b: F32, bStrides: Strides, shape: Strides): void;
  /** da, db += partial derivatives · dout, summed over broadcast axes by the zero strides. */
  binaryBackward(op: BinaryOp, da: F32 | null, db: F32 | null, dout: F32,
    a: F32, aStrides: Strides, b: F32, bStrides: Strides, shape: Strides): void;

  /** View inp as (outer, R, inner); out (outer, inner) = sum over R. */
  sumForward(out: F32, inp: F32, outer: number, R: number, inner: number): void;
  sumBackward(dinp: F32, dout: F32, outer: number, R: number, inner: number): void;
  /** Max over R; argmax records the winning r (first on ties) for the backward. */
  maxForward(out: F32, argmax: I32, inp: F32, outer: number, R: number, inner: number): void;
  maxBackward(dinp: F32, dout: F32, argmax: I32, outer: number, R: number, inner: number): void;

  /** Row-wise over the last axis: inp and out (N, C). */
  softmaxForward(out: F32, inp: F32, N: number, C: number): void;
  softmaxBackward(dinp: F32, dout: F32, out: F32, N: number, C: number): void;
  logSoftmaxForward(out: F32, inp: F32, N: number, C: number): void;
  logSoftmaxBackward(dinp: F32, dout: F32, out: F32, N: number, C: number): void;

  /** out = (inp − mean)·rstd·weight + bias per row of (N, C); mean and rstd (N) are saved. */
  layerNormForward(out: F32, mean: F32, rstd: F32, inp: F32, weight: F32, bias: F32 | null, N: number, C: number, eps: number): void;
  layerNormBackward(dinp: F32 | null, dweight: F32 | null, dbias: F32 | null, dout: F32,
    inp: F32, weight: F32, mean: F32, rstd: F32, N: number, C: number): void;
  /** out = inp·rstd·weight, rstd = 1/sqrt(mean(inp²) + eps) per row. */
  rmsNormForward(out: F32, rstd: F32, inp: F32, weight: F32, N: number, C: number, eps: number): void;
  rmsNormBackward(dinp: F32 | null, dweight: F32 | null, dout: F32, inp: F32, weight: F32, rstd: F32, N: number, C: number): void;

  /** out (N, C) = table[ids] with table (V, C); ids already checked to lie in [0, V). */
  embeddingForward(out: F32, ids: I32, table: F32, N: number, C: number): void;
  embeddingBackward(dtable: F32, dout: F32, ids: I32, N: number, C: number): void;
  /** embeddingForward from a 16-bit table (bfloat16 when `bf16`, else binary16), rows widened exactly. */
  embeddingForwardHalf(out: F32, ids: I32, table: U16, bf16: boolean, N: number, C: number): void;

  /**
   * losses (N) = logsumexp(logits) − logits[target]; rows whose target is `ignoreIndex` get 0.
   * lse (N) is saved for the backward.
   */
  crossEntropyForward(losses: F32, lse: F32, logits: F32, targets: I32, N: number, V: number, ignoreIndex: number): void;
  /**
   * dlogits (+)= dlosses · (softmax(logits) − onehot(targets)) per row; with accumulate false each
   * row is zeroed first (an ignored target's row left 0), as if dlogits came zero-filled.
   */
  crossEntropyBackward(dlogits: F32, dlosses: F32, logits: F32, lse: F32, targets: I32, N: number, V: number, ignoreIndex: number,
    accumulate: boolean): void;
  /**
   * crossEntropyForward, then crossEntropyBackward for dlosses = 1 written over the logits
   * themselves, each value then multiplied by `scale` (a float32): the same bits as the three
   * steps, a row at a time (one pass over memory where the rows are large).
   */
  crossEntropyFused(losses: F32, lse: F32, logits: F32, targets: I32, N: number, V: number, ignoreIndex: number, scale: number): void;

  /**
   * Scaled dot-product attention. q (B, H, Tq, D); k, v (B, Hkv, Tk, D) with H a multiple of Hkv
   * (grouped-query attention: head h reads kv head h / (H / Hkv)); out (B, H, Tq, D).
   * Causal: query i sees keys j ≤ i + Tk − Tq (so a decode step with a KV cache sees the past).
   * `mask`, when given, is added to the scores through its strides over (B, H, Tq, Tk).
   * lse (B, H, Tq) is saved; the backward recomputes the probabilities from it, so no (Tq, Tk)
   * buffer has to outlive the forward (FlashAttention-2, Dao 2023).
   * `layout` (12 numbers) gives the (batch, head, row) strides of q, k, v and out, in that
   * order, with each row's D values contiguous: heads may be read from, and written into, an
   * interleaved (B, T, H·D) projection. The gradients use the strides of what they belong to
   * (dq q's, dout out's); `contiguousLayout` gives the packed (B, H, T, D) strides.
   * `softcap` > 0 maps each scaled score s to softcap·tanh(s/softcap) before the mask is added
   * (Gemma 2's attn_logit_softcapping); `window` > 0 (with causal) hides key j from query i
   * unless j > i + Tk − Tq − window (a sliding window: keys outside it are never visited).
   * 0 means none for both.
   * `bf16` permits the products to take their operands rounded to bfloat16 (q, k, v, dout, the
   * probabilities and the scores' gradient; float32 sums and softmax), as torch's autocast to bf16
   * runs attention: the native backend does so where the CPU has AMX tiles (attention-amx.cc),
   * several times the float32 products' speed there; elsewhere, and on the JavaScript backend, it
   * changes nothing. The forward and backward of one attention must be given the same value.
   */
  attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, mask: F32 | null, maskStrides: Strides,
    B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, scale: number, causal: boolean,
    layout: Strides, softcap?: number, window?: number, bf16?: boolean): void;
  attentionBackward(dq: F32 | null, dk: F32 | null, dv: F32 | null, dout: F32, out: F32, lse: F32,
    q: F32, k: F32, v: F32, mask: F32 | null, maskStrides: Strides,
    B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, scale: number, causal: boolean,
    layout: Strides, softcap?: number, window?: number, bf16?: boolean): void;

  /**
   * One decoding query per (batch row, head) over the first Tk rows of a bfloat16 KV cache: q, out
   * (B, H, D); k, v (B, Hkv, cap, D) bfloat16 bits, widened exactly; `mask` (or null) is added to
   * the scaled (soft-capped) scores at b·maskStrides[0] + h·maskStrides[1] + j·maskStrides[2];
   * softcap and window as in attentionForward (0: none). attentionForward's result on the widened
   * rows, up to the order of the float32 sums; a row whose keys are all hidden gets zeros.
   */
  attentionDecodeHalf(out: F32, q: F32, k: U16, v: U16, mask: F32 | null, maskStrides: Strides,
    B: number, H: number, Hkv: number, cap: number, Tk: number, D: number, scale: number, softcap: number, window: number): void;

  /** out (contiguous, `shape`) (+)= inp viewed at inpOffset with inpStrides. */
  stridedCopy(out: F32, inp: F32, inpOffset: number, inpStrides: Strides, shape: Strides, accumulate: boolean): void;
  /** out viewed at outOffset with outStrides (+)= inp (contiguous, `shape`). */
  stridedScatter(out: F32, outOffset: number, outStrides: Strides, inp: F32, shape: Strides, accumulate: boolean): void;

  /**
   * Rotary position embedding, rotate-half layout: out (B, h, T, D), contiguous, = x·cos +
   * rotate_half(x)·sin, with x's head row (b, hh, t) read at offset + b·strides[0] +
   * hh·strides[1] + t·strides[2] (D contiguous values), cos and sin (B, T, D); each product rounded
   * to float32, then their sum. shape = [B, h, T, D], D even.
   */
  rotaryForward(out: F32, x: F32, cos: F32, sin: F32, shape: Strides, strides: Strides, offset: number): void;
  /**
   * dx, viewed as x is above, += the rotation's transpose applied to g (B, h, T, D contiguous):
   * the rotated term rounded to float32, g·cos fused onto it in one rounding, then added to dx.
   */
  rotaryBackward(dx: F32, g: F32, cos: F32, sin: F32, shape: Strides, strides: Strides, offset: number): void;

  /** out = cond ≠ 0 ? a : b, each read through its strides over the output shape. */
  whereForward(out: F32, cond: F32 | I32, condStrides: Strides, a: F32, aStrides: Strides, b: F32, bStrides: Strides, shape: Strides): void;
  whereBackward(da: F32 | null, db: F32 | null, dout: F32, cond: F32 | I32, condStrides: Strides,
    aStrides: Strides, bStrides: Strides, shape: Strides): void;

  /** Σ x², accumulated in float64: the global gradient norm for clipping. */
  sumSquares(inp: F32, n: number): number;
  /**
   * x[i] ← x[i]·s in place, the product rounded to float64 and then stored as float32 (JavaScript's
   * `x[i] *= s` on a Float32Array, bit for bit): the clip's rescale of every gradient.
   */
  scaleInPlace(x: F32, n: number, s: number): void;

  /**
   * One fused AdamW step in place (Loshchilov & Hutter 2019, decoupled weight decay, in
   * PyTorch's form): m, v ← moments; p ← p·(1 − lr·wd) − lr·(m/bc1)/(√(v/bc2) + eps)
   * with bc1 = 1 − beta1^step and bc2 = 1 − beta2^step (step counts from 1).
   */
  adamwUpdate(param: F32, grad: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number,
    eps: number, weightDecay: number, step: number): void;

  /**
   * out (M, N) = bias (N, added to every row) + op(a) · op(b), transposes as in `matmul`: a linear
   * layer's forward. Bit for bit `matmul` accumulating onto the bias copied into every row of out,
   * which is how the reference computes it; native kernels skip that pass over out.
   */
  matmulBias(out: F32, a: F32, b: F32, bias: F32, M: number, N: number, K: number, transA: boolean, transB: boolean): void;

  /**
   * out (M, N) += scale·(a (M, K) · bᵀ), b stored (N, K): a LoRA update added onto the base
   * projection's output. Per element fl(out + fl(scale·p)), p the product `matmul` gives, so it
   * is bit for bit matmul into a buffer, binaryForward('mul') by scale, binaryForward('add').
   */
  matmulScaledAdd(out: F32, a: F32, b: F32, M: number, N: number, K: number, scale: number): void;

  /**
   * out (M, N) (+)= bf16(a) (M, K) · op(w) with a bfloat16 weight w stored (N, K) when `transB`
   * (x·Wᵀ), else (K, N): a rounded to the nearest bfloat16 (ties to even), each product exact in
   * float32, the products summed in float32 in an order of the backend's own (issue 20's opt-in
   * bf16 compute, AVX-512 BF16's vdpbf16ps natively). Not equal to matmulHalf: a is rounded.
   */
  matmulBf16Dot(out: F32, a: F32, w: U16, M: number, N: number, K: number, transB: boolean, accumulate: boolean): void;

  /**
   * Greedy decoding over B rows of V logits: token[b] the first index of row b's maximum (a NaN
   * never wins), sum[b] = Σ_i exp(x_bi − max) in float64, i in order, exp being JavaScript's
   * Math.exp (fdlibm's algorithm) so that the sum is logSoftmaxT's normaliser bit for bit.
   */
  greedyRows(token: I32, sum: Float64Array, logits: F32, B: number, V: number): void;

  /**
   * Sampling's normaliser over B rows of V logits at temperature t > 0, as logSoftmaxT computes
   * it in float64: stats[2b] = m = max_i x_bi / t, stats[2b + 1] = Σ_i exp(x_bi / t − m), i in
   * order, exp being JavaScript's Math.exp (fdlibm's algorithm), bit for bit.
   */
  softmaxSums(stats: Float64Array, logits: F32, B: number, V: number, temperature: number): void;

  /**
   * pickToken's inverse-CDF draw over one row of V logits: the first i with
   * u < Σ_{j ≤ i} exp(x_j / t − lse), summed in float64 in order with Math.exp's exp; −1 when the
   * sum never passes u (the rounding sliver, left to the caller).
   */
  inverseCdf(logits: F32, V: number, temperature: number, lse: number, u: number): number;
}

/** The attention `layout` of packed q, out (B, H, Tq, D) and k, v (B, Hkv, Tk, D). */
export function contiguousLayout(H: number, Hkv: number, Tq: number, Tk: number, D: number): number[] {
  const q = [H * Tq * D, Tq * D, D], kv = [Hkv * Tk * D, Tk * D, D];
  return [...q, ...kv, ...kv, ...q];
}
