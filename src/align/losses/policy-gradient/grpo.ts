// Group Relative Policy Optimisation, Shao et al. 2024 (DeepSeekMath), section 4.1: no critic;
// each prompt's G sampled outputs are scored and every output's advantage is its reward
// normalised within the group (outcome supervision, every token of output i gets Âᵢ):
//   Âᵢ = (rᵢ − mean(r)) / std(r)
// and the objective, eq. 3, negated into a loss:
//   L = 1/G Σᵢ 1/|oᵢ| Σₜ [ max(−Âᵢ·ρᵢₜ, −Âᵢ·clip(ρᵢₜ, 1 − ε, 1 + ε)) + β·D_KL,ᵢₜ ]
// with ρ = π/π_old per token and D_KL the k3 estimator of eq. 4: ref/π − log(ref/π) − 1 ≥ 0.
// The variants since, under TRL's loss_type names, are in grpo-loss-types.ts.
import { expectGroups, expectNonNegative } from '../common.js';

/** How advantages are scaled (TRL's scale_rewards): by the group's std, the batch's, or not at all (Dr. GRPO). */
export type ScaleRewards = 'group' | 'batch' | 'none';

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
  /** 'group' (DeepSeekMath); 'batch', the std of all the step's rewards (Lite PPO: Liu et al. 2025,
   * "Tricks or traps? A deep dive into RL for LLM reasoning"); 'none' drops the division, which up-weights prompts
   * whose rewards barely vary (Liu et al. 2025, "Understanding R1-Zero-like training", Dr. GRPO). */
  scaleRewards?: ScaleRewards;
  /** The older switch: false is scaleRewards 'none'. */
  scaleByStd?: boolean;
  /** Sample std (n − 1), as TRL's torch.std; false for the population std. */
  unbiasedStd?: boolean;
}

function stdOf(x: readonly number[], unbiased: boolean): number {
  const mu = x.reduce((s, v) => s + v, 0) / x.length;
  const n = unbiased ? x.length - 1 : x.length;
  return n > 0 ? Math.sqrt(x.reduce((s, v) => s + (v - mu) ** 2, 0) / n) : 0;
}

/** Indices of the groups whose rewards are not all equal: what DAPO's dynamic sampling keeps (Yu et al. 2025, §3.2). */
export function informativeGroups(rewards: readonly number[], groupSize: number): number[] {
  expectGroups('informativeGroups', rewards, groupSize);
  const out: number[] = [];
  for (let g = 0; g * groupSize < rewards.length; g++) {
    const r = rewards.slice(g * groupSize, (g + 1) * groupSize);
    if (!r.every((x) => x === r[0])) out.push(g);
  }
  return out;
}

/**
 * Group-normalised advantages (DeepSeekMath, section 4.1.2). rewards is flat, B = groups × G,
 * each prompt's G samples consecutive. A group whose rewards are all equal gets advantages 0 and
 * is counted in zeroVarianceGroups: a batch made mostly of such groups teaches nothing.
 */
export function grpoAdvantages(rewards: readonly number[], groupSize: number, opts: GrpoAdvantageOptions = {}): GroupAdvantages {
  const op = 'grpoAdvantages';
  const { eps = 1e-4, unbiasedStd = true } = opts;
  const scale = opts.scaleRewards ?? (opts.scaleByStd === false ? 'none' : 'group');
  expectGroups(op, rewards, groupSize);
  expectNonNegative(op, 'eps', eps);
  if (!['group', 'batch', 'none'].includes(scale)) throw new RangeError(`${op}: scaleRewards must be 'group', 'batch' or 'none', got '${scale}'`);
  const batchStd = stdOf(rewards, unbiasedStd);
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
      const by = scale === 'group' ? std : batchStd;
      for (const x of r) advantages.push(scale === 'none' ? x - mu : (x - mu) / (by + eps));
    }
  }
  return { advantages, zeroVarianceGroups, groupMeans, groupStds };
}

export { GRPO_LOSS_TYPES, grpoLoss, k3Kl, type GrpoLossOptions, type GrpoLossOutput, type GrpoLossType } from './grpo-loss.js';
