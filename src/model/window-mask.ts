// Sliding-window attention (Mistral; Gemma 2/3's local layers) as an additive mask: the query at
// cache index i sees key j only when i − w < j ≤ i, transformers' sliding_window_overlay
// (masking_utils.py: kv_idx > q_idx − sliding_window) on top of the causal mask. Cache indices,
// not position ids: left padding shifts both alike, and trimmed all-padding columns shift both alike.
import { Tensor } from '../tensor/index.js';

/**
 * (B, 1, T, Tk) = keyMask (B·Tk) + the window of `w` over the T new queries after `past` cached
 * ones; (1, 1, T, Tk), broadcast over the batch, when there is no key mask. It costs T·Tk floats
 * per row. The model passes the window to the attention kernels instead (AttentionOptions.window),
 * which skip the keys outside it; this additive form stays as the independent statement of the
 * same rule that the kernel window is tested against.
 */
export function windowMask(keyMask: Float32Array | undefined, B: number, T: number, past: number, w: number): Tensor {
  const Tk = past + T, rows = keyMask ? B : 1;
  const m = new Float32Array(rows * T * Tk);
  for (let b = 0; b < rows; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * Tk, first = past + t - w + 1;
      for (let j = 0; j < Tk; j++) m[row + j] = j < first ? -Infinity : keyMask ? keyMask[b * Tk + j]! : 0;
    }
  }
  return new Tensor(m, [rows, 1, T, Tk]);
}
