// The offline losses ReST's Improve step can fine-tune with (Gulcehre et al. 2023, §3 and App.
// "offline RL losses"), as pure functions of the completion log-probabilities. Every (B, T) input
// comes with a 0/1 mask of completion tokens (logprobs.ts' layout); rewards are per sequence,
// normalised to [0, 1], and the same for every token of the sequence. The paper found BC best.
import { add, div, exp, log, mean, mul, neg, reshape, sub, sum } from '../../ops/index.js';
import { Tensor } from '../../tensor/index.js';
import { constant, expectInput, expectNonNegative, maskCount, maskedMean, type Values } from './common.js';

export interface RestLossOutput {
  /** Scalar, to minimise. */
  loss: Tensor;
  /** Numbers worth logging (means over masked tokens or over the batch). */
  stats: Record<string, number>;
}

function check(op: string, logp: Tensor, mask: Values): { m: Tensor; n: number; B: number; T: number } {
  expectInput(op, 'logp', logp);
  if (logp.rank !== 2) throw new RangeError(`${op}: logp has shape [${logp.shape}], expected (B, T)`);
  const m = constant(op, 'mask', mask, logp.shape);
  const [B, T] = logp.shape as [number, number];
  return { m, n: maskCount(op, m), B, T };
}

function rewardsOf(op: string, rewards: readonly number[], B: number): Tensor {
  if (rewards.length !== B) throw new RangeError(`${op}: ${rewards.length} rewards for a batch of ${B}`);
  rewards.forEach((r, i) => { if (!Number.isFinite(r)) throw new RangeError(`${op}: reward ${i} is ${r}, expected a finite number`); });
  return constant(op, 'rewards', rewards, [B, 1]);
}

/**
 * Behaviour cloning on the filtered data: L = −Σ m·log π / Σ m, the token-mean negative
 * log-likelihood — the same number SFT's cross-entropy gives on the kept samples.
 */
export function bcLoss(logp: Tensor, mask: Values): RestLossOutput {
  const { m, n } = check('bcLoss', logp, mask);
  const loss = maskedMean(neg(logp), m, n);
  return { loss, stats: { nll: loss.item() } };
}

export interface GoldOptions {
  /**
   * u, the floor of the importance weight. GOLD (Pang & He 2021, "Text Generation by Learning
   * from Demonstrations", §3.2) approximates the per-step weight π(yₜ)/π_b(yₜ) by π̃(yₜ) and lower-
   * bounds it, max(u, π̃), so that tokens the model finds unlikely still get some gradient.
   */
  minWeight?: number;
}

/**
 * GOLD: off-policy policy gradient with per-token truncated importance weights and the sequence
 * reward as return (Pang & He 2021, eq. 5 with Q̂ = R(x, y)):
 *   L = −Σ mₜ · max(u, π̃(yₜ|·)) · R · log π(yₜ|·) / Σ m,  π̃ = π detached.
 * logp (B, T) differentiable; rewards (B); mask (B, T).
 */
export function goldLoss(logp: Tensor, mask: Values, rewards: readonly number[], opts: GoldOptions = {}): RestLossOutput {
  const op = 'goldLoss';
  const { minWeight = 0.1 } = opts;
  expectNonNegative(op, 'minWeight', minWeight);
  const { m, n, B } = check(op, logp, mask);
  const r = rewardsOf(op, rewards, B);
  const w = new Float32Array(logp.size);
  let wSum = 0;
  for (let i = 0; i < w.length; i++) {
    w[i] = Math.max(minWeight, Math.exp(logp.data[i]!));
    if (m.data[i]) wSum += w[i]!;
  }
  const weights = new Tensor(w, logp.shape); // (B, T), constant
  const loss = maskedMean(neg(mul(mul(weights, r), logp)), m, n);
  return { loss, stats: { meanWeight: wSum / n } };
}

