// Keys and values of the tokens already processed, per layer, so that decoding a new token
// costs one row of attention instead of recomputing the whole prefix.
import { concat } from '../../ops/index.js';
import type { Tensor } from '../../tensor/index.js';

/** A cache's buffers for one layer: (B, Hkv, capacity, D), the first `rows` rows of each head in use. */
export interface CacheBuffers { k: Tensor; v: Tensor; rows: number }

export class KVCache {
  private k: (Tensor | null)[];
  private v: (Tensor | null)[];
  /** Tokens held per row (the same for every row: prompts are left-padded). */
  length = 0;

  constructor(readonly nLayer: number) {
    this.k = new Array<Tensor | null>(nLayer).fill(null);
    this.v = new Array<Tensor | null>(nLayer).fill(null);
  }

  /** Appends this step's k, v (B, Hkv, T, D) for `layer`; returns the full (B, Hkv, Tk, D). */
  append(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const pk = this.k[layer], pv = this.v[layer];
    const fk = pk ? concat([pk, k], 2) : k;
    const fv = pv ? concat([pv, v], 2) : v;
    this.k[layer] = fk;
    this.v[layer] = fv;
    return [fk, fv];
  }

  /**
   * Stores this step's k, v like `append` but returns the cache's own buffers instead of a copy,
   * for attentionDecode; null when the cache keeps no such buffers (this one: it concatenates
   * tensors, so that gradients flow through it), and the caller then uses `append`.
   */
  store(_layer: number, _k: Tensor, _v: Tensor): CacheBuffers | null {
    return null;
  }

  /** Called once per forward after every layer appended. */
  advance(t: number): void {
    this.length += t;
  }
}
