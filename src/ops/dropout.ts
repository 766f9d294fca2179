// Inverted dropout (Srivastava et al. 2014): in training, zero each element with probability p
// and scale the survivors by 1/(1−p) so that evaluation needs no rescaling.
import { Rng, Tensor, defaultRng, zeros } from '../tensor/index.js';
import { mul } from './elementwise.js';

export function dropout(x: Tensor, p: number, training: boolean, rng: Rng = defaultRng()): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p = ${p}, expected 0 ≤ p < 1`);
  if (!training || p === 0) return x;
  const mask = zeros(x.shape);
  const m = mask.f32, keep = 1 / (1 - p);
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < p ? 0 : keep;
  return mul(x, mask);
}
