// Online DPO settings (Guo et al. 2024, "Direct language model alignment from online AI feedback";
// TRL's OnlineDPOConfig names as aliases).
import { choice, declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { onlineOptions } from '../rollout/config.js';

export const onlineDpoConfig = declareConfig('online-dpo', {
  ...onlineOptions({ promptsPerStep: 8, samplesPerPrompt: 2 }),
  /** A pair per prompt, as the paper and TRL. */
  samplesPerPrompt: int(2, 'completions per prompt: one pair', { min: 2, max: 2, expected: '2 (one pair per prompt)' }),
  /** TRL's default: a little below 1, so that the pair differs without wandering. */
  temperature: num(0.9, 'sampling temperature', { gt: 0, expected: 'a finite number > 0 (online DPO samples from the policy)' }),
  /** 0.1 as DPO and TRL. */
  beta: num(0.1, 'β, strength of the tie to the reference', { gt: 0 }),
  /** TRL's two: sigmoid (DPO) and ipo, on summed log-ratios as its OnlineDPOTrainer. */
  lossType: choice(['sigmoid', 'ipo'] as const, 'sigmoid', 'loss: sigmoid (DPO) or ipo', { aliases: ['loss_type'] }),
});

export type OnlineDpoConfig = ConfigOf<typeof onlineDpoConfig>;
export const defaultOnlineDpoConfig: OnlineDpoConfig = onlineDpoConfig.defaults;
export const resolveOnlineDpoConfig = (over: Overrides<typeof onlineDpoConfig.options> = {}): OnlineDpoConfig => onlineDpoConfig.resolve(over);

/** What dpoLoss takes: no token counts, so ipo is on summed log-ratios as TRL's OnlineDPOTrainer has it. */
export const onlineDpoLossOptions = (c: Pick<OnlineDpoConfig, 'beta' | 'lossType'>) => ({ beta: c.beta, lossType: c.lossType });
