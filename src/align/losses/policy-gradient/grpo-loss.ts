// GRPO's loss and the variants since, under TRL's names (GRPOConfig.loss_type, TRL 1.13). With
// ρ = π/π_old, Â the advantage (per output, or per token), ε_low/ε_high the clip range, m the mask:
//   grpo     DeepSeekMath eq. 3: each output's clipped surrogate averaged over its own tokens, then
//            over outputs (long outputs weigh as much as short ones)
//   bnpo     one mean over all tokens of the batch
//   dapo     Yu et al. 2025 (DAPO), eq. 8: token-level, the sum divided by the tokens of the whole
//            rollout batch (tokenNormalizer), with "clip-higher" ε_high > ε_low (eq. 10)
//   dr_grpo  Liu et al. 2025 (Dr. GRPO), eq. 3: the sum divided by a constant, B · max completion length
//   cispo    MiniMax 2025 (M1), eq. 4: −sg(min(ρ, ε_high))·Â·log π, normalised as dapo: clips the
//            importance weight, not the update, so clipped tokens still send a gradient
//   sapo     Gao et al. 2025 (SAPO): a soft gate σ(τ(ρ − 1))·4/τ in place of the clip, τ by the
//            sign of Â; aggregated as grpo
// importanceSamplingLevel 'sequence' (Zheng et al. 2025, GSPO, eq. 7) uses one ratio per output:
// exp of the mean of its tokens' log-ratios. delta (INTELLECT-2) caps ρ from above in the
// unclipped branch as well. The k3 KL to the reference (β) is added per token before aggregation.
import { add, div, exp, mean, mul, neg, sub, sum } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import { clamp, constant, expectInput, expectNonNegative, logSigmoid, maskCount, maximum, sizeOf, type Values } from '../common.js';

export const GRPO_LOSS_TYPES = ['grpo', 'dr_grpo', 'dapo', 'bnpo', 'cispo', 'sapo'] as const;
export type GrpoLossType = (typeof GRPO_LOSS_TYPES)[number];

export interface GrpoLossOptions {
  /** KL coefficient; 0.04 as DeepSeekMath. 0 drops the reference (refLogp may be null). */
  beta?: number;
  lossType?: GrpoLossType;
  /** The older name: 'sequence' is grpo, 'token' is bnpo. */
  aggregation?: 'sequence' | 'token';
  /** ε_low of the ratio clip; 0.2 as PPO. */
  clip?: number;
  /** ε_high; defaults to clip. DAPO: 0.28; for cispo the cap on ρ itself (ScaleRL: 5). */
  clipHigh?: number;
  /** Upper cap on ρ in the unclipped branch (two-sided clipping); none by default. */
  delta?: number;
  importanceSamplingLevel?: 'token' | 'sequence';
  /** SAPO's gate temperatures for Â > 0 and Â ≤ 0 (the paper's 1.0 and 1.05). */
  sapoTemperaturePos?: number;
  sapoTemperatureNeg?: number;
  /** dr_grpo's constant: the longest completion allowed (maxNewTokens). */
  maxCompletionLength?: number;
  /** dapo and cispo: the active tokens the sum is divided by (default this batch's). */
  tokenNormalizer?: number;
}

export interface GrpoLossOutput {
  /** Scalar loss, to minimise. */
  loss: Tensor;
  /** Mean k3 KL per masked token (0 when beta = 0). */
  kl: number;
  /** Fraction of masked tokens whose update the clip (or cispo's cap) holds back. */
  clipFrac: number;
}

const sigmoid = (x: Tensor): Tensor => exp(logSigmoid(x));

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

/** The loss's per-token surrogate before the KL term: (B, T), or (B, 1) for sequence-level ratios. */
function surrogate(type: GrpoLossType, logp: Tensor, coef: Tensor, adv: Tensor, o: Required<Pick<GrpoLossOptions, 'clip' | 'clipHigh' | 'sapoTemperaturePos' | 'sapoTemperatureNeg'>> & { delta?: number }): Tensor {
  if (type === 'cispo') return neg(mul(mul(clamp(coef, -Infinity, o.clipHigh).detach(), adv), logp));
  if (type === 'sapo') {
    const tau = new Tensor(Float32Array.from(adv.data, (a) => (a > 0 ? o.sapoTemperaturePos : o.sapoTemperatureNeg)), adv.shape);
    return neg(mul(div(mul(sigmoid(mul(sub(coef, 1), tau)), 4), tau), adv));
  }
  const capped = o.delta === undefined ? coef : clamp(coef, -Infinity, o.delta);
  const a = mul(capped, adv), b = mul(clamp(coef, 1 - o.clip, 1 + o.clipHigh), adv);
  return maximum(neg(a), neg(b)); // −min(ρÂ, clip(ρ)Â)
}

