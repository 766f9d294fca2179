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
