// Batching sequences of different lengths for the transformer: left padding with the positions and
// key mask that make a padded row compute exactly what it would alone, and a KV cache whose rows
// can be dropped, repeated and trimmed between decoding steps.
import { backend } from '../../backend/index.js';
import { Tensor, shapeStr, uninitializedF32 } from '../../tensor/index.js';
import { KVCache, type CacheBuffers } from './kv-cache.js';

export interface PaddedBatch {
  ids: Tensor; // (B, T) int32, padding first
  /** Per token (B·T): 0 at each row's first real token; padding gets 0 too (it is masked anyway). */
  positions: Int32Array;
  /** Additive (B·T): −∞ over padding so that no real token attends to it. */
  keyMask: Float32Array;
  /** Padding tokens at the start of each row. */
  pads: number[];
}

/**
 * Left padding keeps every row's last token in the last column, so one decoding step appends one
 * column for all rows. Pad ids are 0: any valid id will do, since pad keys are masked and pad
 * outputs are never read.
 */
export function leftPad(seqs: readonly (readonly number[])[]): PaddedBatch {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(B * T), positions = new Int32Array(B * T), keyMask = new Float32Array(B * T);
  const pads: number[] = [];
  seqs.forEach((s, b) => {
    const pad = T - s.length;
    pads.push(pad);
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (t < pad) keyMask[i] = -Infinity;
      else { ids[i] = s[t - pad]!; positions[i] = t - pad; }
    }
  });
  return { ids: new Tensor(ids, [B, T]), positions, keyMask, pads };
}

/**
 * Copies `len` consecutive time steps of hidden states (B, T, C) per picked row, stacked into
 * (N, 1, C), so that the LM head computes (…, V) logits only where they are read.
 */
export function gatherSteps(h: Tensor, picks: readonly { row: number; start: number; len: number }[]): Tensor {
  const [, T, C] = h.shape as [number, number, number];
  const n = picks.reduce((a, p) => a + p.len, 0);
  const out = new Float32Array(n * C);
  let o = 0;
  for (const p of picks) {
    const from = (p.row * T + p.start) * C;
    out.set(h.f32.subarray(from, from + p.len * C), o);
    o += p.len * C;
  }
  return new Tensor(out, [n, 1, C]); // (N, 1, C)
}

/**
 * A KV cache that can re-index its batch rows: drop finished samples, repeat a prompt's rows for n
 * samples of it, and trim left columns that are padding for every row left, so the cache never
 * grows past the longest live row (which is what keeps short prompts batched with long ones
 * inside maxSeqLen). Keys and values live in preallocated buffers (B, Hkv, capacity, D) that
 * double when full, so a decoding step writes one row per head instead of copying the cache, and
 * `store` hands the buffers to attentionDecode. For sampling: no gradient flows through it.
 * With dtype 'bfloat16' the buffers hold each key and value rounded to bfloat16 (to nearest, ties
 * to even) as it is stored: half the bytes that every decoding step reads (the engine's choice
 * under bf16 compute, running-batch.ts); `append` hands back the rounded values widened.
 */
export class RowCache extends KVCache {
  private keys: (Tensor | null)[];
  private vals: (Tensor | null)[];

  constructor(nLayer: number, readonly dtype: 'float32' | 'bfloat16' = 'float32') {
    super(nLayer);
    if (dtype !== 'float32' && dtype !== 'bfloat16') throw new RangeError(`RowCache: dtype is ${String(dtype)}; expected 'float32' or 'bfloat16'`);
    this.keys = new Array<Tensor | null>(nLayer).fill(null);
    this.vals = new Array<Tensor | null>(nLayer).fill(null);
  }

  /**
   * The buffers of `layer`, (B, H, capacity, D) with capacity ≥ `rows`, grown (doubling, so a run
   * copies O(1) times per token) and keeping the rows already held. The decoder writes into them.
   */
  reserve(layer: number, B: number, H: number, D: number, rows: number): { k: Tensor; v: Tensor } {
    let kb = this.keys[layer] ?? null, vb = this.vals[layer] ?? null;
    if (kb && (kb.shape[0] !== B || kb.shape[1] !== H || kb.shape[3] !== D)) {
      throw new RangeError(`RowCache: layer ${layer} holds ${shapeStr(kb.shape)}, this step brings (${B}, ${H}, ·, ${D})`);
    }
    if (!kb || kb.shape[2]! < rows) {
      const cap = Math.max(rows, 2 * (kb?.shape[2] ?? 8));
      kb = regrow(kb, B, H, cap, D, this.length, 0, null, this.dtype);
      vb = regrow(vb, B, H, cap, D, this.length, 0, null, this.dtype);
      this.keys[layer] = kb;
      this.vals[layer] = vb;
    }
    return { k: kb, v: vb! };
  }

