// PPO's differentiable losses (Schulman et al. 2017) in the token-level form RLHF uses (Ziegler
// et al. 2019; Ouyang et al. 2022): every response token is an action, every (B, T) input comes
// with a 0/1 mask of real tokens, and means run over the masked tokens of the whole batch (TRL).
import { exp, logSoftmax, mul, neg, softmax, sub, sum } from '../../../ops/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { clamp, constant, expectInput, expectNonNegative, maskCount, maskedMean, maximum, type Values } from '../common.js';

export interface PpoPolicyOutput {
  /** Scalar clipped surrogate, to minimise. */
  loss: Tensor;
  /** Fraction of masked tokens where the clipped term is the larger loss (clipping active). */
  clipFrac: number;
  /** mean ½(log π − log π_old)² over masked tokens: a cheap KL(π_old‖π) monitor (TRL's approxkl). */
  approxKl: number;
}

/**
 * Clipped surrogate objective, Schulman et al. 2017, eq. 7, negated:
 *   L = mean over tokens of max(−Âₜ·ρₜ, −Âₜ·clip(ρₜ, 1 − ε, 1 + ε)),  ρₜ = exp(log π − log π_old).
 * At ρ = 1 its gradient is REINFORCE's, −Âₜ·∇log π. logp (B, T) differentiable; oldLogp,
 * advantages and mask (B, T) constants.
 */
export function ppoPolicyLoss(logp: Tensor, oldLogp: Values, advantages: Values, mask: Values, clip = 0.2): PpoPolicyOutput {
  const op = 'ppoPolicyLoss';
  expectInput(op, 'logp', logp);
  expectNonNegative(op, 'clip', clip);
  const old = constant(op, 'oldLogp', oldLogp, logp.shape);
  const adv = constant(op, 'advantages', advantages, logp.shape);
  const m = constant(op, 'mask', mask, logp.shape);
  const n = maskCount(op, m);

  const logRatio = sub(logp, old); // (B, T)
  const ratio = exp(logRatio); // (B, T)
  const negAdv = neg(adv);
  const unclipped = mul(negAdv, ratio); // (B, T)
  const clipped = mul(negAdv, clamp(ratio, 1 - clip, 1 + clip)); // (B, T)
  const loss = maskedMean(maximum(unclipped, clipped), m, n);

  let clipped01 = 0, sq = 0;
  for (let i = 0; i < m.size; i++) {
    if (!m.data[i]) continue;
    if (clipped.data[i]! > unclipped.data[i]!) clipped01++;
    sq += 0.5 * logRatio.data[i]! ** 2;
  }
  return { loss, clipFrac: clipped01 / n, approxKl: sq / n };
}

export interface PpoValueOutput {
  /** Scalar clipped value loss, to minimise. */
  loss: Tensor;
  /** Fraction of masked tokens where the clipped prediction gives the larger error. */
  clipFrac: number;
}

/**
 * Clipped value loss of PPO's reference implementation (OpenAI Baselines ppo2, kept by Ziegler et
 * al. 2019 and TRL): the critic may not move further than ±clipValue from its rollout prediction
 * for free. L = ½·mean max((V − R)², (clip(V, V_old − c, V_old + c) − R)²) over masked tokens.
 * values (B, T) differentiable; oldValues, returns and mask (B, T) constants.
 */
export function ppoValueLoss(values: Tensor, oldValues: Values, returns: Values, mask: Values, clipValue = 0.2): PpoValueOutput {
  const op = 'ppoValueLoss';
  expectInput(op, 'values', values);
  expectNonNegative(op, 'clipValue', clipValue);
  const old = constant(op, 'oldValues', oldValues, values.shape);
  const ret = constant(op, 'returns', returns, values.shape);
  const m = constant(op, 'mask', mask, values.shape);
  const n = maskCount(op, m);
  const lo = sub(old, clipValue), hi = sub(old, -clipValue);

  const e1 = sub(values, ret); // (B, T)
  const e2 = sub(clamp(values, lo, hi), ret); // (B, T)
  const l1 = mul(e1, e1), l2 = mul(e2, e2);
  const loss = mul(maskedMean(maximum(l1, l2), m, n), 0.5);

  let clipped01 = 0;
  for (let i = 0; i < m.size; i++) if (m.data[i] && l2.data[i]! > l1.data[i]!) clipped01++;
  return { loss, clipFrac: clipped01 / n };
}

/**
 * Entropy of the categorical distribution each row of logits defines: H = −Σ p·log p over the
 * last axis, (…, V) → (…). Differentiable: PPO's entropy bonus (Schulman et al. 2017, eq. 9).
 */
export function entropyFromLogits(logits: Tensor): Tensor {
  expectInput('entropyFromLogits', 'logits', logits);
  return neg(sum(mul(softmax(logits), logSoftmax(logits)), -1));
}
