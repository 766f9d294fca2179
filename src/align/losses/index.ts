// The loss and advantage math of alignkit's trainers: pure functions, one file per family.
export { softplus, logSigmoid, clamp, maximum, maskedMean, type Rows, type Values } from './common.js';
export { bradleyTerryLoss, preferenceAccuracy, type BradleyTerryOutput } from './preference/bradley-terry.js';
export { dpoLoss, type DpoOptions, type DpoOutput, type DpoVariant } from './preference/dpo.js';
export {
  klEstimate, klPenaltyRewards, gae, whiten, explainedVariance, type Gae, type KlEstimator, type KlRewards,
} from './policy-gradient/ppo-rewards.js';
export { ppoPolicyLoss, ppoValueLoss, entropyFromLogits, type PpoPolicyOutput, type PpoValueOutput } from './policy-gradient/ppo.js';
export { AdaptiveKlController, FixedKlController, type AdaptiveKlOptions, type KlController } from './policy-gradient/kl-controller.js';
export {
  grpoAdvantages, grpoLoss, k3Kl, type GroupAdvantages, type GrpoAdvantageOptions, type GrpoLossOptions, type GrpoLossOutput,
} from './policy-gradient/grpo.js';
export { rlooAdvantages, rlooLoss } from './policy-gradient/rloo.js';
