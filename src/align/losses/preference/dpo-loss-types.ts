// The per-pair terms of DPO's loss family under TRL's names (DPOConfig.loss_type, TRL 1.13), each
// from the policy's and the reference's summed completion log-probabilities of the chosen (c) and
// rejected (r) completions. With ρc = log π(c) − log ref(c), ρr likewise, d = ρc − ρr, h = β·d:
//   sigmoid      Rafailov et al. 2023 (DPO), eq. 7:          −log σ(h)
//   cdpo         Mitchell 2023 (conservative DPO), eq. 3:    −(1 − ε)·log σ(h) − ε·log σ(−h); alignkit's
//                'sigmoid' with ε > 0 is this too (TRL 1.13's sigmoid ignores label_smoothing)
//   hinge        Zhao et al. 2023 (SLiC-HF), the hinge form: max(0, 1 − h)
//   ipo          Azar et al. 2023, eq. 17 (τ = β):           (d̄ − 1/(2β))², d̄ on log-ratios averaged
//                over each completion's tokens when the token counts are given (TRL's normalisation,
//                which TRL confirmed with the authors), else on the summed d
//   exo_pair     Ji et al. 2024 (EXO), eq. 16:               KL(softmax(h, −h) ‖ (1 − ε, ε))
//   nca_pair     Chen et al. 2024 (NCA), paired form:        −log σ(βρc) − ½log σ(−βρc) − ½log σ(−βρr)
//   robust       Chowdhury et al. 2024 (rDPO), de-biased:    [(1 − ε)·(−log σ(h)) − ε·(−log σ(−h))] / (1 − 2ε)
//   bco_pair     Jung et al. 2024 (BCO), paired form:        −log σ(βρc) − log σ(−βρr)
//   sppo_hard    Wu et al. 2024 (SPPO), eq. 4.7, P ∈ {0, 1}: (ρc − 1/(2β))² + (ρr + 1/(2β))²
//   aot          Melnyk et al. 2024 (AOT), paired:           cDPO on sorted(log π(c) − log π(r)) − sorted(ref's)
//   aot_unpaired Melnyk et al. 2024, unpaired:               cDPO on sorted(ρc) − sorted(ρr)
//   apo_zero     D'Oosterlinck et al. 2024 (APO), eq. 7:     (1 − σ(βρc)) + σ(βρr)
//   apo_down     D'Oosterlinck et al. 2024, eq. 8:           σ(βρc) + (1 − σ(h))
//   discopop     Chris Lu et al. 2024 (DiscoPOP), eq. 5:     (1 − σ(h/τ))·(−log σ(h)) + σ(h/τ)·e^(−h)
//   sft          the chosen completion's token-mean negative log-likelihood (RPO, MPO mixes)
//   sigmoid_norm −log σ(β·d̄), d̄ averaged over tokens as for ipo
// The sorts of the AOT losses run over the batch; a sort is a permutation, applied as a product
// with a constant permutation matrix so that the gradient flows back to the unsorted entries.
import { add, div, exp, matmul, mul, neg, relu, reshape, sub, sum } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import { logSigmoid, softplus } from '../common.js';

export const DPO_LOSS_TYPES = [
  'sigmoid', 'hinge', 'ipo', 'exo_pair', 'nca_pair', 'robust', 'bco_pair', 'sppo_hard', 'aot', 'aot_unpaired',
  'apo_zero', 'apo_down', 'discopop', 'sft', 'sigmoid_norm',
] as const;

/** TRL's loss_type names, and cdpo: sigmoid with label smoothing under its paper's name. */
export type DpoLossType = (typeof DPO_LOSS_TYPES)[number] | 'cdpo';
export const DPO_LOSS_NAMES: readonly DpoLossType[] = [...DPO_LOSS_TYPES, 'cdpo'];

/** Loss types for which ε must be in (0, 0.5): with ε = 0 they are another type, or undefined (EXO's log ε). */
export const NEEDS_SMOOTHING: ReadonlySet<DpoLossType> = new Set(['cdpo', 'robust', 'exo_pair']);

/** What every term reads; tensors are (B) and carry the policy's graph where they depend on it. */
export interface DpoTermInputs {
  beta: number;
  /** ε, label smoothing. */
  eps: number;
  /** DiscoPOP's τ. */
  tau: number;
  policyChosen: Tensor;
  policyRejected: Tensor;
  refChosen: Tensor;
  refRejected: Tensor;
  /** ρc and ρr. */
  chosenRatio: Tensor;
  rejectedRatio: Tensor;
  /** Completion token counts (B), at least 1, or null when not given. */
  chosenLengths: Tensor | null;
  rejectedLengths: Tensor | null;
}

