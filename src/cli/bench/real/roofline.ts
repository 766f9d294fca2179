// Decoding at batch 1 is bound by memory bandwidth (issue 20): each new token reads every weight
// once, so tokens/s cannot pass bandwidth ÷ bytes of weights. The bandwidth is measured in the same
// run by a STREAM-style triad (McCalpin's STREAM: a[i] = b[i] + s·c[i], counted as three arrays
// of traffic, write-allocate not counted), and a decoding figure is reported as its share of
// that roof.
import { shapeOf } from './shapes.js';

/** Bytes one weight takes at a storage type: q8_0 keeps 32 int8 values and one f16 scale per block. */
export const WEIGHT_BYTES = { float32: 4, bf16: 2, f16: 2, q8_0: 34 / 32 } as const;
export type WeightType = keyof typeof WEIGHT_BYTES;

/**
 * Bytes of weights read to decode one token: every matrix of every layer and the LM head at
 * `dtype`, the norms and biases float32 (alignkit and GGUF keep them so). The embedding's rows
 * are left out (one row per token is noise); a tied head reads the embedding matrix once as the
 * head, an untied one reads its own head matrix: either way V×h once.
 */
export function bytesPerToken(raw: Record<string, unknown>, dtype: WeightType): number {
  const { h, q, kv, mlp, V, L, qkvBias } = shapeOf(raw);
  const matrices = L * (h * q + 2 * h * kv + q * h + 3 * h * mlp) + V * h;
  const vectors = L * (2 * h + (qkvBias ? q + 2 * kv : 0)) + h;
  return matrices * WEIGHT_BYTES[dtype] + vectors * 4;
}

/** GB/s of a triad over `elements` per array of `elementBytes` each, best pass `seconds`: three arrays moved. */
export function triadGbPerS(elements: number, elementBytes: number, seconds: number): number {
  return (3 * elements * elementBytes) / seconds / 1e9;
}

/** A decoding rate as a share of its bandwidth roof: bytes per token × tokens/s ÷ bytes/s. */
export function rooflineFraction(tokPerS: number | null, bytesPerTok: number, gbPerS: number | null): number | null {
  return tokPerS === null || gbPerS === null || gbPerS <= 0 ? null : (bytesPerTok * tokPerS) / (gbPerS * 1e9);
}

/**
 * The bandwidth a config's batch-1 rooflines are taken against: the higher of the triads run right
 * before and right after its batch-1 lines (the higher gives the lower, harder share), else the
 * run's opening triad.
 */
export function rooflineBandwidth(around: { before: number | null; after: number | null }, opening: number | null): number | null {
  const near = [around.before, around.after].filter((v): v is number => v !== null && v > 0);
  return near.length > 0 ? Math.max(...near) : opening;
}
