// Scaled dot-product attention, causal by default, with an optional additive mask and grouped
// key/value heads. softmax(q·kᵀ·scale + mask)·v, Vaswani et al. 2017, eq. 1.
import { backend, contiguousLayout } from '../backend/index.js';
import { gradOf, needsGrad, record } from '../autograd/index.js';
import { Tensor, broadcastStrides, broadcastShapes, empty, shapeStr, zeros } from '../tensor/index.js';
import { ShapeError, expectFloat } from './errors.js';

export interface AttentionOptions {
  /** Query i sees keys up to i + Tk − Tq (default true). */
  causal?: boolean;
  /** Added to the scores; broadcastable to (B, H, Tq, Tk); a constant (no gradient). */
  mask?: Tensor | null;
  /** Defaults to 1/√D. */
  scale?: number;
  /**
   * Scores soft-capped as cap·tanh(s/cap) after scaling, before the mask (Gemma 2's
   * attn_logit_softcapping, in the order of transformers' eager attention); null: none.
   */
  softcap?: number | null;
  /**
   * Sliding window (causal only): query i sees key j only when j > i + Tk − Tq − window, as
   * transformers' sliding_window_overlay; null: none. The kernels skip the keys outside it, so it
   * costs nothing where an additive (B, 1, Tq, Tk) mask would cost Tq·Tk floats and their reads.
   */
  window?: number | null;
  /**
   * Permits the products to round their operands to bfloat16 (float32 sums and softmax), as
   * torch's autocast to bf16 runs attention; the native backend takes it where the CPU has AMX
   * tiles (a model's bf16Compute passes it). Default false: float32 products.
   */
  bf16?: boolean;
}

/** softcap and window checked: each 0 when absent. */
function capAndWindow(op: string, opts: AttentionOptions, causal: boolean): { softcap: number; window: number } {
  const softcap = opts.softcap ?? 0, window = opts.window ?? 0;
  if (!(Number.isFinite(softcap) && softcap >= 0)) throw new RangeError(`${op}: softcap is ${softcap}, expected null or a positive number`);
  if (!(Number.isInteger(window) && window >= 0)) throw new RangeError(`${op}: window is ${window}, expected null or a positive integer`);
  if (window && !causal) throw new RangeError(`${op}: window ${window} needs causal attention (causal: false was given)`);
  return { softcap, window };
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
  const layout = contiguousLayout(H, Hkv, Tq, Tk, D);
  const heads = (t: Tensor, i: number): HeadsIn => ({ t, offset: 0, strides: layout.slice(3 * i, 3 * i + 3) });
  return attentionOn(op, heads(q, 0), heads(k, 1), heads(v, 2), { B, H, Hkv, Tq, Tk, D }, [B, H, Tq, D], layout.slice(9), opts);
}

/** Heads left in place in a (B, T, W) projection: `heads` heads of D channels from `channel` on. */
export interface ProjectionHeads {
  of: Tensor;
  heads: number;
  channel?: number;
}

/**
 * attention() on heads read in place from their projections, e.g. q, k and v all from GPT-2's fused
 * (B, T, 3C) c_attn output, head h of q at channels [h·D, (h+1)·D), of k at C + h·D, and so on.
 * Returns (B, Tq, H·D): the heads already merged as the output projection reads them. Equals
 * splitting the heads into (B, H, T, D) copies, attention(), and merging, without the copies.
 */
