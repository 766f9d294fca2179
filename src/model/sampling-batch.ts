// Batching sequences of different lengths for the transformer: left padding with the positions and
// key mask that make a padded row compute exactly what it would alone, and a KV cache whose rows
// can be dropped, repeated and trimmed between decoding steps.
import { concat } from '../ops/index.js';
import { Tensor } from '../tensor/index.js';
import { KVCache } from './kv-cache.js';

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
 * inside maxSeqLen). Keeps its own tensors because the base class keeps its private.
 */
export class RowCache extends KVCache {
  private keys: (Tensor | null)[];
  private vals: (Tensor | null)[];

  constructor(nLayer: number) {
    super(nLayer);
    this.keys = new Array<Tensor | null>(nLayer).fill(null);
    this.vals = new Array<Tensor | null>(nLayer).fill(null);
  }

  override append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const pk = this.keys[layer], pv = this.vals[layer];
    const fk = pk ? concat([pk, k], 2) : k; // (B, Hkv, Tk, D)
    const fv = pv ? concat([pv, v], 2) : v;
    this.keys[layer] = fk;
    this.vals[layer] = fv;
    return [fk, fv];
  }

  /** Keeps batch rows `rows` (in that order, repeats allowed) and drops the first `dropLeft` columns. */
  select(rows: readonly number[], dropLeft = 0): void {
    if (dropLeft < 0 || dropLeft > this.length) {
      throw new RangeError(`RowCache.select: dropLeft is ${dropLeft}; expected an integer in [0, ${this.length}]`);
    }
    const pick = (t: Tensor | null): Tensor | null => {
      if (!t) return null;
      const [B, H, Tk, D] = t.shape as [number, number, number, number];
      const keep = Tk - dropLeft;
      const out = new Float32Array(rows.length * H * keep * D);
      rows.forEach((r, i) => {
        if (!(r >= 0 && r < B)) throw new RangeError(`RowCache.select: row ${r} is outside the batch of ${B}`);
        for (let h = 0; h < H; h++) {
          const from = ((r * H + h) * Tk + dropLeft) * D;
          out.set(t.f32.subarray(from, from + keep * D), (i * H + h) * keep * D);
        }
      });
      return new Tensor(out, [rows.length, H, keep, D]);
    };
    this.keys = this.keys.map(pick);
    this.vals = this.vals.map(pick);
    this.length -= dropLeft;
  }
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
