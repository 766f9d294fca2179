// Training without a reference model on preference pairs (ORPO, CPO, SimPO): one forward of a
// batch (chosen rows, then rejected rows) gives each completion's summed and token-mean
// log-probability and the chosen side's negative log-likelihood — over the completions (CPO), or
// over prompt and completion as TRL's ORPO takes it; a trainer's loss reads them, and the offline
// loop (offline-loop.ts) does the rest.
import { noGrad } from '../../../autograd/index.js';
import { div, mul, neg, slice, sum } from '../../../ops/index.js';
import { Tensor } from '../../../tensor/index.js';
import type { Transformer } from '../../../model/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';
import type { RunStore } from '../../../runs/run-store.js';
import type { PairLossOutput } from '../../losses/index.js';
import { tokenLogprobs } from '../logprobs.js';
import { runOfflineLoop, type OfflineLog, type OfflineLoopConfig } from './offline-loop.js';
import { tokenizePairs, type PreferencePair, type TokenPair } from '../preference-data.js';

export interface PairLogps {
  /** Σ log π over each completion's tokens, (B) per side. */
  chosen: Tensor;
  rejected: Tensor;
  /** The same divided by the completion's token count. */
  chosenMean: Tensor;
  rejectedMean: Tensor;
  /** Token-mean NLL of the chosen rows over `nllOver`, or null. */
  nll: Tensor | null;
}

export function pairLogps(model: Transformer, batch: readonly TokenPair[], padId: number, nllOver: 'completion' | 'sequence' | null): PairLogps {
  const B = batch.length;
  const rows = [...batch.map((p) => ({ prompt: p.prompt, completion: p.chosen })), ...batch.map((p) => ({ prompt: p.prompt, completion: p.rejected }))];
  const t = tokenLogprobs(model, rows, 1, padId, nllOver === 'sequence');
  const mask = new Tensor(t.mask, [t.B, t.T]);
  const sums = sum(mul(t.logp, mask), 1); // (2B)
  const lengths = new Tensor(Float32Array.from(t.length, (n) => Math.max(n, 1)), [2 * B]);
  const means = div(sums, lengths); // (2B)
  let nll: Tensor | null = null;
  if (nllOver === 'completion') {
    nll = div(neg(sum(slice(sums, 0, 0, B))), t.length.slice(0, B).reduce((a, n) => a + n, 0));
  } else if (nllOver === 'sequence') {
    // Every scored position of the chosen rows: prompt tokens from the second, then the completion.
    const scored = batch.reduce((a, p) => a + p.prompt.length - 1 + p.chosen.length, 0);
    nll = div(neg(sum(slice(t.logp, 0, 0, B))), scored);
  }
  return { chosen: slice(sums, 0, 0, B), rejected: slice(sums, 0, B, 2 * B), chosenMean: slice(means, 0, 0, B), rejectedMean: slice(means, 0, B, 2 * B), nll };
}


type PairMetrics = { accuracy: number; rewardChosen: number; rewardRejected: number; margin: number; nll: number };
export type PairLog = OfflineLog<PairMetrics>;

export interface PairEval { loss: number; accuracy: number; margin: number; pairs: number }

export interface ReferenceFreeTraining {
  /** 'orpo', 'cpo', 'simpo': the progress label and error prefix. */
  name: string;
  policy: Transformer;
  tokenizer: Tokenizer;
  pairs: readonly PreferencePair[];
  eval?: readonly PreferencePair[] | undefined;
  config: OfflineLoopConfig & { maxLen: number; evalPairs: number };
  nllOver: 'completion' | 'sequence' | null;
  loss(lp: PairLogps): PairLossOutput;
  store?: RunStore | undefined;
  onLog?: ((log: PairLog) => void) | undefined;
  quiet?: boolean | undefined;
}

const mean = (a: readonly number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);

function batchLoss(t: ReferenceFreeTraining, batch: readonly TokenPair[], padId: number) {
  const lp = pairLogps(t.policy, batch, padId, t.nllOver);
  const out = t.loss(lp);
  const margin = mean(out.chosenRewards.map((c, i) => c - out.rejectedRewards[i]!));
  return { out, metrics: { accuracy: out.accuracy, rewardChosen: mean(out.chosenRewards), rewardRejected: mean(out.rejectedRewards), margin, nll: lp.nll?.item() ?? 0 } };
}

export async function trainReferenceFree(t: ReferenceFreeTraining): Promise<{ logs: PairLog[]; step: number; eval: PairEval | null; truncated: number }> {
  const c = t.config, tok = t.tokenizer;
  if (t.pairs.length === 0) throw new RangeError(`${t.name}: pairs holds no preference pairs`);
  const padId = tok.pad ?? tok.eos ?? 0;
  const maxLen = c.maxLen || t.policy.config.maxSeqLen;
  if (maxLen > t.policy.config.maxSeqLen) throw new RangeError(`${t.name}: maxLen ${maxLen} exceeds the policy's maxSeqLen ${t.policy.config.maxSeqLen}`);
  const train = tokenizePairs(t.pairs, tok, maxLen);
  const evalPairs = tokenizePairs((t.eval ?? []).slice(0, c.evalPairs), tok, maxLen).pairs;
  let last: PairEval | null = null;
  const evaluate = (): Record<string, number> => {
    let loss = 0, wins = 0, margin = 0;
    noGrad(() => {
      for (let s = 0; s < evalPairs.length; s += c.batchSize) {
        const b = evalPairs.slice(s, s + c.batchSize), { out, metrics } = batchLoss(t, b, padId);
        loss += out.loss.item() * b.length; wins += out.accuracy * b.length; margin += metrics.margin * b.length;
      }
    });
    const n = evalPairs.length;
    last = { loss: loss / n, accuracy: wins / n, margin: margin / n, pairs: n };
    return { loss: last.loss, accuracy: last.accuracy, margin: last.margin };
  };
  const res = await runOfflineLoop<PairMetrics>({
    who: t.name, label: t.name, model: t.policy, tokenizer: tok, store: t.store, config: c, examples: train.pairs.length, quiet: t.quiet,
    batch: (idx) => { const { out, metrics } = batchLoss(t, idx.map((i) => train.pairs[i]!), padId); return { loss: out.loss, metrics }; },
    ...(evalPairs.length ? { evaluate } : {}),
    show: (l) => ({ loss: l.loss, margin: l.margin, acc: l.accuracy, ...(l.evalAccuracy !== undefined ? { 'eval acc': l.evalAccuracy } : {}) }),
    summary: (l) => ({ step: l.step, loss: l.loss, margin: l.margin, evalAccuracy: l.evalAccuracy }),
    ...(t.onLog ? { onLog: t.onLog } : {}),
  });
  return { logs: res.logs, step: res.step, eval: last, truncated: train.truncated };
}
