// Gradient clipping by global norm (Pascanu et al. 2013): scale every gradient by
// maxNorm/‖g‖ when the norm over all parameters exceeds maxNorm. Returns the norm before.
//
// Every trainer clips before its update, so this is also where a non-finite gradient is caught:
// an update would spread a NaN into every weight it touches (issue 16). The norm is computed
// anyway; only when it is not finite are the gradients searched for the parameter at fault.
import { gradNorm } from '../autograd/index.js';
import { backend } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';

/** A gradient holds NaN or ±Infinity; `parameter` is the first such tensor's name, in the order given. */
export class NonFiniteGradientError extends RangeError {
  constructor(readonly parameter: string, readonly value: number, detail: string) {
    super(`the gradient of parameter ${JSON.stringify(parameter)} ${detail}`);
    this.name = 'NonFiniteGradientError';
  }
}

function nonFinite(list: readonly Tensor[], norm: number): NonFiniteGradientError {
  for (const [k, p] of list.entries()) {
    const g = p.grad?.f32;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i]!)) return new NonFiniteGradientError(p.name ?? `#${k}`, g[i]!, `holds ${g[i]} at index ${i}`);
    }
  }
  return new NonFiniteGradientError(list[0]?.name ?? '#0', norm, `and the others overflow: every value is finite, but their global norm is ${norm}`);
}

export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const list = [...params];
  const norm = gradNorm(list);
  if (!Number.isFinite(norm)) throw nonFinite(list, norm);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / (norm + 1e-6);
    const be = backend();
    for (const p of list) if (p.grad) be.scaleInPlace(p.grad.f32, p.grad.size, s);
  }
  return norm;
}