export interface OacOptions {
  /** c̄: importance ratios π/π_b are truncated at c̄ (Retrace / V-trace, Munos et al. 2016; Espeholt et al. 2018). */
  ratioClip?: number;
  /** Weight of the critic's squared error in the total loss. */
  valueCoef?: number;
  /**
   * λ of a behaviour-cloning term on the same data (TD3+BC, Fujimoto & Gu 2021, "A Minimalist
   * Approach to Offline RL"). Without it a negative advantage pushes log π of a sampled sequence
   * down without bound, and the policy collapses within a few dozen steps; with λ ≥ max|A| (1 for
   * rewards in [0, 1]) every kept token's net weight λ + ρ·A stays ≥ 0.
   */
  bcCoef?: number;
}

/**
 * Offline actor-critic: a learned state value V(x) as baseline, per-token importance ratios to
 * the behaviour (Grow) policy truncated at c̄, and a BC term on the same data,
 *   A = R − sg[V(x)],  ρₜ = min(c̄, π(yₜ)/π_b(yₜ)) (constant),
 *   L = −Σ mₜ·(ρₜ·A + λ)·log π(yₜ) / Σ m  +  valueCoef · ½ mean_b (V(x) − R)².
 * logp (B, T) and values (B) differentiable; behaviourLogp (B, T), rewards (B), mask (B, T).
 */
export function oacLoss(logp: Tensor, behaviourLogp: Values, mask: Values, rewards: readonly number[], values: Tensor,
  opts: OacOptions = {}): RestLossOutput {
  const op = 'oacLoss';
  const { ratioClip = 1, valueCoef = 0.5, bcCoef = 1 } = opts;
  expectNonNegative(op, 'ratioClip', ratioClip);
  expectNonNegative(op, 'valueCoef', valueCoef);
  expectNonNegative(op, 'bcCoef', bcCoef);
  const { m, n, B } = check(op, logp, mask);
  const b = constant(op, 'behaviourLogp', behaviourLogp, logp.shape);
  const r = rewardsOf(op, rewards, B);
  expectInput(op, 'values', values);
  if (values.size !== B) throw new RangeError(`${op}: values has ${values.size} entries for a batch of ${B}`);
  const v = reshape(values, [B, 1]);
  const adv = sub(r, v.detach()); // (B, 1)
  const rho = new Float32Array(logp.size);
  let rhoSum = 0, clipped = 0;
  for (let i = 0; i < rho.length; i++) {
    const ratio = Math.exp(logp.data[i]! - b.data[i]!);
    rho[i] = Math.min(ratioClip, ratio);
    if (m.data[i]) { rhoSum += rho[i]!; if (ratio > ratioClip) clipped++; }
  }
  const policy = maskedMean(neg(mul(mul(new Tensor(rho, logp.shape), adv), logp)), m, n);
  const nll = maskedMean(neg(logp), m, n);
  const err = sub(v, r); // (B, 1)
  const value = mul(mean(mul(err, err)), 0.5);
  const loss = add(add(policy, mul(nll, bcCoef)), mul(value, valueCoef));
  return { loss, stats: { policyLoss: policy.item(), nll: nll.item(), valueLoss: value.item(), meanRatio: rhoSum / n, clipFrac: clipped / n, meanAdvantage: mean(adv).item() } };
}

export interface BvmpoOptions {
  /** ε_η, the KL bound of the non-parametric E-step (V-MPO, Song et al. 2020: 0.01 for discrete actions). */
  epsEta?: number;
  /** ε_α, the trust-region bound on the mean per-token KL(π_b ‖ π). */
  epsAlpha?: number;
  /** Share of the batch with the highest advantages that the E-step reweights (V-MPO: the top half). */
  topFraction?: number;
  valueCoef?: number;
}

/**
 * V-MPO (Song et al. 2020, "V-MPO: On-Policy Maximum a Posteriori Policy Optimization for
 * Discrete and Continuous Control", eqs. 1-5) with the trust region taken to the behaviour
 * policy that grew the data (ReST's "BVMPO"). Each sequence is one action; its advantage is
 * A = R − sg[V(x)]. Over the top `topFraction` of the batch by A:
 *   ψᵢ = exp(Aᵢ/η) / Σⱼ exp(Aⱼ/η)                                     (η, A constant here)
 *   L_π = −Σᵢ ψᵢ · log π(yᵢ|xᵢ)                                        (sequence log-probability)
 *   L_η = η·ε_η + η·log( mean exp(Aᵢ/η) )                             (differentiable in η)
 * and over the whole batch, with KL the mean per-token k3 estimate of KL(π_b ‖ π) on π_b's samples:
 *   L_α = α·(ε_α − sg[KL]) + sg[α]·KL,   L_V = ½·mean (V(x) − R)².
 * L = L_π + L_η + L_α + valueCoef·L_V. eta and alpha are positive (1)-tensors the caller
 * parametrises (e.g. exp of a free parameter); values (B) differentiable.
 */
