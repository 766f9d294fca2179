// CPO (Xu et al. 2024) and SimPO (Meng et al. 2024): preference optimisation without a reference
// model (losses/preference/reference-free.ts). As TRL's CPOTrainer: summed log-probabilities for
// sigmoid and hinge, token means for ipo and simpo; the NLL on the chosen completions, weighted
// by cpoAlpha (0 for SimPO, which then skips it).
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { cpoLoss } from '../losses/index.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import { trainReferenceFree, type PairEval, type PairLog } from '../trainer/offline/pair-trainer.js';
import { cpoLossOptions, cpoUsesTokenMeans, resolveCpoConfig, type CpoConfig } from './config.js';

export interface CpoTrainOptions {
  policy: Transformer;
  tokenizer: Tokenizer;
  pairs: readonly PreferencePair[];
  eval?: readonly PreferencePair[];
  config?: Partial<CpoConfig>;
  store?: RunStore;
  onLog?: (log: PairLog) => void;
  quiet?: boolean;
  /** 'simpo' when run as SimPO (the progress label). */
  name?: string;
}

export async function trainCpo(o: CpoTrainOptions): Promise<{ logs: PairLog[]; step: number; eval: PairEval | null; truncated: number }> {
  const c = resolveCpoConfig(o.config ?? {});
  const means = cpoUsesTokenMeans(c.lossType);
  return trainReferenceFree({
    name: o.name ?? 'cpo', policy: o.policy, tokenizer: o.tokenizer, pairs: o.pairs, eval: o.eval, config: c, store: o.store, onLog: o.onLog, quiet: o.quiet,
    nllOver: c.cpoAlpha === 0 ? null : 'completion',
    loss: (lp) => cpoLoss(means ? lp.chosenMean : lp.chosen, means ? lp.rejectedMean : lp.rejected, lp.nll, cpoLossOptions(c)),
  });
}
