// The reward model's loss on preference pairs: the Bradley–Terry likelihood that the chosen
// completion beats the rejected one.
//   Ouyang et al. 2022 (InstructGPT), eq. 1:  loss(θ) = −E[log σ(r_θ(x, y_w) − r_θ(x, y_l))]
//   (the 1/C(K,2) in front is the mean over the pairs drawn from one prompt's K rankings).
//   Touvron et al. 2023 (Llama 2), eq. 2 subtracts a margin m(r) that grows with how strongly
//   the annotator preferred the chosen response:  −log σ(r_θ(x, y_c) − r_θ(x, y_r) − m(r)).
// −log σ(z) is computed as softplus(−z), which stays finite for any reward gap.
import { mean, neg, sub } from '../../../ops/index.js';
import { shapeStr, type Tensor } from '../../../tensor/index.js';
import { constant, expectInput, softplus, type Values } from '../common.js';

export interface BradleyTerryOutput {
  /** Scalar mean −log σ(r⁺ − r⁻ − margin). */
  loss: Tensor;
  /** Fraction of pairs whose chosen reward is strictly above the rejected one (margin ignored). */
  accuracy: number;
}

/** Fraction of pairs with r⁺ > r⁻: the reward model's preference accuracy. */
export function preferenceAccuracy(rChosen: Tensor | readonly number[], rRejected: Tensor | readonly number[]): number {
  const c = 'data' in rChosen ? rChosen.data : rChosen, r = 'data' in rRejected ? rRejected.data : rRejected;
  if (c.length !== r.length || c.length === 0) {
    throw new RangeError(`preferenceAccuracy: ${c.length} chosen and ${r.length} rejected rewards, expected the same positive count`);
  }
  let wins = 0;
  for (let i = 0; i < c.length; i++) if (c[i]! > r[i]!) wins++;
  return wins / c.length;
}

/**
 * Bradley–Terry loss over B pairs: rChosen and rRejected of one shape, e.g. (B) or (B, 1).
 * `margin` is a number or one value per pair (Llama 2's rating margin); default 0.
 */
export function bradleyTerryLoss(rChosen: Tensor, rRejected: Tensor, margin: number | Values = 0): BradleyTerryOutput {
  const op = 'bradleyTerryLoss';
  expectInput(op, 'rChosen', rChosen);
  expectInput(op, 'rRejected', rRejected);
  if (rChosen.shape.join() !== rRejected.shape.join()) {
    throw new RangeError(`${op}: rChosen ${shapeStr(rChosen.shape)} and rRejected ${shapeStr(rRejected.shape)} must have one shape`);
  }
  let z = sub(rChosen, rRejected); // r⁺ − r⁻, (B)
  if (typeof margin === 'number') {
    if (!Number.isFinite(margin)) throw new RangeError(`${op}: margin must be finite, got ${margin}`);
    if (margin !== 0) z = sub(z, margin);
  } else {
    z = sub(z, constant(op, 'margin', margin, rChosen.shape));
  }
  return { loss: mean(softplus(neg(z))), accuracy: preferenceAccuracy(rChosen, rRejected) };
}
