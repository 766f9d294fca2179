// GRPO settings (Shao et al. 2024, DeepSeekMath, section 4; TRL's GRPOConfig names as aliases, and
// its loss types, clip-higher, sequence-level ratios, reward scaling and masking).
import { ConfigError, bool, choice, declareConfig, int, num, optionalNum, type ConfigOf, type Overrides } from '../../config/index.js';
import { GRPO_LOSS_TYPES } from '../losses/index.js';
import { onlineOptions } from '../rollout/config.js';

const online = onlineOptions({ promptsPerStep: 4, samplesPerPrompt: 8 });

/** The policy-gradient options GRPO and REINFORCE++ share: the loss, its clip and the updates per rollout. */
export function clippedUpdateOptions(d: { clip: number }) {
  return {
    /** DeepSeekMath: 1, so π_old = π and the ratio is 1. */
    epochs: int(1, 'μ, passes over each rollout batch', { min: 1, aliases: ['num_iterations'] }),
    /** 0: one step per epoch. */
    minibatchSize: int(0, 'samples per gradient step (0: the whole batch)', { min: 0, expected: 'an integer ≥ 0 (0: the whole batch)' }),
    clip: num(d.clip, 'ε (ε_low) of the ratio clip', { min: 0, aliases: ['epsilon'] }),
    /** DAPO's clip-higher: 0.28 in the paper; cispo's cap on the ratio (5 in ScaleRL). */
    clipHigh: optionalNum('ε_high, the upper clip (default: --clip)', { min: 0, aliases: ['epsilon_high'] }),
    /** INTELLECT-2's two-sided clip; above 1 + ε when set. */
    delta: optionalNum('cap on the ratio in the unclipped branch (default: none)', { gt: 1, aliases: ['delta'] }),
    /** 'sequence' is GSPO (Zheng et al. 2025): one ratio per output. */
    importanceSamplingLevel: choice(['token', 'sequence'] as const, 'token', 'importance ratios per token or per sequence (GSPO)', { aliases: ['importance_sampling_level'] }),
    /** DAPO: a completion cut at maxNewTokens is dropped from the loss rather than taught as if it had ended. */
    maskTruncatedCompletions: bool(false, 'leave completions that never emitted EOS out of the loss', { aliases: ['mask_truncated_completions'] }),
  };
}

export const grpoConfig = declareConfig('grpo', {
  ...online,
  /** A group needs a spread of rewards. */
  samplesPerPrompt: int(8, 'completions per prompt (the group G)', { min: 2, aliases: ['num_generations'], expected: 'at least 2 (a group needs a spread of rewards)' }),
  ...clippedUpdateOptions({ clip: 0.2 }),
  /** DeepSeekMath: 0.04; 0 drops the reference (TRL's default is 0). */
  beta: num(0.04, 'β of the k3 KL to the reference in the loss (0: no reference)', { min: 0 }),
  /** grpo: DeepSeekMath's per-output mean (TRL's default is dapo). See losses/policy-gradient/grpo-loss.ts. */
  lossType: choice(GRPO_LOSS_TYPES, 'grpo', 'loss: grpo, dr_grpo, dapo, bnpo, cispo or sapo', { aliases: ['loss_type'] }),
  /** group: DeepSeekMath; none: Dr. GRPO (Liu et al. 2025); batch: Lite PPO. */
  scaleRewards: choice(['group', 'batch', 'none'] as const, 'group', 'divide advantages by the std of the group, of the batch, or not at all', { aliases: ['scale_rewards'] }),
  /** DAPO §3.2: a group whose rewards are all equal has no advantage and only dilutes the batch. */
  dynamicSampling: bool(false, 'leave groups whose rewards are all equal out of the update (DAPO)', { aliases: ['dynamic_sampling'] }),
  /** SAPO's gate temperatures (Gao et al. 2025; TRL's defaults). */
  sapoTemperaturePos: num(1, 'sapo: gate temperature for positive advantages', { gt: 0, aliases: ['sapo_temperature_pos'] }),
  sapoTemperatureNeg: num(1.05, 'sapo: gate temperature for other advantages', { gt: 0, aliases: ['sapo_temperature_neg'] }),
}, (c) => {
  if (c.delta !== undefined && c.delta <= 1 + c.clip) throw new ConfigError(`grpo config: delta ${c.delta} must be above 1 + clip (${1 + c.clip}), or it cuts into the clipped range`, 'delta');
});

export type GrpoConfig = ConfigOf<typeof grpoConfig>;
export const defaultGrpoConfig: GrpoConfig = grpoConfig.defaults;
export const resolveGrpoConfig = (over: Overrides<typeof grpoConfig.options> = {}): GrpoConfig => grpoConfig.resolve(over);

/** What grpoLoss takes from a config, beside the per-batch token normaliser. */
export function grpoLossOptions(c: Pick<GrpoConfig, 'beta' | 'clip' | 'clipHigh' | 'delta' | 'importanceSamplingLevel' | 'lossType' | 'sapoTemperaturePos' | 'sapoTemperatureNeg' | 'maxNewTokens'>) {
  return {
    beta: c.beta, clip: c.clip, lossType: c.lossType, importanceSamplingLevel: c.importanceSamplingLevel, maxCompletionLength: c.maxNewTokens,
    sapoTemperaturePos: c.sapoTemperaturePos, sapoTemperatureNeg: c.sapoTemperatureNeg,
    ...(c.clipHigh !== undefined ? { clipHigh: c.clipHigh } : {}), ...(c.delta !== undefined ? { delta: c.delta } : {}),
  };
}
