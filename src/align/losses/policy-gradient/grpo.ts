// Group Relative Policy Optimisation, Shao et al. 2024 (DeepSeekMath), section 4.1: no critic;
// each prompt's G sampled outputs are scored and every output's advantage is its reward
// normalised within the group (outcome supervision, every token of output i gets Âᵢ):
//   Âᵢ = (rᵢ − mean(r)) / std(r)
// and the objective, eq. 3, negated into a loss:
//   L = 1/G Σᵢ 1/|oᵢ| Σₜ [ max(−Âᵢ·ρᵢₜ, −Âᵢ·clip(ρᵢₜ, 1 − ε, 1 + ε)) + β·D_KL,ᵢₜ ]
// with ρ = π/π_old per token and D_KL the k3 estimator of eq. 4: ref/π − log(ref/π) − 1 ≥ 0.
import { add, div, exp, mean, mul, neg, sub, sum } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import {
  clamp, constant, expectGroups, expectInput, expectNonNegative, maskCount, maskedMean, maximum, sizeOf, type Values,
} from '../common.js';

export interface GroupAdvantages {
  /** One advantage per sample, in the order of the rewards. */
  advantages: number[];
  /** Groups whose rewards were all equal: no learning signal, advantages set to 0. */
  zeroVarianceGroups: number;
  groupMeans: number[];
  groupStds: number[];
}

export interface GrpoAdvantageOptions {
  /** Added to the std; 1e-4 as TRL. */
  eps?: number;
  /** false drops the division by std, which up-weights prompts whose rewards barely vary (too easy or
   * too hard): Liu et al. 2025, "Understanding R1-Zero-like training" (Dr. GRPO). */
  scaleByStd?: boolean;
  /** Sample std (n − 1), as TRL's torch.std; false for the population std. */
  unbiasedStd?: boolean;
}

/**
 * Group-normalised advantages (DeepSeekMath, section 4.1.2). rewards is flat, B = groups × G,
 * each prompt's G samples consecutive. A group whose rewards are all equal gets advantages 0 and
 * is counted in zeroVarianceGroups: a batch made mostly of such groups teaches nothing.
 */
export function grpoAdvantages(rewards: readonly number[], groupSize: number, opts: GrpoAdvantageOptions = {}): GroupAdvantages {
  const op = 'grpoAdvantages';
  const { eps = 1e-4, scaleByStd = true, unbiasedStd = true } = opts;
  expectGroups(op, rewards, groupSize);
  expectNonNegative(op, 'eps', eps);
  const advantages: number[] = [], groupMeans: number[] = [], groupStds: number[] = [];
  let zeroVarianceGroups = 0;
  for (let g = 0; g < rewards.length; g += groupSize) {
    const r = rewards.slice(g, g + groupSize);
    const mu = r.reduce((s, x) => s + x, 0) / groupSize;
    const constantGroup = r.every((x) => x === r[0]);
    const ss = r.reduce((s, x) => s + (x - mu) ** 2, 0);
    const denom = unbiasedStd ? groupSize - 1 : groupSize;
    const std = constantGroup ? 0 : denom > 0 ? Math.sqrt(ss / denom) : 0;
    groupMeans.push(mu);
    groupStds.push(std);
    if (constantGroup) {
      zeroVarianceGroups++;
      for (let i = 0; i < groupSize; i++) advantages.push(0);
    } else {
      for (const x of r) advantages.push(scaleByStd ? (x - mu) / (std + eps) : x - mu);
    }
  }
  return { advantages, zeroVarianceGroups, groupMeans, groupStds };
}

/**
 * Per-token k3 estimate of KL(π‖ref), DeepSeekMath eq. 4 (Schulman 2020, "Approximating KL
 * divergence"): exp(x) − x − 1 with x = log ref − log π, differentiable in logp. Its float32
 * rounding can dip a hair below 0 near x = 0; those entries are clamped to 0.
 */
