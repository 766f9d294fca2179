// PPO's bookkeeping on plain numbers, done once per rollout batch before any gradient: the
// KL-shaped per-token reward, generalised advantage estimation, whitening, explained variance.
// Layout: B rows of T response positions, right-padded; mask[b][t] = 1 on real tokens. A row's
// real tokens form one contiguous run (leading zeros for a prompt part are allowed, holes not).
import type { Rows } from '../common.js';

export type KlEstimator = 'k1' | 'k3';

/** Shape (B, T) of `rows`, checked against `like` when given. */
function dims(op: string, what: string, rows: Rows, like?: readonly [number, number]): [number, number] {
  const B = rows.length, T = B > 0 ? rows[0]!.length : 0;
  if (B === 0) throw new RangeError(`${op}: ${what} has no rows`);
  for (let b = 0; b < B; b++) {
    if (rows[b]!.length !== T) throw new RangeError(`${op}: ${what} row ${b} has ${rows[b]!.length} values, row 0 has ${T}`);
  }
  if (like && (B !== like[0] || T !== like[1])) throw new RangeError(`${op}: ${what} is (${B}, ${T}), expected (${like[0]}, ${like[1]})`);
  return [B, T];
}

/** [first, end) of the run of ones in a mask row; throws on values other than 0/1 or on holes. */
function span(op: string, row: readonly number[], b: number): [number, number] {
  let first = -1, end = -1;
  for (let t = 0; t < row.length; t++) {
    const m = row[t]!;
    if (m !== 0 && m !== 1) throw new RangeError(`${op}: mask[${b}][${t}] is ${m}, expected 0 or 1`);
    if (m === 1) {
      if (first < 0) first = t;
      else if (end !== t) throw new RangeError(`${op}: mask row ${b} has a hole before position ${t}; real tokens must be contiguous (right-padded)`);
      end = t + 1;
    }
  }
  if (first < 0) throw new RangeError(`${op}: mask row ${b} has no real token`);
  return [first, end];
}

/**
 * Per-token KL estimate between the sampling policy and the reference from the log-probabilities
 * of the sampled token (Schulman 2020, "Approximating KL divergence"): with r = ref/π,
 * k1 = log π − log ref (unbiased, can be negative); k3 = (r − 1) − log r (unbiased, ≥ 0, lower
 * variance). expm1 keeps k3 ≥ 0 in floating point.
 */
export function klEstimate(logp: number, refLogp: number, estimator: KlEstimator = 'k1'): number {
  const logr = refLogp - logp;
  return estimator === 'k1' ? -logr : Math.max(0, Math.expm1(logr) - logr);
}

export interface KlRewards {
  /** −β·KL per token, plus the score on the row's last real token; 0 on padding. (B, T) */
  rewards: number[][];
  /** The per-token KL estimate; 0 on padding. (B, T) */
  kl: number[][];
  /** Mean over rows of each row's summed KL: the sequence KL the adaptive controller tracks. */
  meanKl: number;
}

/**
 * The RLHF reward: R(x, y) = r(x, y) − β·log(π(y|x)/ref(y|x)) (Ziegler et al. 2019, eq. 2;
 * Ouyang et al. 2022, eq. 2), spread over tokens as TRL does: each token pays −β·KLₜ and the
 * scalar score of the reward model arrives at the last response token.
 * score (B); logp, refLogp, mask (B, T).
 */
export function klPenaltyRewards(score: readonly number[], logp: Rows, refLogp: Rows, mask: Rows, beta: number,
  opts: { estimator?: KlEstimator } = {}): KlRewards {
  const op = 'klPenaltyRewards';
  const estimator = opts.estimator ?? 'k1';
  if (estimator !== 'k1' && estimator !== 'k3') throw new RangeError(`${op}: estimator must be 'k1' or 'k3', got '${estimator}'`);
  if (!(Number.isFinite(beta) && beta >= 0)) throw new RangeError(`${op}: beta must be a finite number ≥ 0, got ${beta}`);
  const shape = dims(op, 'logp', logp);
  dims(op, 'refLogp', refLogp, shape);
  dims(op, 'mask', mask, shape);
  const [B, T] = shape;
  if (score.length !== B) throw new RangeError(`${op}: score has ${score.length} values, expected one per row (${B})`);
  const rewards: number[][] = [], kl: number[][] = [];
  let total = 0;
  for (let b = 0; b < B; b++) {
    const [first, end] = span(op, mask[b]!, b);
    const k = new Array<number>(T).fill(0), r = new Array<number>(T).fill(0);
    for (let t = first; t < end; t++) {
      k[t] = klEstimate(logp[b]![t]!, refLogp[b]![t]!, estimator);
      r[t] = -beta * k[t]!;
      total += k[t]!;
    }
    r[end - 1]! += score[b]!;
    rewards.push(r);
    kl.push(k);
  }
  return { rewards, kl, meanKl: total / B };
}

