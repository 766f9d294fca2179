// REINFORCE Leave-One-Out, Ahmadian et al. 2024 ("Back to basics"), section 3.2 (after Kool et
// al. 2019): with k samples per prompt, each sample's baseline is the mean reward of the other
// k − 1, an unbiased baseline that needs no critic:
//   Aᵢ = rᵢ − 1/(k − 1) Σ_{j≠i} rⱼ
// and the whole completion is one action: ∇J = 1/k Σᵢ Aᵢ·∇log π(yᵢ|x), log π summed over tokens.
import { mean, mul, neg, sum } from '../../../ops/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { constant, expectGroups, expectInput, maskCount, type Values } from '../common.js';

/** Leave-one-out advantages; rewards flat, groups of `groupSize` (k ≥ 2) consecutive samples. */
export function rlooAdvantages(rewards: readonly number[], groupSize: number): number[] {
  expectGroups('rlooAdvantages', rewards, groupSize, 2);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const r = rewards.slice(g, g + groupSize);
    const total = r.reduce((s, x) => s + x, 0);
    for (const x of r) out.push(x - (total - x) / (groupSize - 1));
  }
  return out;
}

/**
 * The sequence-level REINFORCE loss RLOO minimises: −mean_b Aᵦ·Σₜ mask·log π. logp (B, T)
 * differentiable; advantages (B); mask (B, T).
 */
export function rlooLoss(logp: Tensor, advantages: Values, mask: Values): Tensor {
  const op = 'rlooLoss';
  expectInput(op, 'logp', logp);
  if (logp.rank !== 2) throw new RangeError(`${op}: logp has shape [${logp.shape}], expected (B, T)`);
  const [B] = logp.shape as [number, number];
  const m = constant(op, 'mask', mask, logp.shape);
  maskCount(op, m);
  const seqLogp = sum(mul(logp, m), -1); // (B)
  return neg(mean(mul(seqLogp, constant(op, 'advantages', advantages, [B]))));
}