export function k3Kl(logp: Tensor, refLogp: Values): Tensor {
  expectInput('k3Kl', 'logp', logp);
  const x = sub(constant('k3Kl', 'refLogp', refLogp, logp.shape), logp); // (B, T)
  return clamp(sub(sub(exp(x), x), 1), 0, Infinity);
}

export interface GrpoLossOptions {
  /** KL coefficient; 0.04 as DeepSeekMath. 0 drops the reference (refLogp may be null). */
  beta?: number;
  /** ε of the ratio clip; 0.2 as PPO. */
  clip?: number;
  /** 'sequence': eq. 3's mean over each output's tokens, then over outputs. 'token': one mean over
   * all tokens of the batch (DAPO, Yu et al. 2025), so long outputs weigh more. */
  aggregation?: 'sequence' | 'token';
}

export interface GrpoLossOutput {
  /** Scalar loss, to minimise. */
  loss: Tensor;
  /** Mean k3 KL per masked token (0 when beta = 0 and no reference was given). */
  kl: number;
  /** Fraction of masked tokens where clipping is active. */
  clipFrac: number;
}

/**
 * GRPO loss. logp (B, T) differentiable; oldLogp (B, T) or null for one update per batch
 * (π_old = π detached, ratio 1, gradient as REINFORCE); refLogp (B, T); advantages (B) per output
 * or (B, T) per token; mask (B, T), at least one real token per row.
 */
export function grpoLoss(logp: Tensor, oldLogp: Values | null, refLogp: Values | null, advantages: Values, mask: Values,
  opts: GrpoLossOptions = {}): GrpoLossOutput {
  const op = 'grpoLoss';
  const { beta = 0.04, clip = 0.2, aggregation = 'sequence' } = opts;
  expectInput(op, 'logp', logp);
  if (logp.rank !== 2) throw new RangeError(`${op}: logp has shape [${logp.shape}], expected (B, T)`);
  expectNonNegative(op, 'beta', beta);
  expectNonNegative(op, 'clip', clip);
  if (aggregation !== 'sequence' && aggregation !== 'token') throw new RangeError(`${op}: aggregation must be 'sequence' or 'token', got '${aggregation}'`);
  if (beta > 0 && refLogp === null) throw new RangeError(`${op}: beta is ${beta} but refLogp is null; pass the reference log-probabilities or set beta to 0`);
  const [B, T] = logp.shape as [number, number];
  const old = oldLogp === null ? logp.detach() : constant(op, 'oldLogp', oldLogp, logp.shape);
  const adv = constant(op, 'advantages', advantages, sizeOf(advantages) === B * T ? [B, T] : [B, 1]);
  const m = constant(op, 'mask', mask, logp.shape);
  const n = maskCount(op, m);

  const ratio = exp(sub(logp, old)); // (B, T)
  const negAdv = neg(adv); // (B, 1) or (B, T)
  const unclipped = mul(negAdv, ratio); // (B, T)
  const clipped = mul(negAdv, clamp(ratio, 1 - clip, 1 + clip)); // (B, T)
  let perToken = maximum(unclipped, clipped); // (B, T)
  let kl = 0;
  if (beta > 0) {
    const k3 = k3Kl(logp, refLogp!); // (B, T)
    perToken = add(perToken, mul(k3, beta));
    for (let i = 0; i < m.size; i++) if (m.data[i]) kl += k3.data[i]!;
    kl /= n;
  }

  let loss: Tensor;
  if (aggregation === 'token') loss = maskedMean(perToken, m, n);
  else {
    const lengths = new Float32Array(B); // |oᵢ|
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) lengths[b] += m.data[b * T + t]!;
      if (lengths[b] === 0) throw new RangeError(`${op}: mask row ${b} has no real token; 'sequence' aggregation divides by each output's length`);
    }
    loss = mean(div(sum(mul(perToken, m), -1), new Tensor(lengths, [B])));
  }

  let clipped01 = 0;
  for (let i = 0; i < m.size; i++) if (m.data[i] && clipped.data[i]! > unclipped.data[i]!) clipped01++;
  return { loss, kl, clipFrac: clipped01 / n };
}