  override store(layer: number, k: Tensor, v: Tensor): CacheBuffers {
    const [B, H, T, D] = k.shape as [number, number, number, number];
    const rows = this.length + T;
    const { k: kb, v: vb } = this.reserve(layer, B, H, D, rows);
    const cap = kb.shape[2]!, at = this.length * D, st = [H * cap * D, cap * D, D, 1];
    if (kb.isHalf) {
      // Each (b, h) row's T·D values, rounded, from column `length` on.
      backend().roundRowsBf16(kb.u16, k.f32, B * H, T * D, at, cap * D);
      backend().roundRowsBf16(vb.u16, v.f32, B * H, T * D, at, cap * D);
    } else {
      backend().stridedScatter(kb.f32, at, st, k.f32, k.shape, false);
      backend().stridedScatter(vb.f32, at, st, v.f32, v.shape, false);
    }
    return { k: kb, v: vb, rows };
  }

  /** The rows in use after this step as contiguous (B, Hkv, Tk, D) copies. */
  override append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const { k: kb, v: vb, rows } = this.store(layer, k, v);
    return inUse(kb, vb, rows);
  }

  /** Keeps batch rows `rows` (in that order, repeats allowed) and drops the first `dropLeft` columns. */
  select(rows: readonly number[], dropLeft = 0): void {
    if (dropLeft < 0 || dropLeft > this.length) {
      throw new RangeError(`RowCache.select: dropLeft is ${dropLeft}; expected an integer in [0, ${this.length}]`);
    }
    const B = this.keys.find((t) => t)?.shape[0] ?? Infinity;
    for (const r of rows) if (!(r >= 0 && r < B)) throw new RangeError(`RowCache.select: row ${r} is outside the batch of ${B}`);
    const keep = this.length - dropLeft;
    // Rows kept in their order (a finished sample dropped): moved down inside the same buffers.
    // Rows repeated or reordered (n samples of a prompt) need fresh buffers.
    const inPlace = rows.every((r, i) => i === 0 || r > rows[i - 1]!);
    const pick = (t: Tensor | null): Tensor | null =>
      t && (inPlace ? compact(t, rows, keep, dropLeft) : regrow(t, rows.length, t.shape[1]!, t.shape[2]!, t.shape[3]!, keep, dropLeft, rows, this.dtype));
    this.keys = this.keys.map(pick);
    this.vals = this.vals.map(pick);
    this.length = keep;
  }

  /**
   * Appends `other`'s batch rows after this cache's (continuous batching, src/model/sampling/engine):
   * both sides keep their tokens right-aligned, so the shorter side gains left columns that its
   * rows' key masks must hide. `other` is left empty.
   */
  join(other: RowCache): void {
    if (other.nLayer !== this.nLayer) throw new RangeError(`RowCache.join: ${other.nLayer} layers joined to ${this.nLayer}`);
    if (other.dtype !== this.dtype) throw new RangeError(`RowCache.join: a ${other.dtype} cache joined to a ${this.dtype} one`);
    const L = Math.max(this.length, other.length);
    for (let l = 0; l < this.nLayer; l++) {
      this.keys[l] = stack(this.keys[l] ?? null, this.length, other.keys[l] ?? null, other.length, L, this.dtype);
      this.vals[l] = stack(this.vals[l] ?? null, this.length, other.vals[l] ?? null, other.length, L, this.dtype);
    }
    this.length = L;
    other.keys.fill(null);
    other.vals.fill(null);
    other.length = 0;
  }
}

type CacheData = Float32Array | Uint16Array;

/** A zero-filled (B, H, cap, D) cache buffer of `dtype`. */
function fresh(dtype: RowCache['dtype'], shape: [number, number, number, number]): Tensor {
  const n = shape[0] * shape[1] * shape[2] * shape[3];
  return dtype === 'bfloat16' ? new Tensor(new Uint16Array(n), shape, false, 'bfloat16') : new Tensor(new Float32Array(n), shape);
}

