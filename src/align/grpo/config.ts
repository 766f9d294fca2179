// GRPO settings (Shao et al. 2024, DeepSeekMath, section 4; TRL's GRPOTrainer where it differs).
import { checkOnlineConfig, defaultOnlineConfig, mergeConfig, type OnlineConfig } from '../rollout/config.js';

export interface GrpoConfig extends OnlineConfig {
  /** μ, passes over each batch (DeepSeekMath: 1, so π_old = π and the ratio is 1). */
  epochs: number;
  /** Samples per gradient step; 0: the whole batch, one step per epoch. */
  minibatchSize: number;
  /** β of the k3 KL to the reference inside the loss (DeepSeekMath: 0.04); 0 drops the reference. */
  beta: number;
  /** ε of the ratio clip. */
  clip: number;
  /** 'sequence': mean over each output's tokens, then over outputs (eq. 3); 'token': one mean over all tokens (DAPO). */
  aggregation: 'sequence' | 'token';
  /** false: advantages r − mean without the division by std (Dr. GRPO, Liu et al. 2025). */
  scaleByStd: boolean;
}

export const defaultGrpoConfig: GrpoConfig = {
  ...defaultOnlineConfig, promptsPerStep: 4, samplesPerPrompt: 8, epochs: 1, minibatchSize: 0, beta: 0.04, clip: 0.2,
  aggregation: 'sequence', scaleByStd: true,
};

export function resolveGrpoConfig(over: Partial<GrpoConfig>): GrpoConfig {
  const c = mergeConfig('grpo', defaultGrpoConfig, over);
  checkOnlineConfig('grpo', c);
  const bad = (k: string, v: unknown, want: string): never => { throw new RangeError(`grpo config: ${k} = ${JSON.stringify(v)}, expected ${want}`); };
  if (c.samplesPerPrompt < 2) bad('samplesPerPrompt', c.samplesPerPrompt, 'at least 2 (a group needs a spread of rewards)');
  if (!(Number.isInteger(c.epochs) && c.epochs > 0)) bad('epochs', c.epochs, 'a positive integer');
  if (!(Number.isInteger(c.minibatchSize) && c.minibatchSize >= 0)) bad('minibatchSize', c.minibatchSize, 'an integer ≥ 0 (0: the whole batch)');
  for (const k of ['beta', 'clip'] as const) if (!(c[k] >= 0 && Number.isFinite(c[k]))) bad(k, c[k], 'a finite number ≥ 0');
  if (c.aggregation !== 'sequence' && c.aggregation !== 'token') bad('aggregation', c.aggregation, "'sequence' or 'token'");
  if (typeof c.scaleByStd !== 'boolean') bad('scaleByStd', c.scaleByStd, 'true or false');
  return c;
}
