// Kahneman–Tversky Optimisation, Ethayarajh et al. 2024, eqs. 7–8: learning from completions
// labelled desirable or undesirable one at a time, no pairs. With r = log π(y|x) − log ref(y|x)
// (summed over the completion) and z₀ a batch estimate of KL(π‖ref), taken from mismatched
// prompt/completion pairs, detached and clipped at 0:
//   desirable     λ_D·(1 − σ(β(r − z₀)))
//   undesirable   λ_U·(1 − σ(β(z₀ − r)))
// and the loss is the mean over the batch. apo_zero_unpaired (D'Oosterlinck et al. 2024, the
// unpaired form of APO-zero) drops z₀: 1 − σ(βr) for desirable, σ(βr) for undesirable.
// λ_D·n_D / (λ_U·n_U) should lie in [1, 4/3] (eq. 8): the weights make up for unbalanced labels.
import { add, exp, mean, mul, neg, sub } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import { constant, expectInput, logSigmoid, type Values } from '../common.js';

export type KtoLossType = 'kto' | 'apo_zero_unpaired';

export interface KtoOptions {
  beta?: number;
  lossType?: KtoLossType;
  /** λ_D and λ_U, 1 each as the paper and TRL. */
  desirableWeight?: number;
  undesirableWeight?: number;
}

export interface KtoOutput {
  loss: Tensor;
  /** z₀, the KL estimate the rewards were shifted by (0 for apo_zero_unpaired). */
  kl: number;
  /** β·r of the desirable and of the undesirable completions. */
  desirableRewards: number[];
  undesirableRewards: number[];
}

const sigmoid = (x: Tensor): Tensor => exp(logSigmoid(x));

/**
 * policy, ref: summed completion log-probabilities (B); desirable: each completion's label;
 * klPolicy, klRef: log-probabilities of the mismatched pairs under policy and reference (B), used
 * only through their mean difference (ignored for apo_zero_unpaired).
 */
export function ktoLoss(policy: Tensor, ref: Values, desirable: readonly boolean[], klPolicy: Values, klRef: Values, opts: KtoOptions = {}): KtoOutput {
  const op = 'ktoLoss';
  const { beta = 0.1, lossType = 'kto', desirableWeight = 1, undesirableWeight = 1 } = opts;
  expectInput(op, 'policy', policy);
  if (policy.rank !== 1) throw new RangeError(`${op}: policy has shape [${policy.shape}], expected (B)`);
  const B = policy.size;
  if (desirable.length !== B) throw new RangeError(`${op}: ${desirable.length} labels for ${B} completions`);
  if (!(Number.isFinite(beta) && beta > 0)) throw new RangeError(`${op}: beta must be a positive finite number, got ${beta}`);
  for (const [k, w] of [['desirableWeight', desirableWeight], ['undesirableWeight', undesirableWeight]] as const) {
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`${op}: ${k} must be a finite number ≥ 0, got ${w}`);
  }
  if (lossType !== 'kto' && lossType !== 'apo_zero_unpaired') throw new RangeError(`${op}: lossType must be 'kto' or 'apo_zero_unpaired', got '${lossType}'`);
  const r = sub(policy, constant(op, 'ref', ref, [B])); // (B)
  let kl = 0;
  if (lossType === 'kto') {
    const kp = constant(op, 'klPolicy', klPolicy, [B]).data, kr = constant(op, 'klRef', klRef, [B]).data;
    for (let i = 0; i < B; i++) kl += (kp[i]! - kr[i]!) / B;
    kl = Math.max(0, kl);
  }
  const sign = new Tensor(Float32Array.from(desirable, (d) => (d ? 1 : -1)), [B]);
  const weight = new Tensor(Float32Array.from(desirable, (d) => (d ? desirableWeight : undesirableWeight)), [B]);
  // kto: 1 − σ(±β(r − z₀)); apo_zero_unpaired: 1 − σ(βr) or σ(βr) = 1 − σ(−βr).
  const losses = sub(1, sigmoid(mul(mul(sub(r, kl), beta), sign))); // (B)
  const values = Array.from(r.data, (v) => beta * v);
  return {
    loss: mean(mul(losses, weight)), kl,
    desirableRewards: values.filter((_, i) => desirable[i]), undesirableRewards: values.filter((_, i) => !desirable[i]),
  };
}
