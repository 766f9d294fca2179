// Scaled dot-product attention, causal by default, with an optional additive mask and grouped
// key/value heads. softmax(q·kᵀ·scale + mask)·v, Vaswani et al. 2017, eq. 1.
import { backend } from '../backend/index.js';
import { gradOf, needsGrad, record } from '../autograd/index.js';
import { Tensor, broadcastStrides, broadcastShapes, shapeStr, zeros } from '../tensor/index.js';
import { ShapeError, expectFloat } from './errors.js';

export interface AttentionOptions {
  /** Query i sees keys up to i + Tk − Tq (default true). */
  causal?: boolean;
  /** Added to the scores; broadcastable to (B, H, Tq, Tk); a constant (no gradient). */
  mask?: Tensor | null;
  /** Defaults to 1/√D. */
  scale?: number;
}

/** q (B, H, Tq, D), k and v (B, Hkv, Tk, D) → (B, H, Tq, D). */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'attention';
  for (const [t, n] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) {
    expectFloat(op, t, n);
    if (t.rank !== 4) throw new ShapeError(op, `${n} has shape ${shapeStr(t.shape)}, expected (B, H, T, D)`);
  }
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, Tk, Dk] = k.shape as [number, number, number, number];
  if (Bk !== B || Dk !== D || H % Hkv !== 0) {
    throw new ShapeError(op, `q ${shapeStr(q.shape)} and k ${shapeStr(k.shape)} do not match: expected the same B and D, and H a multiple of k's heads`);
  }
  if (v.shape.some((d, i) => d !== k.shape[i])) throw new ShapeError(op, `k ${shapeStr(k.shape)} and v ${shapeStr(v.shape)} must have the same shape`);
  const causal = opts.causal ?? true;
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const mask = opts.mask ?? null;
  let ms: number[] = [0, 0, 0, 0];
  if (mask) {
    expectFloat(op, mask, 'mask');
    const full = [B, H, Tq, Tk];
    const b = broadcastShapes(mask.shape, full);
    if (!b || b.some((d, i) => d !== full[i])) throw new ShapeError(op, `mask ${shapeStr(mask.shape)} does not broadcast to (B, H, Tq, Tk) = ${shapeStr(full)}`);
    ms = broadcastStrides(mask.shape, full);
  }
  const out = zeros([B, H, Tq, D]);
  const lse = new Float32Array(B * H * Tq);
  const m = mask ? mask.f32 : null;
  backend().attentionForward(out.f32, lse, q.f32, k.f32, v.f32, m, ms, B, H, Hkv, Tq, Tk, D, scale, causal);
  if (!needsGrad(q, k, v)) return out;
  return record(out, op, [q, k, v], (g) =>
    backend().attentionBackward(gradOf(q), gradOf(k), gradOf(v), g, out.f32, lse, q.f32, k.f32, v.f32, m, ms, B, H, Hkv, Tq, Tk, D, scale, causal));
}

/**
 * One new query per row against keys and values kept in preallocated buffers (decoding with a KV
 * cache): q (B, H, 1, D); kBuf, vBuf (B, Hkv, capacity, D) whose first `Tk` rows per head are in
 * use. Equals attention(q, k, v, { mask }) on those rows (causality is moot for the newest query)
 * but reads the buffers in place through the batch strides of two products, so that no step
 * copies the cache. Records no gradient: it is for sampling.
 */
export function attentionDecode(q: Tensor, kBuf: Tensor, vBuf: Tensor, Tk: number, opts: { mask?: Tensor | null; scale?: number } = {}): Tensor {
  const op = 'attentionDecode';
  for (const [t, n] of [[q, 'q'], [kBuf, 'k'], [vBuf, 'v']] as const) {
    expectFloat(op, t, n);
    if (t.rank !== 4) throw new ShapeError(op, `${n} has shape ${shapeStr(t.shape)}, expected (B, H, T, D)`);
  }
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, cap, Dk] = kBuf.shape as [number, number, number, number];
  if (Tq !== 1 || Bk !== B || Dk !== D || H % Hkv !== 0 || !(Tk >= 1 && Tk <= cap) || vBuf.shape.some((d, i) => d !== kBuf.shape[i])) {
    throw new ShapeError(op, `q ${shapeStr(q.shape)}, k ${shapeStr(kBuf.shape)}, v ${shapeStr(vBuf.shape)} with ${Tk} rows in use: expected one query, the same B and D, H a multiple of k's heads and 1 ≤ rows ≤ capacity`);
  }
  if (needsGrad(q, kBuf, vBuf)) throw new Error(`${op}: records no gradient; call it under noGrad (it is for sampling)`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const g = H / Hkv, be = backend();
  const shape = [B, H, 1, Tk];
  // Scores (B, H, 1, Tk): the group's g query rows are one (g, D) matrix per kv head.
  const s = new Float32Array(B * H * Tk);
  be.matmul(s, q.f32, kBuf.f32, B * Hkv, g, Tk, D, false, true, g * D, cap * D, g * Tk, false);
  const rowMajor = [H * Tk, Tk, Tk, 1];
  be.binaryForward('mul', s, s, rowMajor, Float32Array.of(scale), [0, 0, 0, 0], shape);
  const mask = opts.mask ?? null;
  if (mask) {
    expectFloat(op, mask, 'mask');
    const b = broadcastShapes(mask.shape, shape);
    if (!b || b.some((d, i) => d !== shape[i])) throw new ShapeError(op, `mask ${shapeStr(mask.shape)} does not broadcast to (B, H, 1, Tk) = ${shapeStr(shape)}`);
    be.binaryForward('add', s, s, rowMajor, mask.f32, broadcastStrides(mask.shape, shape), shape);
  }
  const p = new Float32Array(s.length);
  be.softmaxForward(p, s, B * H, Tk);
  const out = zeros([B, H, 1, D]);
  be.matmul(out.f32, p, vBuf.f32, B * Hkv, g, D, Tk, false, false, g * Tk, cap * D, g * D, false);
  return out;
}
