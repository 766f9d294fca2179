// Rotary position embedding (Su et al. 2021) in Hugging Face Llama's "rotate half" form:
// x·cos + rotate_half(x)·sin, with rotate_half(x) = [−x₂, x₁] over the two halves of the head
// and angle(pos, i) = pos / θ^(2i/D) repeated over both halves.
import { add, concat, mul, neg, slice } from '../ops/index.js';
import { Tensor } from '../tensor/index.js';

export interface RopeTables {
  cos: Tensor; // (B, 1, T, D)
  sin: Tensor; // (B, 1, T, D)
}

/** cos/sin tables for position ids (B·T values) of a (B, T) batch. */
export function ropeTables(positions: Int32Array, B: number, T: number, D: number, theta: number): RopeTables {
  const half = D / 2;
  const cos = new Float32Array(B * T * D), sin = new Float32Array(B * T * D);
  for (let n = 0; n < B * T; n++) {
    const pos = positions[n]!;
    for (let i = 0; i < half; i++) {
      const angle = pos / Math.pow(theta, (2 * i) / D);
      const c = Math.cos(angle), s = Math.sin(angle);
      cos[n * D + i] = c; cos[n * D + half + i] = c;
      sin[n * D + i] = s; sin[n * D + half + i] = s;
    }
  }
  return { cos: new Tensor(cos, [B, 1, T, D]), sin: new Tensor(sin, [B, 1, T, D]) };
}

/** x (B, H, T, D) rotated by the tables. */
export function applyRope(x: Tensor, t: RopeTables): Tensor {
  const D = x.shape[3]!, half = D / 2;
  const rotated = concat([neg(slice(x, 3, half, D)), slice(x, 3, 0, half)], 3);
  return add(mul(x, t.cos), mul(rotated, t.sin));
}