/** a's rows then b's, each row's `len` columns ending at column L of a fresh buffer. */
function stack(a: Tensor | null, aLen: number, b: Tensor | null, bLen: number, L: number, dtype: RowCache['dtype']): Tensor | null {
  const like = a ?? b;
  if (!like) return null;
  const [, H, , D] = like.shape as [number, number, number, number];
  const Ba = a?.shape[0] ?? 0, Bb = b?.shape[0] ?? 0;
  const cap = Math.max(L + 1, a?.shape[2] ?? 0, b?.shape[2] ?? 0);
  const t = fresh(dtype, [Ba + Bb, H, cap, D]), out = t.data as CacheData;
  const put = (src: Tensor, len: number, row0: number): void => {
    const sc = src.shape[2]!, data = src.data as CacheData;
    for (let i = 0; i < src.shape[0]!; i++) {
      for (let h = 0; h < H; h++) {
        const from = (i * H + h) * sc * D;
        out.set(data.subarray(from, from + len * D), (((row0 + i) * H + h) * cap + L - len) * D);
      }
    }
  };
  if (a) put(a, aLen, 0);
  if (b) put(b, bLen, Ba);
  return t;
}

/** A fresh (B, H, cap, D) buffer holding rows [from, from + keep) of `old`'s batch rows `pick` (default all) at row 0. */
function regrow(old: Tensor | null, B: number, H: number, cap: number, D: number, keep: number, from: number, pick: readonly number[] | null,
  dtype: RowCache['dtype']): Tensor {
  const t = fresh(dtype, [B, H, cap, D]), out = t.data as CacheData;
  if (old && keep > 0) {
    const oc = old.shape[2]!, data = old.data as CacheData;
    for (let i = 0; i < B; i++) {
      const r = pick ? pick[i]! : i;
      for (let h = 0; h < H; h++) {
        const src = ((r * H + h) * oc + from) * D;
        out.set(data.subarray(src, src + keep * D), (i * H + h) * cap * D);
      }
    }
  }
  return t;
}

/**
 * `buf`'s batch rows `rows` (increasing), columns [from, from + keep) of each, moved to rows 0.. and
 * column 0 of the same memory, as a (rows.length, H, cap, D) view of it. Every copy goes to a
 * lower address than it reads, and past what any earlier copy wrote, so none overwrites what a later
 * one reads. Columns past `keep` hold stale values, which the cache never reads: it writes a column
 * before its length covers it. Saves a fresh zero-filled buffer per layer each time a sample ends
 * (E-step sampling at config C's shape spent 11% of its main thread in those copies).
 */
function compact(buf: Tensor, rows: readonly number[], keep: number, from: number): Tensor {
  const [, H, cap, D] = buf.shape as [number, number, number, number], f = buf.data as CacheData;
  for (let i = 0; i < rows.length; i++) {
    for (let h = 0; h < H; h++) {
      const dst = (i * H + h) * cap * D, src = ((rows[i]! * H + h) * cap + from) * D;
      if (dst !== src && keep > 0) f.copyWithin(dst, src, src + keep * D);
    }
  }
  const shape = [rows.length, H, cap, D], kept = f.subarray(0, rows.length * H * cap * D);
  return kept instanceof Uint16Array ? new Tensor(kept, shape, false, 'bfloat16') : new Tensor(kept, shape);
}

/**
 * The first `rows` rows per head of the keys' and values' (B, H, cap, D) buffers (one shape), as
 * contiguous float32 (B, H, rows, D) copies (bfloat16 widened).
 */
function inUse(kb: Tensor, vb: Tensor, rows: number): [Tensor, Tensor] {
  const [B, H, cap, D] = kb.shape as [number, number, number, number];
  // A bfloat16 buffer as a table of D-wide rows: (b, h)'s first `rows` positions, widened by the kernel.
  let ids: Int32Array | null = null;
  if (kb.isHalf) {
    ids = new Int32Array(B * H * rows);
    for (let r = 0; r < B * H; r++) for (let t = 0; t < rows; t++) ids[r * rows + t] = r * cap + t;
  }
  const copy = (buf: Tensor): Tensor => {
    const out = uninitializedF32(B * H * rows * D);
    if (ids) backend().embeddingForwardHalf(out, ids, buf.u16, true, B * H * rows, D);
    else backend().stridedCopy(out, buf.f32, 0, [H * cap * D, cap * D, D, 1], [B, H, rows, D], false);
    return new Tensor(out, [B, H, rows, D]);
  };
  return [copy(kb), copy(vb)];
}

/** Throws unless `ids` is a non-empty list of token ids below `vocabSize`, naming `what`. */
export function checkTokens(owner: string, what: string, ids: readonly number[], vocabSize: number, allowEmpty = false): void {
  if (!Array.isArray(ids)) throw new TypeError(`${owner}: ${what} is ${typeof ids}; expected an array of token ids`);
  if (ids.length === 0 && !allowEmpty) throw new RangeError(`${owner}: ${what} is empty; expected at least one token (a BOS, for example)`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(`${owner}: ${what}[${i}] is ${id}; expected an integer in [0, ${vocabSize})`);
    }
  }
}
