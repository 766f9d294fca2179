// int8 weight-only decoding (issue 20 point 2): each matrix the decoder reads (projections, the
// embedding/LM head) becomes int8 codes with one float32 scale per output row, as llama.cpp's
// q8_0 but per row instead of per block of 32: w ≈ q·s, s = max|w_row| / 127, q = round(w / s).
// The model's own weights are replaced by the dequantised values q·s (float32), so every path —
// prefill, scoring, the generic forward — computes the same int8 model; the decoder's products
// read the codes instead (matmulInt8: 1 byte an element, dequantised in registers).
import type { Tensor } from '../../../tensor/index.js';
import { Tensor as T } from '../../../tensor/index.js';
import type { Transformer } from '../../transformer.js';
import { embeddingName } from '../../weights.js';

export interface Int8Weight {
  /** (N, K) codes in [−127, 127], row-major as the weight (out-in). */
  q: Int8Array;
  /** (N) one scale per row. */
  scales: Float32Array;
}

/** The int8 codes behind a dequantised weight tensor, keyed by the tensor itself. */
const codes = new WeakMap<Tensor, Int8Weight>();

export function int8Of(t: Tensor): Int8Weight | undefined {
  return codes.get(t);
}

/** Row-wise int8 codes of a (N, K) matrix and its dequantised float32 values. */
export function quantizeRows(w: Float32Array, N: number, K: number): Int8Weight & { dequantised: Float32Array } {
  const q = new Int8Array(N * K), scales = new Float32Array(N), dequantised = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    let max = 0;
    for (let k = 0; k < K; k++) max = Math.max(max, Math.abs(w[n * K + k]!));
    const s = Math.fround(max / 127) || 1; // an all-zero row: codes 0 whatever the scale
    scales[n] = s;
    for (let k = 0; k < K; k++) {
      const c = Math.max(-127, Math.min(127, Math.round(w[n * K + k]! / s)));
      q[n * K + k] = c;
      dequantised[n * K + k] = c * s;
    }
  }
  return { q, scales, dequantised };
}

/** The names of the matrices a Llama-layout decoding step reads, stored out-in. */
function decodedMatrices(m: Transformer): string[] {
  const c = m.config, names = [embeddingName(c)];
  if (!c.tieEmbeddings) names.push('lm_head.weight');
  for (let l = 0; l < c.nLayer; l++) {
    for (const p of ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']) {
      names.push(`model.layers.${l}.${p}.weight`);
    }
  }
  return names;
}

/**
 * Quantises `model`'s decoded matrices to int8 in place (a Llama-layout model; float32 or 16-bit
 * weights), for generation: the weights become their dequantised values, frozen. Returns the
 * largest |w − q·s| over all of them (at most half a scale per row).
 */
export function quantizeInt8(model: Transformer): { matrices: number; maxError: number } {
  if (model.config.family !== 'llama') throw new Error(`quantizeInt8: family ${model.config.family}; int8 decoding is for the Llama layout`);
  let maxError = 0;
  const names = decodedMatrices(model);
  for (const name of names) {
    const w = model.p(name), [N, K] = w.shape as [number, number], values = w.values();
    const r = quantizeRows(values, N, K);
    for (let i = 0; i < values.length; i++) maxError = Math.max(maxError, Math.abs(values[i]! - r.dequantised[i]!));
    const t = new T(r.dequantised, w.shape);
    t.name = w.name;
    model.params.set(name, t);
    codes.set(t, { q: r.q, scales: r.scales });
  }
  return { matrices: names.length, maxError };
}
