// The LM head and the token cross-entropy fused and walked in row chunks (issue 20, point 3):
// with a 49k–152k vocabulary the (N, V) float32 logits of a training batch, and their gradient,
// outweigh the rest of the step's activations. Forward keeps only each row's logsumexp; backward
// recomputes one chunk of logits at a time, so the extra memory is O(chunk × V), never O(N × V).
// Each chunk runs the very kernels the unfused path runs (matmul, a scale by 1/τ, crossEntropy),
// so a batch that fits one chunk gives the unfused path's bits, and a split one differs only by
// the order dW's row sums are added in.
import { backend } from '../backend/index.js';
import { gradSlot, needsGrad, record } from '../autograd/index.js';
import { Tensor, shapeStr, uninitializedF32, zeros } from '../tensor/index.js';
import { ShapeError, expectFloat, expectInt } from './errors.js';
import { halfProduct } from './matmul.js';

export interface LmHeadLossOptions {
  /** Targets equal to this get loss 0 and no gradient (PyTorch's −100). */
  ignoreIndex?: number;
  /** Logits are divided by τ before the softmax (the sampling temperature); 1 leaves them. */
  temperature?: number;
  /** Rows per chunk; by default as many as keep one chunk's logits within LOGIT_BUDGET floats. */
  chunkRows?: number;
  /** With a bfloat16 weight: hidden rounded to bfloat16 for the head's products (halfProduct). */
  bf16Compute?: boolean;
}

/** Floats of logits one chunk may hold: 16 MiB, so 85 rows of SmolLM2's 49,152-token vocabulary. */
export const LOGIT_BUDGET = 1 << 22;

/**
 * The budget where the weight is a frozen 16-bit one (a LoRA base's head): 148 MiB, 256 rows of
 * Qwen2.5's 151,936 entries. With no dW to sum, the chunking changes no bit (each row's logits and
 * dHidden are the same whatever the rows beside it), only how many rows each pass over the
 * weight serves — 272 MB at Qwen2.5's shape, streamed from memory by each chunk's two products.
 * On AMX (2-core Xeon, D's LoRA step, `node dist/bench/lora-step-profile.js D bf16`, alternating)
 * the head's products and cross-entropy took 363–443 ms a step in chunks of 256 rows against
 * 442–703 in chunks of 110. 512 rows gained little more (the head alone, 512 tokens, builds
 * alternating: 148–202 ms for the logits' product against 159–213) for 311 MB more at the
 * exact path's peak, which holds a chunk's logits and its gradient together.
 */
export const FROZEN_LOGIT_BUDGET = 256 * 151_936;
/**
 * Rows per chunk at most: SmolLM2's 49,152 entries (a 57 MB weight) stop here. Its step measured
 * level between 128 and 256 rows (87–128 against 95–139 ms), so its chunks cost only memory past it.
 */
export const FROZEN_CHUNK_ROWS = 256;

/** Rows per chunk for a vocabulary of V entries under the budget (at least one). */
export function chunkRowsFor(V: number, budget = LOGIT_BUDGET): number {
  return Math.max(1, Math.floor(budget / Math.max(V, 1)));
}

interface Head { N: number; C: number; V: number; R: number; scale: number; bf16: boolean }

function checkHead(op: string, hidden: Tensor, weight: Tensor, opts: LmHeadLossOptions): Head {
  expectFloat(op, hidden, 'hidden');
  if (!weight.isHalf) expectFloat(op, weight, 'weight'); // a frozen 16-bit head is read by matmulHalf
  if (weight.rank !== 2) throw new ShapeError(op, `weight has shape ${shapeStr(weight.shape)}, expected (V, C)`);
  const [V, C] = weight.shape as [number, number];
  if (hidden.rank < 1 || hidden.shape[hidden.rank - 1] !== C) {
    throw new ShapeError(op, `hidden has shape ${shapeStr(hidden.shape)}, expected (…, ${C}) to match weight ${shapeStr(weight.shape)}`);
  }
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`${op}: temperature is ${temperature}; expected a finite number > 0`);
  const R = opts.chunkRows ?? (weight.isHalf ? Math.min(FROZEN_CHUNK_ROWS, chunkRowsFor(V, FROZEN_LOGIT_BUDGET)) : chunkRowsFor(V));
  if (!(Number.isInteger(R) && R >= 1)) throw new RangeError(`${op}: chunkRows is ${R}; expected a positive integer`);
  // As mul(logits, 1/τ) rounds it: a float32 scalar.
  return { N: hidden.size / C, C, V, R, scale: Math.fround(1 / temperature), bf16: opts.bf16Compute ?? false };
}

