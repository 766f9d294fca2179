// Direct Preference Optimisation and its loss family: preference learning without a reward model,
// from the log-probabilities of the chosen (c) and rejected (r) completions under the policy π and
// a frozen reference, each summed over the completion's tokens, shape (B). The terms themselves,
// with their papers, are in dpo-loss-types.ts under TRL's names; several combine as Σₖ wₖ·mean(termₖ)
// (TRL's loss_type list with loss_weights, e.g. MPO's sigmoid + bco_pair + sft).
// The implicit reward of a completion is β·(log π − log ref) (Rafailov et al. 2023, section 5).
// Reference-free (Liu et al. 2024, "Understanding reference policies"): pass zeros as the reference.
// At initialisation (π = ref) sigmoid, cdpo and robust give ln 2, ipo (1/(2β))².
import { add, mean, mul, sub } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import { constant, expectInput, type Values } from '../common.js';
import { DPO_LOSS_NAMES, DPO_TERMS, NEEDS_SMOOTHING, type DpoLossType } from './dpo-loss-types.js';

export interface DpoOptions {
  /** Strength of the KL tie to the reference; 0.1 is the DPO paper's and TRL's default. */
  beta?: number;
  /** One loss type or several, combined with lossWeights (TRL's loss_type). */
  lossType?: DpoLossType | readonly DpoLossType[];
  /** One weight per loss type (TRL's loss_weights); 1 each when left out. */
  lossWeights?: readonly number[];
  /** ε, the assumed rate of flipped preference labels: cdpo, robust, exo_pair, aot (and sigmoid, as cDPO). */
  labelSmoothing?: number;
  /** τ of discopop; 0.05 as the paper and TRL. */
  discopopTau?: number;
  /** Completion token counts per pair: ipo, sigmoid_norm and sft average over tokens. */
  chosenLengths?: readonly number[];
  rejectedLengths?: readonly number[];
}

export interface DpoOutput {
  /** Scalar Σₖ wₖ·mean over the B pairs of loss type k. */
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

/** The loss types and weights of `opts`, checked; an error names the option and the value. */
export function dpoLossMix(opts: DpoOptions): { types: DpoLossType[]; weights: number[] } {
  const op = 'dpoLoss';
  const types = opts.lossType === undefined ? ['sigmoid' as const] : typeof opts.lossType === 'string' ? [opts.lossType] : [...opts.lossType];
  if (types.length === 0) throw new RangeError(`${op}: lossType is an empty list; give at least one of ${DPO_LOSS_NAMES.join(', ')}`);
  for (const t of types) if (!DPO_LOSS_NAMES.includes(t)) throw new RangeError(`${op}: lossType '${t}' is none of ${DPO_LOSS_NAMES.join(', ')}`);
  const weights = opts.lossWeights ? [...opts.lossWeights] : types.map(() => 1);
  if (weights.length !== types.length) throw new RangeError(`${op}: ${weights.length} lossWeights for ${types.length} loss types; give one weight per type`);
  weights.forEach((w, i) => { if (!Number.isFinite(w)) throw new RangeError(`${op}: lossWeights[${i}] is ${w}, expected a finite number`); });
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 0.5)) throw new RangeError(`${op}: labelSmoothing must be in [0, 0.5), got ${eps}`);
  for (const t of types) {
    if (NEEDS_SMOOTHING.has(t) && eps === 0) throw new RangeError(`${op}: loss type '${t}' needs labelSmoothing in (0, 0.5), got 0`);
  }
  return { types, weights };
}

/** Per-pair token counts as a (B) constant, at least 1 (TRL clamps them so). */
function lengths(op: string, what: string, x: readonly number[] | undefined, B: number): Tensor | null {
  if (x === undefined) return null;
  if (x.length !== B) throw new RangeError(`${op}: ${what} has ${x.length} entries, expected one per pair (${B})`);
  return new Tensor(Float32Array.from(x, (n) => Math.max(n, 1)), [B]);
}

export function dpoLoss(policyChosen: Tensor, policyRejected: Tensor, refChosen: Values, refRejected: Values, opts: DpoOptions = {}): DpoOutput {
  const op = 'dpoLoss';
  const beta = opts.beta ?? 0.1, eps = opts.labelSmoothing ?? 0, tau = opts.discopopTau ?? 0.05;
  expectInput(op, 'policyChosen', policyChosen);
  expectInput(op, 'policyRejected', policyRejected);
  if (policyChosen.rank !== 1 || policyRejected.rank !== 1 || policyChosen.size !== policyRejected.size) {
    throw new RangeError(`${op}: policyChosen [${policyChosen.shape}] and policyRejected [${policyRejected.shape}] must both be (B), one summed log-probability per sequence`);
  }
  if (!(Number.isFinite(beta) && beta > 0)) throw new RangeError(`${op}: beta must be a positive finite number, got ${beta}`);
  if (!(Number.isFinite(tau) && tau > 0)) throw new RangeError(`${op}: discopopTau must be a positive finite number, got ${tau}`);
  const { types, weights } = dpoLossMix(opts);
  const B = policyChosen.size;
  const refC = constant(op, 'refChosen', refChosen, [B]), refR = constant(op, 'refRejected', refRejected, [B]);
  const chosenRatio = sub(policyChosen, refC); // (B)
  const rejectedRatio = sub(policyRejected, refR); // (B)
  const inputs = {
    beta, eps, tau, policyChosen, policyRejected, refChosen: refC, refRejected: refR, chosenRatio, rejectedRatio,
    chosenLengths: lengths(op, 'chosenLengths', opts.chosenLengths, B), rejectedLengths: lengths(op, 'rejectedLengths', opts.rejectedLengths, B),
  };
  let loss: Tensor | null = null;
  types.forEach((t, k) => {
    const term = mul(mean(DPO_TERMS[t](inputs)), weights[k]!);
    loss = loss === null ? term : add(loss, term);
  });

  const chosenRewards = Array.from(chosenRatio.data, (v) => beta * v);
  const rejectedRewards = Array.from(rejectedRatio.data, (v) => beta * v);
  const margins = chosenRewards.map((c, i) => c - rejectedRewards[i]!);
  const accuracy = margins.filter((m) => m > 0).length / B;
  return { loss: loss!, chosenRewards, rejectedRewards, margins, accuracy };
}