export interface Gae {
  /** Âₜ = Σₗ (γλ)ˡ δₜ₊ₗ; 0 on padding. (B, T) */
  advantages: number[][];
  /** Âₜ + V(sₜ): the value targets (λ-returns); 0 on padding. (B, T) */
  returns: number[][];
}

/**
 * Generalised advantage estimation (Schulman et al. 2016, eq. 16) as PPO uses it (Schulman et
 * al. 2017, eq. 11–12): δₜ = rₜ + γ·V(sₜ₊₁) − V(sₜ), Âₜ = δₜ + γλ·Âₜ₊₁, with the episode ending
 * after the row's last real token (V = 0 beyond it). γ = λ = 1 gives reward-to-go minus V;
 * λ = 0 gives the one-step TD error. Defaults are TRL's.
 */
export function gae(rewards: Rows, values: Rows, mask: Rows, gamma = 1, lambda = 0.95): Gae {
  const op = 'gae';
  for (const [name, v] of [['gamma', gamma], ['lambda', lambda]] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${op}: ${name} must be in [0, 1], got ${v}`);
  }
  const shape = dims(op, 'rewards', rewards);
  dims(op, 'values', values, shape);
  dims(op, 'mask', mask, shape);
  const [B, T] = shape;
  const advantages: number[][] = [], returns: number[][] = [];
  for (let b = 0; b < B; b++) {
    const [first, end] = span(op, mask[b]!, b);
    const r = rewards[b]!, v = values[b]!;
    const adv = new Array<number>(T).fill(0), ret = new Array<number>(T).fill(0);
    let last = 0;
    for (let t = end - 1; t >= first; t--) {
      const next = t + 1 < end ? v[t + 1]! : 0;
      const delta = r[t]! + gamma * next - v[t]!;
      last = delta + gamma * lambda * last;
      adv[t] = last;
      ret[t] = last + v[t]!;
    }
    advantages.push(adv);
    returns.push(ret);
  }
  return { advantages, returns };
}

function maskedMoments(op: string, values: Rows, mask: Rows): [number, number] {
  const shape = dims(op, 'values', values);
  dims(op, 'mask', mask, shape);
  let s = 0, n = 0;
  values.forEach((row, b) => row.forEach((x, t) => {
    const m = mask[b]![t]!;
    if (m !== 0 && m !== 1) throw new RangeError(`${op}: mask[${b}][${t}] is ${m}, expected 0 or 1`);
    if (m) { s += x; n++; }
  }));
  if (n === 0) throw new RangeError(`${op}: mask selects no position`);
  const mu = s / n;
  let ss = 0;
  values.forEach((row, b) => row.forEach((x, t) => { if (mask[b]![t]) ss += (x - mu) ** 2; }));
  return [mu, ss / n];
}

/**
 * Whitening over the masked positions of the whole batch, as TRL's masked_whiten: (x − μ)/√(σ² +
 * eps) with the biased variance σ² = mean (x − μ)²; shiftMean = false adds μ back (used for
 * rewards, whose sign carries meaning). Padding comes out as 0.
 */
export function whiten(values: Rows, mask: Rows, shiftMean = true, eps = 1e-8): number[][] {
  const [mu, variance] = maskedMoments('whiten', values, mask);
  const scale = 1 / Math.sqrt(variance + eps);
  return values.map((row, b) => row.map((x, t) => (mask[b]![t] ? (x - mu) * scale + (shiftMean ? 0 : mu) : 0)));
}

/**
 * 1 − Var[R − V] / Var[R] over the masked positions: 1 is a perfect critic, 0 no better than a
 * constant, below 0 worse (the diagnostic of OpenAI Baselines and Stable-Baselines3). NaN when
 * the returns do not vary.
 */
export function explainedVariance(values: Rows, returns: Rows, mask?: Rows): number {
  const op = 'explainedVariance';
  const shape = dims(op, 'values', values);
  dims(op, 'returns', returns, shape);
  const m = mask ?? values.map((row) => row.map(() => 1));
  const [, varR] = maskedMoments(op, returns, m);
  const [, varErr] = maskedMoments(op, returns.map((row, b) => row.map((x, t) => x - values[b]![t]!)), m);
  return varR === 0 ? NaN : 1 - varErr / varR;
}
