// CPO and SimPO settings (Xu et al. 2024; Meng et al. 2024; TRL's CPOConfig names as aliases).
// SimPO is CPO's loss type simpo without the NLL term: its own command, `simpo`, has those defaults.
import { choice, declareConfig, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { pairTrainingOptions } from '../orpo/config.js';

export const cpoConfig = declareConfig('cpo', {
  /** 0.1 as TRL for CPO; SimPO's paper uses 2–2.5. */
  beta: num(0.1, 'β, the temperature of the preference term', { gt: 0 }),
  lossType: choice(['sigmoid', 'hinge', 'ipo', 'simpo'] as const, 'sigmoid', 'loss: sigmoid (CPO), hinge, ipo or simpo', { aliases: ['loss_type'] }),
  labelSmoothing: num(0, 'ε, the assumed rate of flipped labels (sigmoid and simpo)', { min: 0, lt: 0.5, aliases: ['label_smoothing'] }),
  /** SimPO's γ: 0.5 as TRL. */
  simpoGamma: num(0.5, 'γ, the target reward margin of simpo', { min: 0, aliases: ['simpo_gamma'] }),
  /** CPO's NLL weight; 0 for SimPO. */
  cpoAlpha: num(1, 'weight of the NLL term on the chosen completions (0: none)', { min: 0, aliases: ['cpo_alpha'] }),
  /** AlphaPO's α; 0 keeps the log-probabilities as rewards. */
  alpha: num(0, 'AlphaPO\'s α: reward (1 − π^(−α))/α instead of log π (0: off)', { aliases: ['alpha'] }),
  ...pairTrainingOptions({ lr: 3e-4 }),
});

/** SimPO: CPO's simpo loss without the NLL term, β and γ from the paper's range. */
export const simpoConfig = cpoConfig.withDefaults('simpo', { lossType: 'simpo', cpoAlpha: 0, beta: 2, simpoGamma: 0.5 });

export type CpoConfig = ConfigOf<typeof cpoConfig>;
export const defaultCpoConfig: CpoConfig = cpoConfig.defaults;
export const resolveCpoConfig = (over: Overrides<typeof cpoConfig.options> = {}): CpoConfig => cpoConfig.resolve(over);

/** The loss options a config gives cpoLoss. */
export function cpoLossOptions(c: Pick<CpoConfig, 'beta' | 'lossType' | 'labelSmoothing' | 'simpoGamma' | 'cpoAlpha' | 'alpha'>) {
  return { beta: c.beta, lossType: c.lossType, labelSmoothing: c.labelSmoothing, simpoGamma: c.simpoGamma, cpoAlpha: c.cpoAlpha, alpha: c.alpha };
}

/** ipo and simpo compare token-mean log-probabilities, sigmoid and hinge summed ones (as TRL's CPOTrainer). */
export const cpoUsesTokenMeans = (lossType: CpoConfig['lossType']): boolean => lossType === 'ipo' || lossType === 'simpo';