/**
 * out (M, N) = a (M, K) · W, or · Wᵀ with transB, for a float32 or a frozen 16-bit W (widened in the
 * kernel, bit for bit the float32 product on the widened values: ops/matmul.ts).
 */
function headMatmul(out: Float32Array, a: Float32Array, weight: Tensor, M: number, N: number, K: number, transB: boolean, accumulate: boolean,
  bf16Compute: boolean): void {
  if (weight.isHalf) halfProduct(out, a, weight, M, N, K, transB, accumulate, bf16Compute);
  else backend().matmul(out, a, weight.f32, 1, M, N, K, false, transB, 0, 0, 0, accumulate);
}

/** logits (n, V) of rows [r0, r0 + n) of hidden, scaled by 1/τ as the unfused path does. */
function chunkLogits(h: Head, hidden: Float32Array, weight: Tensor, r0: number, n: number, out: Float32Array): Float32Array {
  const { C, V, scale } = h;
  const logits = out.subarray(0, n * V);
  headMatmul(logits, hidden.subarray(r0 * C, (r0 + n) * C), weight, n, V, C, true, false, h.bf16);
  if (scale !== 1) for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! * scale;
  return logits;
}

/**
 * −log softmax(hidden·Wᵀ/τ)[target] per row: hidden (…, C), weight (V, C) (the head or the tied
 * embedding), targets (…) int32 → (…), 0 where the target is ignored. crossEntropy(matmul(hidden,
 * weight, { transB: true }) / τ, targets, { reduction: 'none' }) without its (…, V) logits.
 */
export function lmHeadCrossEntropy(hidden: Tensor, weight: Tensor, targets: Tensor, opts: LmHeadLossOptions = {}): Tensor {
  const op = 'lmHeadCrossEntropy';
  const h = checkHead(op, hidden, weight, opts);
  expectInt(op, targets, 'targets');
  const lead = hidden.shape.slice(0, -1);
  if (lead.length !== targets.rank || lead.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError(op, `hidden ${shapeStr(hidden.shape)} and targets ${shapeStr(targets.shape)} do not match: expected targets of shape ${shapeStr(lead)}`);
  }
  const { N, C, V, R } = h, ignoreIndex = opts.ignoreIndex ?? -100, tv = targets.i32;
  for (let i = 0; i < N; i++) {
    if (tv[i] !== ignoreIndex && !(tv[i]! >= 0 && tv[i]! < V)) throw new RangeError(`${op}: target ${tv[i]} at position ${i} is outside [0, ${V}) (ignoreIndex is ${ignoreIndex})`);
  }
  const losses = zeros(lead), lse = new Float32Array(N);
  // Written over in full before each read (the logits by the head's product, dLogits row by row
  // by crossEntropyBackward or crossEntropyFused): not zero-filled, 148 MiB a chunk of 256 rows at
  // D's vocabulary.
  const buf = uninitializedF32(Math.min(R, N) * V);
  const early = h.bf16 && weight.dtype === 'bfloat16' && needsGrad(hidden) ? new EarlyHiddenGrad(h) : null;
  for (let r0 = 0; r0 < N; r0 += R) {
    const n = Math.min(R, N - r0);
    const logits = chunkLogits(h, hidden.f32, weight, r0, n, buf);
    if (early) early.chunk(weight, losses.f32, logits, lse, tv, r0, n, ignoreIndex);
    else backend().crossEntropyForward(losses.f32.subarray(r0, r0 + n), lse.subarray(r0, r0 + n), logits, tv.subarray(r0, r0 + n), n, V, ignoreIndex);
  }
  if (!needsGrad(hidden, weight)) return losses;
  if (early) return record(losses, op, [hidden], (g) => early.backward(gradSlot(hidden), g));
  return record(losses, op, [hidden, weight], (g) => {
    const dh = gradSlot(hidden), dw = gradSlot(weight);
    const dlogits = uninitializedF32(Math.min(R, N) * V);
    let wFresh = dw?.fresh ?? false;
    for (let r0 = 0; r0 < N; r0 += R) {
      const n = Math.min(R, N - r0);
      const logits = chunkLogits(h, hidden.f32, weight, r0, n, buf);
      const d = chunkDlogits(h, dlogits, g.subarray(r0, r0 + n), logits, lse, tv, r0, n, ignoreIndex);
      // dHidden = dLogits·W and dW = dLogitsᵀ·hidden, as matmul's backward writes them.
      if (dh) headMatmul(dh.grad.subarray(r0 * C, (r0 + n) * C), d, weight, n, C, V, false, !dh.fresh, h.bf16);
      if (dw) { backend().matmul(dw.grad, d, hidden.f32.subarray(r0 * C, (r0 + n) * C), 1, V, C, n, true, false, 0, 0, 0, !wFresh); wFresh = false; }
    }
  });
}

