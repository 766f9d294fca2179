// Direct Preference Optimisation and its variants: preference learning without a reward model,
// from the log-probabilities of the chosen (c) and rejected (r) completions under the policy π
// and a frozen reference, each summed over the completion's tokens, shape (B).
//   d = (log π(c) − log ref(c)) − (log π(r) − log ref(r)),  h = β·d
//   sigmoid  Rafailov et al. 2023, eq. 7:       −log σ(h)
//   cdpo     Mitchell 2023, "A note on DPO with noisy preferences", eq. 3 (labels flipped
//            with probability ε):                −(1 − ε)·log σ(h) − ε·log σ(−h)
//   ipo      Azar et al. 2023 (arXiv 2310.12036v2), eq. 17, τ = β:  (d − 1/(2β))², on the
//            unscaled margin d
//   robust   Chowdhury et al. 2024, "Provably robust DPO": the de-biased loss, unbiased in
//            expectation under label noise ε:
//            [(1 − ε)·(−log σ(h)) − ε·(−log σ(−h))] / (1 − 2ε)
// The implicit reward of a completion is β·(log π − log ref) (Rafailov et al. 2023, section 5).
// TRL feeds IPO with log-probabilities averaged over tokens rather than summed; pass those in if
// you want its behaviour. At initialisation (π = ref) every variant but IPO gives ln 2.
import { mean, mul, neg, sub, add, div } from '../../../ops/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { constant, expectInput, softplus, type Values } from '../common.js';

export type DpoVariant = 'sigmoid' | 'ipo' | 'cdpo' | 'robust';

export interface DpoOptions {
  /** Strength of the KL tie to the reference; 0.1 is the DPO paper's and TRL's default. */
  beta?: number;
  variant?: DpoVariant;
  /** ε, the assumed rate of flipped preference labels: cdpo and robust (and sigmoid, as TRL). */
  labelSmoothing?: number;
}

export interface DpoOutput {
  /** Scalar mean loss over the B pairs. */
  loss: Tensor;
  /** β·(log π(c) − log ref(c)) per pair. */
  chosenRewards: number[];
  /** β·(log π(r) − log ref(r)) per pair. */
  rejectedRewards: number[];
  /** chosen − rejected implicit reward per pair: h. */
  margins: number[];
  /** Fraction of pairs whose chosen implicit reward is strictly above the rejected one. */
  accuracy: number;
}

export function dpoLoss(policyChosen: Tensor, policyRejected: Tensor, refChosen: Values, refRejected: Values, opts: DpoOptions = {}): DpoOutput {
  const op = 'dpoLoss';
  const beta = opts.beta ?? 0.1, variant = opts.variant ?? 'sigmoid', eps = opts.labelSmoothing ?? 0;
  expectInput(op, 'policyChosen', policyChosen);
  expectInput(op, 'policyRejected', policyRejected);
  if (policyChosen.rank !== 1 || policyRejected.rank !== 1 || policyChosen.size !== policyRejected.size) {
    throw new RangeError(`${op}: policyChosen [${policyChosen.shape}] and policyRejected [${policyRejected.shape}] must both be (B), one summed log-probability per sequence`);
  }
  if (!(Number.isFinite(beta) && beta > 0)) throw new RangeError(`${op}: beta must be a positive finite number, got ${beta}`);
  if (!['sigmoid', 'ipo', 'cdpo', 'robust'].includes(variant)) {
    throw new RangeError(`${op}: variant must be 'sigmoid', 'ipo', 'cdpo' or 'robust', got '${variant}'`);
  }
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`${op}: labelSmoothing must be in [0, 0.5), got ${eps}`);
  if ((variant === 'cdpo' || variant === 'robust') && eps === 0) {
    throw new RangeError(`${op}: variant '${variant}' needs labelSmoothing in (0, 0.5), got 0 (which is plain 'sigmoid')`);
  }
  const B = policyChosen.size;
  const refC = constant(op, 'refChosen', refChosen, [B]), refR = constant(op, 'refRejected', refRejected, [B]);

  const chosenRatio = sub(policyChosen, refC); // (B)
  const rejectedRatio = sub(policyRejected, refR); // (B)
  const d = sub(chosenRatio, rejectedRatio); // (B), unscaled log-ratio margin
  const h = mul(d, beta); // (B)
  let losses: Tensor; // (B)
  if (variant === 'ipo') {
    const e = sub(d, 1 / (2 * beta));
    losses = mul(e, e);
  } else {
    const lossChosen = softplus(neg(h)); // −log σ(h)
    if (eps === 0) losses = lossChosen;
    else if (variant === 'robust') losses = div(sub(mul(lossChosen, 1 - eps), mul(softplus(h), eps)), 1 - 2 * eps);
    else losses = add(mul(lossChosen, 1 - eps), mul(softplus(h), eps));
  }

  const chosenRewards = Array.from(chosenRatio.data, (v) => beta * v);
  const rejectedRewards = Array.from(rejectedRatio.data, (v) => beta * v);
  const margins = chosenRewards.map((c, i) => c - rejectedRewards[i]!);
  const accuracy = margins.filter((m) => m > 0).length / B;
  return { loss: mean(losses), chosenRewards, rejectedRewards, margins, accuracy };
}
