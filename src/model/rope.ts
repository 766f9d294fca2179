// Rotary position embedding (Su et al. 2021) in Hugging Face Llama's "rotate half" form:
// x·cos + rotate_half(x)·sin, with rotate_half(x) = [−x₂, x₁] over the two halves of the head
// and angle(pos, i) = pos · invFreq[i] repeated over both halves. The frequencies and the factor
// on cos/sin follow transformers' modeling_rope_utils.py for each scaling type; like it, the
// scaled frequencies and angles are rounded to float32 before cos/sin (unscaled RoPE: see ropeFrequencies).
import { rotary } from '../ops/index.js';
import { Tensor } from '../tensor/index.js';
import type { RopeScaling } from './config.js';

export interface RopeTables {
  cos: Tensor; // (B, 1, T, D)
  sin: Tensor; // (B, 1, T, D)
}

export interface RopeFrequencies {
  /** Inverse frequencies (D/2), rounded to float32 as transformers rounds them. */
  invFreq: Float64Array;
  /** The factor on cos/sin (YaRN's attention factor; 1 otherwise). */
  attention: number;
  /** Unscaled RoPE only: θ^(2i/D), the angle then being pos / period[i] in double precision. */
  period?: Float64Array;
}

/** Inverse frequencies (D/2) and the factor on cos/sin; `seqLen` (max position + 1) matters to `dynamic` only. */
export function ropeFrequencies(D: number, theta: number, s: RopeScaling, seqLen: number): RopeFrequencies {
  const half = D / 2;
  const base = (b: number): Float64Array => Float64Array.from({ length: half }, (_, i) => Math.fround(1 / Math.pow(b, (2 * i) / D)));
  switch (s.type) {
    // Unscaled RoPE keeps alignkit's double-precision angle pos / θ^(2i/D): within 1e-6 of
    // transformers' float32 one (the family goldens), and the bits every figure in README rests on.
    case 'default': return { invFreq: base(theta), attention: 1, period: Float64Array.from({ length: half }, (_, i) => Math.pow(theta, (2 * i) / D)) };
    case 'linear': return { invFreq: base(theta).map((f) => f / s.factor), attention: 1 };
    case 'dynamic': {
      // NTK-aware: the base grows with the sequence once it passes the trained length.
      const L = Math.max(seqLen, s.originalMax);
      return { invFreq: base(theta * Math.pow((s.factor * L) / s.originalMax - (s.factor - 1), D / (D - 2))), attention: 1 };
    }
    case 'llama3': {
      // Llama 3.1: long wavelengths divided by factor, short kept, the band between smoothed.
      const lowWave = s.originalMax / s.lowFreqFactor, highWave = s.originalMax / s.highFreqFactor;
      return {
        invFreq: base(theta).map((f) => {
          const wave = (2 * Math.PI) / f;
          if (wave < highWave) return f;
          if (wave > lowWave) return f / s.factor;
          const smooth = (s.originalMax / wave - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
          return (1 - smooth) * (f / s.factor) + smooth * f;
        }),
        attention: 1,
      };
    }
    case 'yarn': return yarn(D, theta, s);
  }
}

// YaRN (Peng et al. 2023, eq. 17–19): interpolate the low frequencies, extrapolate the high ones,
// a linear ramp between the correction dimensions, and cos/sin scaled by the attention factor.
function yarn(D: number, theta: number, s: Extract<RopeScaling, { type: 'yarn' }>): { invFreq: Float64Array; attention: number } {
  const dimFor = (rot: number): number => (D * Math.log(s.originalMax / (rot * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = dimFor(s.betaFast), high = dimFor(s.betaSlow);
  if (s.truncate) { low = Math.floor(low); high = Math.ceil(high); }
  low = Math.max(low, 0); high = Math.min(high, D - 1);
  if (low === high) high += 0.001;
  const invFreq = new Float64Array(D / 2);
  for (let i = 0; i < D / 2; i++) {
    const pos = Math.fround(Math.pow(theta, (2 * i) / D));
    const extra = Math.fround(1 / pos), inter = Math.fround(1 / (s.factor * pos));
    const ramp = Math.fround(Math.min(1, Math.max(0, (i - low) / (high - low))));
    const keep = 1 - ramp;
    invFreq[i] = inter * (1 - keep) + extra * keep;
  }
  return { invFreq, attention: s.attentionFactor };
}

/** cos/sin tables for position ids (B·T values) of a (B, T) batch. */
export function ropeTables(positions: Int32Array, B: number, T: number, D: number, f: RopeFrequencies): RopeTables {
  const cos = new Float32Array(B * T * D), sin = new Float32Array(B * T * D);
  fillRopeTables(cos, sin, positions, B * T, D, f);
  return { cos: new Tensor(cos, [B, 1, T, D]), sin: new Tensor(sin, [B, 1, T, D]) };
}

/** The rows (n, D) of ropeTables for the first `n` position ids, into buffers a decoder keeps. */
export function fillRopeTables(cos: Float32Array, sin: Float32Array, positions: Int32Array, n: number, D: number, f: RopeFrequencies): void {
  const { invFreq, attention, period } = f;
  const half = D / 2;
  for (let r = 0; r < n; r++) {
    const pos = positions[r]!;
    for (let i = 0; i < half; i++) {
      const angle = period ? pos / period[i]! : Math.fround(pos * Math.fround(invFreq[i]!));
      const c = Math.cos(angle) * attention, s = Math.sin(angle) * attention;
      cos[r * D + i] = c; cos[r * D + half + i] = c;
      sin[r * D + i] = s; sin[r * D + half + i] = s;
    }
  }
}

/** x (B, H, T, D) rotated by the tables: x·cos + rotate_half(x)·sin, one autograd node (ops/fused). */
export function applyRope(x: Tensor, t: RopeTables): Tensor {
  return rotary(x, t.cos, t.sin);
}