/**
 * dLogits of rows [r0, r0 + n) into buf's first n·V floats: cross-entropy's backward with the rows'
 * upstream gradients g (n), then the 1/τ of mul(logits, 1/τ).
 */
function chunkDlogits(h: Head, buf: Float32Array, g: Float32Array, logits: Float32Array, lse: Float32Array, tv: Int32Array, r0: number, n: number, ignoreIndex: number): Float32Array {
  const d = buf.subarray(0, n * h.V);
  backend().crossEntropyBackward(d, g, logits, lse.subarray(r0, r0 + n), tv.subarray(r0, r0 + n), n, h.V, ignoreIndex, false);
  if (h.scale !== 1) for (let i = 0; i < d.length; i++) d[i] = d[i]! * h.scale;
  return d;
}

/**
 * Under bf16 compute with a frozen bfloat16 head (the LoRA step), dHidden's rows are made in the
 * forward, while each chunk's logits are at hand, rather than by recomputing every chunk's logits
 * in the backward (a third of the head's products saved): row i's gradient is gᵢ·((softmax − onehot)ᵢ/τ)·W,
 * and gᵢ, known only in the backward, is a per-row factor applied there. It differs from the
 * recomputing path only in where gᵢ is multiplied in (after the product, not before): a rounding,
 * which the opt-in mode allows (lm-head.test.ts bounds it against the exact path). No dW: a
 * 16-bit weight takes no gradient.
 */
class EarlyHiddenGrad {
  /** (N, C): dHidden for gᵢ = 1. */
  private readonly rows: Float32Array;

  constructor(private readonly h: Head) {
    this.rows = new Float32Array(h.N * h.C);
  }

  /**
   * The chunk's losses and lse, and its dLogits for gᵢ = 1 written over its logits (the fused
   * kernel: the same bits as crossEntropyForward, chunkDlogits' backward and 1/τ), then their rows of dHidden.
   */
  chunk(weight: Tensor, losses: Float32Array, logits: Float32Array, lse: Float32Array, tv: Int32Array, r0: number, n: number, ignoreIndex: number): void {
    const { C, V } = this.h;
    backend().crossEntropyFused(losses.subarray(r0, r0 + n), lse.subarray(r0, r0 + n), logits, tv.subarray(r0, r0 + n), n, V, ignoreIndex, this.h.scale);
    headMatmul(this.rows.subarray(r0 * C, (r0 + n) * C), logits, weight, n, C, V, false, false, true);
  }

  backward(dh: ReturnType<typeof gradSlot>, g: Float32Array): void {
    if (!dh) return;
    const { N, C } = this.h, out = dh.grad, rows = this.rows;
    for (let i = 0; i < N; i++) {
      const gi = g[i]!, o = i * C;
      if (dh.fresh) for (let c = 0; c < C; c++) out[o + c] = gi * rows[o + c]!;
      else for (let c = 0; c < C; c++) out[o + c] = out[o + c]! + gi * rows[o + c]!;
    }
  }
}

/**
 * One number per row of hidden (…, C) from its logits hidden·Wᵀ/τ, without a graph: `perRow`
 * maps one chunk of logits (n, V) to its n numbers (the online trainers' entropy monitor).
 */
export function lmHeadRows(hidden: Tensor, weight: Tensor, perRow: (logits: Tensor) => Float32Array, opts: LmHeadLossOptions = {}): Float32Array {
  const h = checkHead('lmHeadRows', hidden, weight, opts);
  const { N, V, R } = h;
  const out = new Float32Array(N), buf = new Float32Array(Math.min(R, N) * V);
  for (let r0 = 0; r0 < N; r0 += R) {
    const n = Math.min(R, N - r0);
    out.set(perRow(new Tensor(chunkLogits(h, hidden.f32, weight, r0, n, buf), [n, V])), r0);
  }
  return out;
}
