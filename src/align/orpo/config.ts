// ORPO settings (Hong et al. 2024; TRL's ORPOConfig names as aliases). No reference model: the
// supervised term keeps the policy on the chosen completions, the odds ratio pushes the pair apart.
import { declareConfig, int, num, type ConfigOf, type Overrides } from '../../config/index.js';
import { lengthOptions, optimizerOptions } from '../trainer/optimizer-options.js';

/** What ORPO, CPO and SimPO share beside their losses: length, batch, optimisation, evaluation. */
export function pairTrainingOptions(d: { lr: number }) {
  return {
    ...lengthOptions({ steps: 200 }),
    batchSize: int(8, 'preference pairs per step', { min: 1, aliases: ['per_device_train_batch_size'] }),
    // lr: larger than DPO's, since ORPO and CPO also fine-tune (no reference holds the policy back,
    // the NLL term does); weight decay 0 as TRL.
    ...optimizerOptions({ lr: d.lr, warmupSteps: 10, weightDecay: 0 }),
    maxLen: int(0, "longest prompt + completion in tokens (0: the model's maximum)", { min: 0, aliases: ['max_length'] }),
    evalEvery: int(50, 'held-out loss and accuracy every N steps (0: at the end only)', { min: 0, aliases: ['eval_steps'] }),
    evalPairs: int(256, 'most held-out pairs evaluated', { min: 0 }),
    saveEvery: int(100, 'checkpoint (and resume point) every N steps (0: at the end only)', { min: 0, aliases: ['save_steps'] }),
    seed: int(0, 'seed of the data order (and of the held-out split)', { min: 0 }),
  };
}

export const orpoConfig = declareConfig('orpo', {
  /** λ of the paper, TRL's beta: 0.1 as both. */
  beta: num(0.1, 'λ, weight of the odds-ratio term beside the NLL', { min: 0 }),
  ...pairTrainingOptions({ lr: 3e-4 }),
});

export type OrpoConfig = ConfigOf<typeof orpoConfig>;
export const defaultOrpoConfig: OrpoConfig = orpoConfig.defaults;
export const resolveOrpoConfig = (over: Overrides<typeof orpoConfig.options> = {}): OrpoConfig => orpoConfig.resolve(over);
