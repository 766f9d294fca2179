// Gradient clipping by global norm (Pascanu et al. 2013): scale every gradient by
// maxNorm/‖g‖ when the norm over all parameters exceeds maxNorm. Returns the norm before.
import { gradNorm } from '../autograd/index.js';
import type { Tensor } from '../tensor/index.js';

export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const list = [...params];
  const norm = gradNorm(list);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of list) {
      if (!p.grad) continue;
      const g = p.grad.f32;
      for (let i = 0; i < g.length; i++) g[i]! *= s;
    }
  }
  return norm;
}