export function projectionAttention(q: ProjectionHeads, k: ProjectionHeads, v: ProjectionHeads, D: number,
  opts: AttentionOptions = {}): Tensor {
  const op = 'projectionAttention';
  if (!Number.isInteger(D) || D < 1) throw new ShapeError(op, `head size D is ${D}, expected a positive integer`);
  const dims = (p: ProjectionHeads, n: string): [number, number] => {
    expectFloat(op, p.of, n);
    const c0 = p.channel ?? 0, W = p.of.shape[2] ?? 0;
    if (p.of.rank !== 3 || !Number.isInteger(c0) || c0 < 0 || !(p.heads >= 1) || c0 + p.heads * D > W) {
      throw new ShapeError(op, `${n}: ${p.heads} heads of ${D} channels from channel ${c0} do not fit a (B, T, W) projection of shape ${shapeStr(p.of.shape)}`);
    }
    return [p.of.shape[0]!, p.of.shape[1]!];
  };
  const [B, Tq] = dims(q, 'q'), [Bk, Tk] = dims(k, 'k'), [Bv, Tv] = dims(v, 'v');
  const H = q.heads, Hkv = k.heads;
  if (Bk !== B || Bv !== B || Tv !== Tk || v.heads !== Hkv || H % Hkv !== 0) {
    throw new ShapeError(op, `q (${B}, ${Tq}, ${H} heads), k (${Bk}, ${Tk}, ${Hkv} heads) and v (${Bv}, ${Tv}, ${v.heads} heads) do not match: expected the same B, k and v alike, and q's heads a multiple of k's`);
  }
  const heads = (p: ProjectionHeads): HeadsIn => {
    const [T, W] = [p.of.shape[1]!, p.of.shape[2]!];
    return { t: p.of, offset: p.channel ?? 0, strides: [T * W, D, W] };
  };
  return attentionOn(op, heads(q), heads(k), heads(v), { B, H, Hkv, Tq, Tk, D }, [B, Tq, H * D], [Tq * H * D, D, H * D], opts);
}

/** A (B, heads, T, D) view: element (b, h, t, d) at t.f32[offset + b·s0 + h·s1 + t·s2 + d]. */
interface HeadsIn {
  t: Tensor;
  offset: number;
  strides: number[];
}

interface Dims { B: number; H: number; Hkv: number; Tq: number; Tk: number; D: number }

function attentionOn(op: string, q: HeadsIn, k: HeadsIn, v: HeadsIn, d: Dims, outShape: number[], outStrides: number[],
  opts: AttentionOptions): Tensor {
  const { B, H, Hkv, Tq, Tk, D } = d;
  const causal = opts.causal ?? true;
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const { softcap, window } = capAndWindow(op, opts, causal);
  const mask = opts.mask ?? null;
  let ms: number[] = [0, 0, 0, 0];
  if (mask) {
    expectFloat(op, mask, 'mask');
    const full = [B, H, Tq, Tk];
    const b = broadcastShapes(mask.shape, full);
    if (!b || b.some((n, i) => n !== full[i])) throw new ShapeError(op, `mask ${shapeStr(mask.shape)} does not broadcast to (B, H, Tq, Tk) = ${shapeStr(full)}`);
    ms = broadcastStrides(mask.shape, full);
  }
  const layout = [...q.strides, ...k.strides, ...v.strides, ...outStrides];
  const at = (x: Float32Array, h: HeadsIn) => (h.offset ? x.subarray(h.offset) : x);
  const out = empty(outShape);
  const lse = new Float32Array(B * H * Tq);
  const m = mask ? mask.f32 : null;
  const bf16 = opts.bf16 ?? false;
  backend().attentionForward(out.f32, lse, at(q.t.f32, q), at(k.t.f32, k), at(v.t.f32, v), m, ms, B, H, Hkv, Tq, Tk, D, scale, causal, layout, softcap, window, bf16);
  const sources = [...new Set([q.t, k.t, v.t])];
  if (!needsGrad(...sources)) return out;
  return record(out, op, sources, (g) => {
    const grad = (h: HeadsIn) => { const x = gradOf(h.t); return x && at(x, h); };
    backend().attentionBackward(grad(q), grad(k), grad(v), g, out.f32, lse, at(q.t.f32, q), at(k.t.f32, k), at(v.t.f32, v),
      m, ms, B, H, Hkv, Tq, Tk, D, scale, causal, layout, softcap, window, bf16);
  });
}

/**
 * One new query per row against keys and values kept in preallocated buffers (decoding with a KV
 * cache): q (B, H, 1, D); kBuf, vBuf (B, Hkv, capacity, D) whose first `Tk` rows per head are in
 * use. Equals attention(q, k, v, { mask }) on those rows (causality is moot for the newest query)
 * but reads the buffers in place through the batch strides of two products, so that no step
 * copies the cache. Records no gradient: it is for sampling. A window reads only the buffers'
 * last `window` rows in use; a soft-cap caps the scaled scores before the mask, as attention() does.
 * Buffers of bfloat16 (a RowCache that rounds what it stores) go to attentionDecodeHalf, one
 * kernel that reads each row once for the group's queries: the same attention over the widened
 * values, its float32 sums in that kernel's order.
 */