export function bvmpoLoss(logp: Tensor, behaviourLogp: Values, mask: Values, rewards: readonly number[], values: Tensor,
  eta: Tensor, alpha: Tensor, opts: BvmpoOptions = {}): RestLossOutput & { selected: number[]; psi: number[] } {
  const op = 'bvmpoLoss';
  const { epsEta = 0.01, epsAlpha = 0.01, topFraction = 0.5, valueCoef = 0.5 } = opts;
  for (const [k, x] of [['epsEta', epsEta], ['epsAlpha', epsAlpha], ['valueCoef', valueCoef]] as const) expectNonNegative(op, k, x);
  if (!(topFraction > 0 && topFraction <= 1)) throw new RangeError(`${op}: topFraction must be in (0, 1], got ${topFraction}`);
  const { m, n, B } = check(op, logp, mask);
  const b = constant(op, 'behaviourLogp', behaviourLogp, logp.shape);
  rewardsOf(op, rewards, B);
  expectInput(op, 'values', values);
  if (values.size !== B) throw new RangeError(`${op}: values has ${values.size} entries for a batch of ${B}`);
  for (const [k, t] of [['eta', eta], ['alpha', alpha]] as const) {
    expectInput(op, k, t);
    if (t.size !== 1 || !(t.data[0]! > 0)) throw new RangeError(`${op}: ${k} must be one positive number, got [${Array.from(t.data)}]`);
  }

  const A = rewards.map((r, i) => r - values.data[i]!);
  const k = Math.max(1, Math.ceil(B * topFraction));
  const selected = A.map((a, i) => ({ a, i })).sort((x, y) => y.a - x.a || x.i - y.i).slice(0, k).map((x) => x.i).sort((x, y) => x - y);
  const etaV = eta.data[0]!, aMax = Math.max(...selected.map((i) => A[i]!));
  const e = selected.map((i) => Math.exp((A[i]! - aMax) / etaV));
  const z = e.reduce((s, x) => s + x, 0);
  const psi = new Float32Array(B);
  selected.forEach((i, j) => (psi[i] = e[j]! / z));

  const seqLogp = sum(mul(logp, m), -1); // (B)
  const policy = neg(sum(mul(seqLogp, new Tensor(psi, [B]))));
  // η·log mean exp(A/η) = maxA + η·log mean exp((A − maxA)/η): the same value, no overflow.
  const aSel = new Tensor(Float32Array.from(selected, (i) => A[i]! - aMax), [k]);
  const etaLoss = add(add(mul(eta, epsEta), aMax), mul(eta, log(mean(exp(div(aSel, eta))))));
  const x = sub(logp, b); // log(π/π_b), (B, T)
  const k3 = sub(sub(exp(x), x), 1); // (r − 1) − log r ≥ 0, r = π/π_b: KL(π_b‖π) on π_b's samples
  const kl = maskedMean(k3, m, n);
  const alphaLoss = add(mul(alpha, epsAlpha - kl.item()), mul(kl, alpha.data[0]!));
  const v = reshape(values, [B]);
  const err = sub(v, constant(op, 'rewards', rewards, [B]));
  const value = mul(mean(mul(err, err)), 0.5);
  const loss = add(add(add(policy, sum(etaLoss)), sum(alphaLoss)), mul(value, valueCoef));
  return {
    loss, selected, psi: Array.from(psi),
    stats: { policyLoss: policy.item(), etaLoss: etaLoss.item(), kl: kl.item(), valueLoss: value.item(), eta: etaV, alpha: alpha.data[0]!, meanAdvantage: A.reduce((s, a) => s + a, 0) / B },
  };
}