/** Share of masked tokens held back: ρ below 1 − ε_low with Â < 0 or above 1 + ε_high with Â > 0 (cispo: ρ > ε_high, Â > 0). */
function clipFraction(type: GrpoLossType, coef: Tensor, adv: Tensor, m: Tensor, n: number, clip: number, clipHigh: number): number {
  const [B, T] = m.shape as [number, number];
  const at = (x: Tensor, b: number, t: number) => x.data[x.shape[1] === 1 ? b : b * T + t]!;
  let held = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (!m.data[b * T + t]) continue;
      const r = at(coef, b, t), a = at(adv, b, t);
      if (type === 'cispo' ? r > clipHigh && a > 0 : (r < 1 - clip && a < 0) || (r > 1 + clipHigh && a > 0)) held++;
    }
  }
  return held / n;
}

/**
 * GRPO-family loss. logp (B, T) differentiable; oldLogp (B, T) or null for one update per batch
 * (π_old = π detached, ratio 1); refLogp (B, T) or null when beta = 0; advantages (B) per output or
 * (B, T) per token; mask (B, T) with at least one real token (a row may have none: a masked
 * truncated completion, which then adds nothing).
 */
export function grpoLoss(logp: Tensor, oldLogp: Values | null, refLogp: Values | null, advantages: Values, mask: Values,
  opts: GrpoLossOptions = {}): GrpoLossOutput {
  const op = 'grpoLoss';
  const type: GrpoLossType = opts.lossType ?? (opts.aggregation === 'token' ? 'bnpo' : 'grpo');
  const { beta = 0.04, clip = 0.2, importanceSamplingLevel = 'token', sapoTemperaturePos = 1, sapoTemperatureNeg = 1.05 } = opts;
  const clipHigh = opts.clipHigh ?? clip;
  expectInput(op, 'logp', logp);
  if (logp.rank !== 2) throw new RangeError(`${op}: logp has shape [${logp.shape}], expected (B, T)`);
  for (const [k, v] of [['beta', beta], ['clip', clip], ['clipHigh', clipHigh]] as const) expectNonNegative(op, k, v);
  if (!GRPO_LOSS_TYPES.includes(type)) throw new RangeError(`${op}: lossType must be one of ${GRPO_LOSS_TYPES.join(', ')}, got '${type}'`);
  if (opts.aggregation !== undefined && opts.aggregation !== 'sequence' && opts.aggregation !== 'token') throw new RangeError(`${op}: aggregation must be 'sequence' or 'token', got '${opts.aggregation}'`);
  if (beta > 0 && refLogp === null) throw new RangeError(`${op}: beta is ${beta} but refLogp is null; pass the reference log-probabilities or set beta to 0`);
  if (type === 'dr_grpo' && !(opts.maxCompletionLength! > 0)) throw new RangeError(`${op}: dr_grpo divides by B · maxCompletionLength; give maxCompletionLength > 0`);
  const [B, T] = logp.shape as [number, number];
  const old = oldLogp === null ? logp.detach() : constant(op, 'oldLogp', oldLogp, logp.shape);
  const adv = constant(op, 'advantages', advantages, sizeOf(advantages) === B * T ? [B, T] : [B, 1]);
  const m = constant(op, 'mask', mask, logp.shape);
  const n = maskCount(op, m);
  const rowLengths = new Tensor(new Float32Array(B), [B]); // |oᵢ|, at least 1 as TRL clamps it
  for (let b = 0; b < B; b++) {
    let len = 0;
    for (let t = 0; t < T; t++) len += m.data[b * T + t]!;
    rowLengths.data[b] = Math.max(1, len);
  }

  const logRatio = sub(logp, old); // (B, T)
  const logIw = importanceSamplingLevel === 'sequence' ? div(sum(mul(logRatio, m), -1, true), new Tensor(rowLengths.data, [B, 1])) : logRatio; // (B, 1) or (B, T)
  const coef = exp(logIw);
  let perToken = surrogate(type, logp, coef, adv, { clip, clipHigh, sapoTemperaturePos, sapoTemperatureNeg, ...(opts.delta !== undefined ? { delta: opts.delta } : {}) });
  let kl = 0;
  if (beta > 0) {
    const k3 = k3Kl(logp, refLogp!); // (B, T)
    perToken = add(perToken, mul(k3, beta));
    for (let i = 0; i < m.size; i++) if (m.data[i]) kl += k3.data[i]!;
    kl /= n;
  }
  const masked = mul(perToken, m); // (B, T)
  let loss: Tensor;
  if (type === 'grpo' || type === 'sapo') loss = mean(div(sum(masked, -1), rowLengths));
  else if (type === 'bnpo') loss = div(sum(masked), n);
  else if (type === 'dr_grpo') loss = div(sum(masked), B * opts.maxCompletionLength!);
  else loss = div(sum(masked), Math.max(1, opts.tokenNormalizer ?? n));
  return { loss, kl, clipFrac: clipFraction(type, coef, adv, m, n, clip, clipHigh) };
}