const sigmoid = (x: Tensor): Tensor => exp(logSigmoid(x));

/** −(1 − ε)·log σ(z) − ε·log σ(−z): the cross-entropy against labels smoothed by ε. */
function smoothed(z: Tensor, eps: number): Tensor {
  const clean = softplus(neg(z));
  return eps === 0 ? clean : add(mul(clean, 1 - eps), mul(softplus(z), eps));
}

/** x (B) sorted ascending, as a differentiable permutation of x. */
function sorted(x: Tensor): Tensor {
  const B = x.size;
  const order = Array.from({ length: B }, (_, i) => i).sort((a, b) => x.data[a]! - x.data[b]! || a - b);
  const p = new Float32Array(B * B);
  order.forEach((from, to) => { p[to * B + from] = 1; });
  return reshape(matmul(new Tensor(p, [B, B]), reshape(x, [B, 1])), [B]); // (B)
}

/** d̄ = ρc/|c| − ρr/|r|; without token counts the summed d, the IPO paper's own form. */
function tokenMeanMargin(x: DpoTermInputs): Tensor {
  if (!x.chosenLengths || !x.rejectedLengths) return sub(x.chosenRatio, x.rejectedRatio);
  return sub(div(x.chosenRatio, x.chosenLengths), div(x.rejectedRatio, x.rejectedLengths));
}

/** Each loss type's per-pair loss (B), or a batch scalar (sft). */
export const DPO_TERMS: Record<DpoLossType, (x: DpoTermInputs) => Tensor> = {
  sigmoid: (x) => smoothed(mul(sub(x.chosenRatio, x.rejectedRatio), x.beta), x.eps),
  cdpo: (x) => smoothed(mul(sub(x.chosenRatio, x.rejectedRatio), x.beta), x.eps),
  hinge: (x) => relu(sub(1, mul(sub(x.chosenRatio, x.rejectedRatio), x.beta))),
  ipo: (x) => {
    const e = sub(tokenMeanMargin(x), 1 / (2 * x.beta));
    return mul(e, e);
  },
  exo_pair: (x) => {
    const h = mul(sub(x.chosenRatio, x.rejectedRatio), x.beta), lw = logSigmoid(h), ll = logSigmoid(neg(h));
    return add(mul(exp(lw), sub(lw, Math.log1p(-x.eps))), mul(exp(ll), sub(ll, Math.log(x.eps))));
  },
  nca_pair: (x) => {
    const c = mul(x.chosenRatio, x.beta), r = mul(x.rejectedRatio, x.beta);
    return add(softplus(neg(c)), mul(add(softplus(c), softplus(r)), 0.5));
  },
  robust: (x) => {
    const h = mul(sub(x.chosenRatio, x.rejectedRatio), x.beta);
    return div(sub(mul(softplus(neg(h)), 1 - x.eps), mul(softplus(h), x.eps)), 1 - 2 * x.eps);
  },
  bco_pair: (x) => add(softplus(neg(mul(x.chosenRatio, x.beta))), softplus(mul(x.rejectedRatio, x.beta))),
  sppo_hard: (x) => {
    const w = sub(x.chosenRatio, 0.5 / x.beta), l = add(x.rejectedRatio, 0.5 / x.beta);
    return add(mul(w, w), mul(l, l));
  },
  aot: (x) => {
    const d = sub(sorted(sub(x.policyChosen, x.policyRejected)), sorted(sub(x.refChosen, x.refRejected)));
    return smoothed(mul(d, x.beta), x.eps);
  },
  aot_unpaired: (x) => smoothed(mul(sub(sorted(x.chosenRatio), sorted(x.rejectedRatio)), x.beta), x.eps),
  apo_zero: (x) => add(sub(1, sigmoid(mul(x.chosenRatio, x.beta))), sigmoid(mul(x.rejectedRatio, x.beta))),
  apo_down: (x) => add(sigmoid(mul(x.chosenRatio, x.beta)), sub(1, sigmoid(mul(sub(x.chosenRatio, x.rejectedRatio), x.beta)))),
  discopop: (x) => {
    const h = mul(sub(x.chosenRatio, x.rejectedRatio), x.beta), m = sigmoid(mul(h, 1 / x.tau));
    return add(mul(softplus(neg(h)), sub(1, m)), mul(exp(neg(h)), m));
  },
  sft: (x) => {
    if (!x.chosenLengths) throw new RangeError('dpoLoss: loss type sft is a token mean and needs chosenLengths');
    return div(neg(sum(x.policyChosen)), sum(x.chosenLengths).item());
  },
  sigmoid_norm: (x) => softplus(neg(mul(tokenMeanMargin(x), x.beta))),
};
