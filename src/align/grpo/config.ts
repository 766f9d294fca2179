// GRPO settings (Shao et al. 2024, DeepSeekMath, section 4; TRL's GRPOTrainer where it differs).
import { bool, choice, declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { onlineOptions } from '../rollout/config.js';

const online = onlineOptions({ promptsPerStep: 4, samplesPerPrompt: 8 });

export const grpoConfig = declareConfig('grpo', {
  ...online,
  /** A group needs a spread of rewards. */
  samplesPerPrompt: int(8, 'completions per prompt (the group G)', { min: 2, aliases: ['num_generations'], expected: 'at least 2 (a group needs a spread of rewards)' }),
  /** DeepSeekMath: 1, so π_old = π and the ratio is 1. */
  epochs: int(1, 'μ, passes over each rollout batch', { min: 1, aliases: ['num_iterations'] }),
  /** 0: one step per epoch. */
  minibatchSize: int(0, 'samples per gradient step (0: the whole batch)', { min: 0, expected: 'an integer ≥ 0 (0: the whole batch)' }),
  /** DeepSeekMath: 0.04; 0 drops the reference. */
  beta: num(0.04, 'β of the k3 KL to the reference in the loss (0: no reference)', { min: 0 }),
  clip: num(0.2, 'ε of the ratio clip', { min: 0, aliases: ['epsilon'] }),
  /** 'sequence': mean over each output's tokens, then over outputs (eq. 3); 'token': one mean over all tokens (DAPO). */
  aggregation: choice(['sequence', 'token'] as const, 'sequence', 'loss aggregation: sequence (mean per output, then over outputs) or token (DAPO)'),
  /** false: r − mean without the division by std (Dr. GRPO, Liu et al. 2025). */
  scaleByStd: bool(true, 'divide advantages by the group std (false: Dr. GRPO)', { aliases: ['scale_rewards'] }),
});

export type GrpoConfig = ConfigOf<typeof grpoConfig>;
export const defaultGrpoConfig: GrpoConfig = grpoConfig.defaults;
export const resolveGrpoConfig = (over: Overrides<typeof grpoConfig.options> = {}): GrpoConfig => grpoConfig.resolve(over);
