// Kahneman–Tversky Optimisation (Ethayarajh et al. 2024) on unpaired data: each example is one
// completion labelled desirable or undesirable, with the loss of losses/preference/kto.ts. The KL
// reference point z₀ comes from mismatched pairs, as in the paper and TRL: each example's prompt
// with another example's completion. TRL rotates completions within each batch; here every example
// has a fixed partner (the one before it in a seeded order), so the reference's log-probabilities
// of the mismatched pairs, like those of the real ones, are computed once before training and kept
// in the run (dpo/reference.ts, with the partner's completion in the "rejected" slot).
import { noGrad } from '../../autograd/index.js';
import { Rng, type Tensor } from '../../tensor/index.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { ktoLoss, type KtoOptions } from '../losses/index.js';
import { sequenceLogprob, tokenLogprobs } from '../trainer/logprobs.js';
import { tokenizePairs, type TokenPair, type UnpairedExample } from '../trainer/preference-data.js';
import { runOfflineLoop, type OfflineLog } from '../trainer/offline/offline-loop.js';
import { frozenBase, referenceLogps, type ReferenceLogps } from '../dpo/reference.js';
import { ktoLossOptions, resolveKtoConfig, type KtoConfig } from './config.js';

type KtoMetrics = { kl: number; rewardDesirable: number; rewardUndesirable: number; desirable: number };
export type KtoLog = OfflineLog<KtoMetrics>;

export interface KtoTrainOptions {
  policy: Transformer;
  /** Frozen; by default the policy as it is when training starts. Used only to precompute log-probabilities. */
  reference?: Transformer;
  tokenizer: Tokenizer;
  examples: readonly UnpairedExample[];
  eval?: readonly UnpairedExample[];
  config?: Partial<KtoConfig>;
  store?: RunStore;
  onLog?: (log: KtoLog) => void;
  quiet?: boolean;
}

export interface KtoEval { loss: number; kl: number; rewardMargin: number; examples: number }

/** Each example as a pair: its own completion ("chosen") and its partner's ("rejected"), one before it in a seeded order. */
export function withPartners(examples: readonly UnpairedExample[], seed: number): { prompt: string; chosen: string; rejected: string }[] {
  const n = examples.length;
  if (n < 2) throw new RangeError(`KTO needs at least 2 examples (the KL estimate pairs a prompt with another example's completion), got ${n}`);
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const partner = new Array<number>(n);
  order.forEach((e, k) => { partner[e] = order[(k + n - 1) % n]!; });
  return examples.map((e, i) => ({ prompt: e.prompt, chosen: e.completion, rejected: examples[partner[i]!]!.completion }));
}

function mean(a: readonly number[]): number {
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0;
}

/** The KTO loss of examples `rows`: the policy's log-probabilities with the graph, the mismatched pairs' without. */
function batchLoss(policy: Transformer, pairs: readonly TokenPair[], labels: readonly boolean[], ref: ReferenceLogps, rows: readonly number[], padId: number, opts: KtoOptions) {
  const lp = sequenceLogprob(tokenLogprobs(policy, rows.map((i) => ({ prompt: pairs[i]!.prompt, completion: pairs[i]!.chosen })), 1, padId)); // (B)
  const klPolicy = noGrad(() => sequenceLogprob(tokenLogprobs(policy, rows.map((i) => ({ prompt: pairs[i]!.prompt, completion: pairs[i]!.rejected })), 1, padId)).toArray());
  return ktoLoss(lp as Tensor, rows.map((i) => ref.chosen[i]!), rows.map((i) => labels[i]!), klPolicy, rows.map((i) => ref.rejected[i]!), opts);
}

/** Held-out loss, KL estimate and reward margin (no graph). */
export function evaluateKto(policy: Transformer, pairs: readonly TokenPair[], labels: readonly boolean[], ref: ReferenceLogps, batchSize: number, padId: number, opts: KtoOptions): KtoEval {
  let loss = 0, kl = 0;
  const good: number[] = [], bad: number[] = [];
  noGrad(() => {
    for (let s = 0; s < pairs.length; s += batchSize) {
      const rows = Array.from({ length: Math.min(batchSize, pairs.length - s) }, (_, k) => s + k);
      const out = batchLoss(policy, pairs, labels, ref, rows, padId, opts);
      loss += out.loss.item() * rows.length;
      kl += out.kl * rows.length;
      good.push(...out.desirableRewards);
      bad.push(...out.undesirableRewards);
    }
  });
  const n = pairs.length;
  return { loss: loss / n, kl: kl / n, rewardMargin: mean(good) - mean(bad), examples: n };
}

export async function trainKto(o: KtoTrainOptions): Promise<{ logs: KtoLog[]; step: number; eval: KtoEval | null; truncated: number }> {
  const c = resolveKtoConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  const padId = tok.pad ?? tok.eos ?? 0;
  const maxLen = c.maxLen || policy.config.maxSeqLen;
  if (maxLen > policy.config.maxSeqLen) throw new RangeError(`trainKto: maxLen ${maxLen} exceeds the policy's maxSeqLen ${policy.config.maxSeqLen}`);
  const train = tokenizePairs(withPartners(o.examples, c.seed), tok, maxLen);
  const heldOut = (o.eval ?? []).slice(0, c.evalExamples);
  const evalPairs = heldOut.length >= 2 ? tokenizePairs(withPartners(heldOut, c.seed), tok, maxLen).pairs : [];
  const labels = o.examples.map((e) => e.label), evalLabels = heldOut.map((e) => e.label);
  const opts: KtoOptions = ktoLossOptions(c);
  const ref = await referenceLogps(() => o.reference ?? frozenBase(policy), train.pairs, evalPairs, c.refBatchSize, padId, store);
  let last: KtoEval | null = null;
  const res = await runOfflineLoop<KtoMetrics>({
    who: 'trainKto', label: 'kto', model: policy, tokenizer: tok, store, config: c, examples: train.pairs.length, quiet: o.quiet,
    batch: (idx) => {
      const out = batchLoss(policy, train.pairs, labels, ref.train, idx, padId, opts);
      const metrics = { kl: out.kl, rewardDesirable: mean(out.desirableRewards), rewardUndesirable: mean(out.undesirableRewards), desirable: out.desirableRewards.length / idx.length };
      return { loss: out.loss, metrics };
    },
    ...(evalPairs.length ? { evaluate: () => { last = evaluateKto(policy, evalPairs, evalLabels, ref.eval, c.refBatchSize, padId, opts); return { loss: last.loss, kl: last.kl, rewardMargin: last.rewardMargin }; } } : {}),
    show: (l) => ({ loss: l.loss, kl: l.kl, 'r+': l.rewardDesirable, 'r-': l.rewardUndesirable }),
    summary: (l) => ({ step: l.step, loss: l.loss, kl: l.kl, evalLoss: l.evalLoss }),
    ...(o.onLog ? { onLog: o.onLog } : {}),
  });
  return { logs: res.logs, step: res.step, eval: last, truncated: train.truncated };
}
