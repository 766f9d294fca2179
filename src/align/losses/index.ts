// The loss and advantage math of alignkit's trainers: pure functions, one file per family.
export { softplus, logSigmoid, clamp, maximum, maskedMean, type Rows, type Values } from './common.js';
export { bradleyTerryLoss, preferenceAccuracy, type BradleyTerryOutput } from './preference/bradley-terry.js';
export { dpoLoss, dpoLossMix, type DpoOptions, type DpoOutput } from './preference/dpo.js';
export { ktoLoss, type KtoLossType, type KtoOptions, type KtoOutput } from './preference/kto.js';
export { cpoLoss, log1mexp, orpoLoss, type CpoLossType, type CpoOptions, type PairLossOutput } from './preference/reference-free.js';
export { DPO_LOSS_NAMES, DPO_LOSS_TYPES, NEEDS_SMOOTHING, type DpoLossType } from './preference/dpo-loss-types.js';
export {
  klEstimate, klPenaltyRewards, gae, whiten, explainedVariance, type Gae, type KlEstimator, type KlRewards,
} from './policy-gradient/ppo-rewards.js';
export { ppoPolicyLoss, ppoValueLoss, entropyFromLogits, type PpoPolicyOutput, type PpoValueOutput } from './policy-gradient/ppo.js';
export { AdaptiveKlController, FixedKlController, type AdaptiveKlOptions, type KlController } from './policy-gradient/kl-controller.js';
export {
  grpoAdvantages, informativeGroups, type GroupAdvantages, type GrpoAdvantageOptions, type ScaleRewards,
} from './policy-gradient/grpo.js';
export {
  GRPO_LOSS_TYPES, grpoLoss, k3Kl, type GrpoLossOptions, type GrpoLossOutput, type GrpoLossType,
} from './policy-gradient/grpo-loss.js';
export { rlooAdvantages, rlooLoss } from './policy-gradient/rloo.js';
export { reinforcePpAdvantages, type ReinforcePpAdvantages, type ReinforcePpOptions } from './policy-gradient/reinforce-pp.js';