export function attentionDecode(q: Tensor, kBuf: Tensor, vBuf: Tensor, Tk: number, opts: Omit<AttentionOptions, 'causal'> = {}): Tensor {
  const op = 'attentionDecode';
  const half = kBuf.dtype === 'bfloat16';
  if (half && vBuf.dtype !== 'bfloat16') throw new TypeError(`${op}: k is bfloat16 and v ${vBuf.dtype}; expected both bfloat16 or both float32`);
  for (const [t, n] of [[q, 'q'], [kBuf, 'k'], [vBuf, 'v']] as const) {
    if (!(half && n !== 'q')) expectFloat(op, t, n);
    if (t.rank !== 4) throw new ShapeError(op, `${n} has shape ${shapeStr(t.shape)}, expected (B, H, T, D)`);
  }
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, cap, Dk] = kBuf.shape as [number, number, number, number];
  if (Tq !== 1 || Bk !== B || Dk !== D || H % Hkv !== 0 || !(Tk >= 1 && Tk <= cap) || vBuf.shape.some((d, i) => d !== kBuf.shape[i])) {
    throw new ShapeError(op, `q ${shapeStr(q.shape)}, k ${shapeStr(kBuf.shape)}, v ${shapeStr(vBuf.shape)} with ${Tk} rows in use: expected one query, the same B and D, H a multiple of k's heads and 1 ≤ rows ≤ capacity`);
  }
  if (needsGrad(q, kBuf, vBuf)) throw new Error(`${op}: records no gradient; call it under noGrad (it is for sampling)`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const { softcap, window } = capAndWindow(op, opts, true);
  const g = H / Hkv, be = backend();
  const mask = opts.mask ?? null;
  const fullShape = [B, H, 1, Tk];
  let ms: number[] = [];
  if (mask) {
    expectFloat(op, mask, 'mask');
    const b = broadcastShapes(mask.shape, fullShape);
    if (!b || b.some((d, i) => d !== fullShape[i])) throw new ShapeError(op, `mask ${shapeStr(mask.shape)} does not broadcast to (B, H, 1, Tk) = ${shapeStr(fullShape)}`);
    ms = broadcastStrides(mask.shape, fullShape);
  }
  if (half) {
    const out = zeros([B, H, 1, D]);
    const m = mask ? mask.f32 : null, strides = mask ? [ms[0]!, ms[1]!, ms[3]!] : [0, 0, 0];
    be.attentionDecodeHalf(out.f32, q.f32, kBuf.u16, vBuf.u16, m, strides, B, H, Hkv, cap, Tk, D, scale, softcap, window);
    return out;
  }
  // The window's rows [j0, Tk) of the buffers (and of the mask): the only keys the query sees.
  const j0 = window && window < Tk ? Tk - window : 0, n = Tk - j0;
  const rows = (x: Float32Array) => (j0 ? x.subarray(j0 * D) : x);
  const shape = [B, H, 1, n];
  // Scores (B, H, 1, n): the group's g query rows are one (g, D) matrix per kv head.
  const s = new Float32Array(B * H * n);
  be.matmul(s, q.f32, rows(kBuf.f32), B * Hkv, g, n, D, false, true, g * D, cap * D, g * n, false);
  const rowMajor = [H * n, n, n, 1];
  be.binaryForward('mul', s, s, rowMajor, Float32Array.of(scale), [0, 0, 0, 0], shape);
  if (softcap) {
    // cap·tanh(s/cap) in the order of the attention kernels.
    be.binaryForward('div', s, s, rowMajor, Float32Array.of(softcap), [0, 0, 0, 0], shape);
    be.unaryForward('tanh', s, s, s.length, 0);
    be.binaryForward('mul', s, s, rowMajor, Float32Array.of(softcap), [0, 0, 0, 0], shape);
  }
  if (mask) be.binaryForward('add', s, s, rowMajor, j0 ? mask.f32.subarray(j0 * ms[3]!) : mask.f32, ms, shape);
  const p = new Float32Array(s.length);
  be.softmaxForward(p, s, B * H, n);
  const out = zeros([B, H, 1, D]);
  be.matmul(out.f32, p, rows(vBuf.f32), B * Hkv, g, D, n, false, false, g * n, cap * D, g * D, false);
  return out;
}
