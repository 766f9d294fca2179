// Direct Preference Optimisation (Rafailov et al. 2023): the policy learns from preference pairs
// directly, with the loss family of losses/preference/dpo.ts (TRL's loss types, combinable with
// weights) on its summed completion log-probabilities against a frozen reference's. Chosen and
// rejected go through one forward of 2B rows; the reference's numbers are computed once before the
// first step (reference.ts), or are all 0 when referenceFree. Dropout stays off, as TRL's
// DPOTrainer does by default, so that at the start policy = reference exactly and the loss of
// sigmoid, cdpo and robust is ln 2.
//
// Metrics per step: the loss; the implicit rewards β·(log π − log ref) of chosen and rejected and
// their margin (batch means); accuracy (share of pairs with a positive margin); and the policy's
// own log-probabilities, whose fall on both sides is DPO's known failure to watch for.
import { noGrad } from '../../autograd/index.js';
import { slice } from '../../ops/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { dpoLoss, type DpoOptions } from '../losses/index.js';
import { sequenceLogprob, tokenLogprobs } from '../trainer/logprobs.js';
import { dpoLossOptions, resolveDpoConfig, type DpoConfig } from './config.js';
import { frozenBase, referenceLogps, type ReferenceLogps } from './reference.js';
import { tokenizePairs, type PreferencePair, type TokenPair } from '../trainer/preference-data.js';
import { runOfflineLoop } from '../trainer/offline/offline-loop.js';

export interface DpoLog {
  step: number;
  loss: number;
  /** Share of the batch's pairs whose chosen implicit reward is above the rejected one. */
  accuracy: number;
  /** Batch means of β·(log π − log ref) for chosen and rejected, and of their difference. */
  rewardChosen: number;
  rewardRejected: number;
  margin: number;
  /** Batch means of the policy's summed log-probabilities. */
  logpChosen: number;
  logpRejected: number;
  lr: number;
  gradNorm: number;
  evalLoss?: number;
  evalAccuracy?: number;
  evalMargin?: number;
}

/** What a DPO step logs beside the loop's step, loss, lr and gradNorm. */
type DpoMetrics = Pick<DpoLog, 'accuracy' | 'rewardChosen' | 'rewardRejected' | 'margin' | 'logpChosen' | 'logpRejected'>;

export interface DpoTrainOptions {
  /** Trained in place. */
  policy: Transformer;
  /** Frozen; by default the policy itself as it is when training starts. Used only to precompute log-probabilities (never when referenceFree). */
  reference?: Transformer;
  tokenizer: Tokenizer;
  pairs: readonly PreferencePair[];
  /** Held-out pairs for loss, accuracy and margin. */
  eval?: readonly PreferencePair[];
  config?: Partial<DpoConfig>;
  /** Stages `reference` and `train/step-<end>`, metrics and checkpoints; a resumed store continues. */
  store?: RunStore;
  onLog?: (log: DpoLog) => void;
  quiet?: boolean;
}

export interface DpoEval { loss: number; accuracy: number; margin: number; pairs: number }

export interface DpoResult {
  /** Steps run by this call (a resume does not repeat the earlier ones). */
  logs: DpoLog[];
  step: number;
  /** The reference log-probabilities of the training pairs, as used in every step. */
  reference: ReferenceLogps;
  /** At the final step, over at most config.evalPairs held-out pairs; null without an eval set. */
  eval: DpoEval | null;
  /** Pairs whose prompt lost its start to fit maxLen. */
  truncated: number;
}

const mean = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const zeroLogps = (n: number): ReferenceLogps => ({ chosen: new Array<number>(n).fill(0), rejected: new Array<number>(n).fill(0) });

/** The DPO loss of B pairs under the policy, with their reference log-probabilities. */
function batchLoss(policy: Transformer, batch: readonly TokenPair[], refC: number[], refR: number[], padId: number, opts: DpoOptions) {
  const B = batch.length;
  const rows = [...batch.map((p) => ({ prompt: p.prompt, completion: p.chosen })), ...batch.map((p) => ({ prompt: p.prompt, completion: p.rejected }))];
  const lp = sequenceLogprob(tokenLogprobs(policy, rows, 1, padId)); // (2B)
  const pc: Tensor = slice(lp, 0, 0, B), pr: Tensor = slice(lp, 0, B, 2 * B); // (B) each
  const lengths = { chosenLengths: batch.map((p) => p.chosen.length), rejectedLengths: batch.map((p) => p.rejected.length) };
  return { ...dpoLoss(pc, pr, refC, refR, { ...opts, ...lengths }), logpChosen: mean(pc.toArray()), logpRejected: mean(pr.toArray()) };
}

