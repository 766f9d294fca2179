// ORPO (Hong et al. 2024): supervised fine-tuning and preference optimisation in one loss, no
// reference model (losses/preference/reference-free.ts). As TRL's ORPOTrainer: the odds ratio on
// token-mean log-probabilities, the NLL over the chosen prompt and completion.
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { orpoLoss } from '../losses/index.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import { trainReferenceFree, type PairEval, type PairLog } from '../trainer/offline/pair-trainer.js';
import { resolveOrpoConfig, type OrpoConfig } from './config.js';

export interface OrpoTrainOptions {
  policy: Transformer;
  tokenizer: Tokenizer;
  pairs: readonly PreferencePair[];
  eval?: readonly PreferencePair[];
  config?: Partial<OrpoConfig>;
  store?: RunStore;
  onLog?: (log: PairLog) => void;
  quiet?: boolean;
}

export async function trainOrpo(o: OrpoTrainOptions): Promise<{ logs: PairLog[]; step: number; eval: PairEval | null; truncated: number }> {
  const c = resolveOrpoConfig(o.config ?? {});
  return trainReferenceFree({
    name: 'orpo', policy: o.policy, tokenizer: o.tokenizer, pairs: o.pairs, eval: o.eval, config: c, store: o.store, onLog: o.onLog, quiet: o.quiet,
    nllOver: 'sequence', loss: (lp) => orpoLoss(lp.chosenMean, lp.rejectedMean, lp.nll!, { beta: c.beta }),
  });
}
