// Preference losses without a reference model: the policy's own log-probabilities of the chosen
// (c) and rejected (r) completions, (B) each, plus a supervised term on the chosen ones.
//   ORPO   Hong et al. 2024 (odds ratio preference optimisation): with p = the completion's token-mean log-probability,
//          log odds(y) = p − log(1 − eᵖ), L = NLL − λ·mean log σ(log odds(c) − log odds(r))
//          (λ is TRL's beta; TRL takes the NLL over the chosen prompt and completion).
//   CPO    Xu et al. 2024, eq. 3: L = mean −log σ(β·(c − r)) + α·NLL (summed log-probabilities;
//          α is cpo_alpha, label smoothing as cDPO); TRL's hinge and ipo on the same margin.
//   SimPO  Meng et al. 2024: −log σ(β·(c̄ − r̄) − γ) on token-mean log-probabilities, no
//          NLL: CPO's loss type simpo with α = 0.
//   AlphaPO (Gupta et al. 2025) swaps each log-probability for the reward (1 − p^(−α))/α, p = π(y).
// log(1 − eᵖ) is taken as log(−expm1(p)) near 0 and log1p(−eᵖ) below −ln 2 (Mächler 2012), with
// expm1(p) = 2·tanh(p/2)/(1 − tanh(p/2)), exact in float32 where 1 − eᵖ would cancel.
import { add, div, exp, log, mean, mul, neg, relu, sub, tanh, where } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import { expectInput, logSigmoid, softplus } from '../common.js';

/** log(1 − eˣ) for x < 0, accurate at both ends. */
export function log1mexp(x: Tensor): Tensor {
  const far = new Tensor(Int32Array.from(x.data, (v) => (v < -Math.LN2 ? 1 : 0)), x.shape);
  const t = tanh(mul(x, 0.5));
  const minusExpm1 = div(mul(t, -2), sub(1, t)); // −(eˣ − 1)
  return where(far, log(sub(1, exp(where(far, x, -1)))), log(where(far, 1, minusExpm1)));
}

function pairCheck(op: string, c: Tensor, r: Tensor): void {
  expectInput(op, 'chosen', c);
  expectInput(op, 'rejected', r);
  if (c.rank !== 1 || r.rank !== 1 || c.size !== r.size) throw new RangeError(`${op}: chosen [${c.shape}] and rejected [${r.shape}] must both be (B)`);
}

export interface PairLossOutput {
  loss: Tensor;
  /** β·(log-probability) of each side, TRL's rewards/chosen and rewards/rejected. */
  chosenRewards: number[];
  rejectedRewards: number[];
  /** Share of pairs whose chosen reward is above the rejected one. */
  accuracy: number;
}

function rewards(beta: number, c: Tensor, r: Tensor): Omit<PairLossOutput, 'loss'> {
  const chosenRewards = Array.from(c.data, (v) => beta * v), rejectedRewards = Array.from(r.data, (v) => beta * v);
  return { chosenRewards, rejectedRewards, accuracy: chosenRewards.filter((v, i) => v > rejectedRewards[i]!).length / c.size };
}

/** ORPO. chosen, rejected: token-mean log-probabilities (B); nll: the chosen side's token-mean negative log-likelihood. */
export function orpoLoss(chosen: Tensor, rejected: Tensor, nll: Tensor, opts: { beta?: number } = {}): PairLossOutput & { logOdds: number } {
  const op = 'orpoLoss', beta = opts.beta ?? 0.1;
  pairCheck(op, chosen, rejected);
  if (!(Number.isFinite(beta) && beta >= 0)) throw new RangeError(`${op}: beta must be a finite number ≥ 0, got ${beta}`);
  const logOdds = sub(sub(chosen, rejected), sub(log1mexp(chosen), log1mexp(rejected))); // (B)
  const loss = sub(nll, mul(mean(logSigmoid(logOdds)), beta));
  return { loss, ...rewards(beta, chosen, rejected), logOdds: Array.from(logOdds.data).reduce((s, v) => s + v, 0) / chosen.size };
}

export type CpoLossType = 'sigmoid' | 'hinge' | 'ipo' | 'simpo';

export interface CpoOptions {
  beta?: number;
  lossType?: CpoLossType;
  labelSmoothing?: number;
  /** SimPO's target margin γ. */
  simpoGamma?: number;
  /** Weight of the NLL term (CPO's α); 0 drops it. */
  cpoAlpha?: number;
  /** AlphaPO's α (0: the log-probabilities themselves). */
  alpha?: number;
}

/** CPO and SimPO. chosen, rejected (B): summed log-probabilities (token means for ipo and simpo); nll: chosen completions' token-mean NLL, or null when cpoAlpha is 0. */
export function cpoLoss(chosen: Tensor, rejected: Tensor, nll: Tensor | null, opts: CpoOptions = {}): PairLossOutput {
  const op = 'cpoLoss';
  const { beta = 0.1, lossType = 'sigmoid', labelSmoothing: eps = 0, simpoGamma = 0.5, cpoAlpha = 1, alpha = 0 } = opts;
  pairCheck(op, chosen, rejected);
  if (!(Number.isFinite(beta) && beta > 0)) throw new RangeError(`${op}: beta must be a positive finite number, got ${beta}`);
  if (!['sigmoid', 'hinge', 'ipo', 'simpo'].includes(lossType)) throw new RangeError(`${op}: lossType must be sigmoid, hinge, ipo or simpo, got '${lossType}'`);
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`${op}: labelSmoothing must be in [0, 0.5), got ${eps}`);
  if (cpoAlpha !== 0 && nll === null) throw new RangeError(`${op}: cpoAlpha is ${cpoAlpha} but no NLL was given`);
  const transform = (x: Tensor) => (alpha === 0 ? x : div(sub(1, exp(mul(x, -alpha))), alpha)); // (1 − p^(−α))/α
  const c = transform(chosen), r = transform(rejected);
  let margin = sub(c, r); // (B)
  if (lossType === 'simpo') margin = sub(margin, simpoGamma / beta);
  const h = mul(margin, beta);
  let losses: Tensor;
  if (lossType === 'hinge') losses = relu(sub(1, h));
  else if (lossType === 'ipo') { const e = sub(margin, 1 / (2 * beta)); losses = mul(e, e); }
  else losses = eps === 0 ? softplus(neg(h)) : add(mul(softplus(neg(h)), 1 - eps), mul(softplus(h), eps));
  const loss = cpoAlpha === 0 ? mean(losses) : add(mean(losses), mul(nll!, cpoAlpha));
  return { loss, ...rewards(beta, c, r) };
}