/** Held-out DPO loss, accuracy and mean margin (no graph). */
export function evaluateDpo(policy: Transformer, pairs: readonly TokenPair[], ref: ReferenceLogps, batchSize: number, padId: number, opts: DpoOptions): DpoEval {
  let loss = 0, wins = 0, margin = 0;
  noGrad(() => {
    for (let i = 0; i < pairs.length; i += batchSize) {
      const n = Math.min(batchSize, pairs.length - i);
      const out = batchLoss(policy, pairs.slice(i, i + n), ref.chosen.slice(i, i + n), ref.rejected.slice(i, i + n), padId, opts);
      loss += out.loss.item() * n;
      wins += out.accuracy * n;
      margin += out.margins.reduce((a, b) => a + b, 0);
    }
  });
  const n = pairs.length;
  return n ? { loss: loss / n, accuracy: wins / n, margin: margin / n, pairs: n } : { loss: NaN, accuracy: NaN, margin: NaN, pairs: 0 };
}

export async function trainDpo(o: DpoTrainOptions): Promise<DpoResult> {
  const c = resolveDpoConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  if (o.pairs.length === 0) throw new RangeError('trainDpo: pairs holds no preference pairs');
  const padId = tok.pad ?? tok.eos ?? 0;
  const maxLen = c.maxLen || policy.config.maxSeqLen;
  if (maxLen > policy.config.maxSeqLen) throw new RangeError(`trainDpo: maxLen ${maxLen} exceeds the policy's maxSeqLen ${policy.config.maxSeqLen}`);
  const train = tokenizePairs(o.pairs, tok, maxLen);
  const evalPairs = tokenizePairs((o.eval ?? []).slice(0, c.evalPairs), tok, maxLen).pairs;
  const lossOpts: DpoOptions = dpoLossOptions(c);

  // Before any checkpoint is loaded into the policy, so the default reference is the policy as
  // given; no copy is needed, since the reference is used only here.
  const ref = c.referenceFree
    ? { train: zeroLogps(train.pairs.length), eval: zeroLogps(evalPairs.length) }
    : await referenceLogps(() => o.reference ?? frozenBase(policy), train.pairs, evalPairs, c.refBatchSize, padId, store);

  let last: DpoEval | null = null;
  const res = await runOfflineLoop<DpoMetrics>({
    who: 'trainDpo', label: 'dpo', model: policy, tokenizer: tok, store, config: c, examples: train.pairs.length, quiet: o.quiet,
    batch: (idx) => {
      const out = batchLoss(policy, idx.map((i) => train.pairs[i]!), idx.map((i) => ref.train.chosen[i]!), idx.map((i) => ref.train.rejected[i]!), padId, lossOpts);
      const metrics = {
        accuracy: out.accuracy, rewardChosen: mean(out.chosenRewards), rewardRejected: mean(out.rejectedRewards), margin: mean(out.margins),
        logpChosen: out.logpChosen, logpRejected: out.logpRejected,
      };
      return { loss: out.loss, metrics };
    },
    ...(evalPairs.length ? { evaluate: () => { last = evaluateDpo(policy, evalPairs, ref.eval, c.refBatchSize, padId, lossOpts); return { loss: last.loss, accuracy: last.accuracy, margin: last.margin }; } } : {}),
    show: (l) => ({ loss: l.loss, margin: l.margin, acc: l.accuracy, ...(l.evalAccuracy !== undefined ? { 'eval acc': l.evalAccuracy } : {}) }),
    summary: (l) => ({ step: l.step, loss: l.loss, margin: l.margin, evalAccuracy: l.evalAccuracy }),
    ...(o.onLog ? { onLog: o.onLog } : {}),
  });
  return { logs: res.logs, step: res.step, reference: ref.train, eval: last, truncated: train.truncated };
}
