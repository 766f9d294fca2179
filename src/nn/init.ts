// Parameter initialisers. GPT-2 draws weights from N(0, 0.02) and scales the residual
// projections by 1/√(2·layers) (Radford et al. 2019, §2.3); norms start at weight 1, bias 0.
import { Rng, Tensor, full, randn, zeros, type Shape } from '../tensor/index.js';

export function param(t: Tensor, name?: string): Tensor {
  t.requireGrad(true);
  t.name = name;
  return t;
}

export const normalParam = (shape: Shape, std: number, rng: Rng): Tensor => param(randn(shape, { rng, std }));
export const zerosParam = (shape: Shape): Tensor => param(zeros(shape));
export const onesParam = (shape: Shape): Tensor => param(full(shape, 1));
