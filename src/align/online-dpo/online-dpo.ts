// Online DPO (Guo et al. 2024, "Direct language model alignment from online AI feedback";
// TRL's OnlineDPOTrainer): DPO on pairs the current policy samples, labelled as they are drawn.
// Each step:
//   1. rollout  two completions per prompt from the policy, at the sampling temperature;
//   2. label    the better of each pair by a reward (a reward model, a verifier, both: the higher
//               score, the missing-EOS penalty included, a tie to the first) or by a pairwise judge;
//   3. optimise one DPO step (sigmoid or ipo, on summed log-ratios) against the frozen reference,
//               the log-probabilities at temperature 1 as TRL's loss takes them.
// Steps run in checkpointed blocks through the run store (rollout/blocks.ts); every sample is
// kept with its score and whether it was the chosen one.
import { AdamW, clipGradNorm } from '../../nn/index.js';
import { mul, slice } from '../../ops/index.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { dpoLoss } from '../losses/index.js';
import { sequenceLogprob, tokenLogprobs } from '../trainer/logprobs.js';
import { dropUnscored, rolloutPairs, sampleRollouts, samplingFor, scoreRollouts, teacherForcedLogprobs, type PromptItem, type Rollout, type RolloutScores } from '../rollout/rollout.js';
import { itemsForStep, meanOf, stepSeed } from '../rollout/layout.js';
import { frozenReference, rolloutRecords, stepName } from '../rollout/store.js';
import { runBlocks, type StepOutput } from '../rollout/blocks.js';
import { checkVerdicts, pairWinners, type PairLabeller } from './judge.js';
import { onlineDpoLossOptions, resolveOnlineDpoConfig, type OnlineDpoConfig } from './config.js';

export interface OnlineDpoOptions {
  policy: Transformer;
  /** The frozen reference; default a copy of the policy as it starts. Stored with the run. */
  reference?: Transformer;
  tokenizer: Tokenizer;
  prompts: readonly PromptItem[];
  label: PairLabeller;
  store: RunStore;
  config?: Partial<OnlineDpoConfig>;
  onLog?: (log: OnlineDpoLog) => void;
  quiet?: boolean;
}

export interface OnlineDpoLog {
  step: number;
  /** Mean score of all samples (0 with a judge) and the mean chosen − rejected score. */
  score: number;
  scoreMargin: number;
  loss: number;
  /** Implicit rewards β·(log π − log ref), their margin and the share of pairs it orders right. */
  rewardChosen: number;
  rewardRejected: number;
  margin: number;
  accuracy: number;
  /** Mean sequence log π − log ref of the samples (TRL's objective/kl). */
  kl: number;
  gradNorm: number;
  responseLength: number;
  noEos: number;
  seconds: number;
}

/**
 * Which completion of each pair won (samples 2i and 2i + 1 are prompt i's pair), or null where the
 * reward left a sample unscored or the judge left the pair undecided: both samples are then
 * marked unscored, and dropUnscored leaves the pair out of the step.
 */
async function labelPairs(r: Rollout, label: PairLabeller, penalty: number): Promise<{ verdicts: (0 | 1 | null)[]; scored: RolloutScores }> {
  const P = r.texts.length / 2;
  if (label.kind === 'reward') {
    const scored = await scoreRollouts(r, label.reward, penalty);
    return { verdicts: pairWinners(scored.scores).map((f, i) => (scored.unscored[2 * i] || scored.unscored[2 * i + 1] ? null : f ? 0 : 1)), scored };
  }
  const pairs = Array.from({ length: P }, (_, i): [string, string] => [r.texts[2 * i]!, r.texts[2 * i + 1]!]);
  const verdicts = checkVerdicts(`judge ${label.name}`, await label.judge(Array.from({ length: P }, (_, i) => r.promptTexts[2 * i]!), pairs), P);
  const scores = r.texts.map((_, i) => (verdicts[Math.floor(i / 2)] === i % 2 ? 1 : 0));
  const unscored = r.texts.map((_, i) => verdicts[Math.floor(i / 2)] === null);
  return { verdicts, scored: { scores, rewards: scores, notes: scores.map(() => null), noEos: r.finishReasons.filter((f) => f === 'length').length, unscored } };
}

export async function trainOnlineDpo(o: OnlineDpoOptions): Promise<{ logs: OnlineDpoLog[]; step: number }> {
  const c = resolveOnlineDpoConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  const reference = frozenReference(store, policy, o.reference, tok);
  const opt = new AdamW(policy.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const sampling = samplingFor(c, tok);

  const runStep = async (n: number): Promise<StepOutput<OnlineDpoLog>> => {
    const t0 = performance.now(), seed = stepSeed(c.seed, n);
    const prompts = itemsForStep(o.prompts, n, c.promptsPerStep, c.seed);
    const sampled = sampleRollouts({ policy, reference: null, tokenizer: tok, prompts, n: 2, sampling, seed });
    const labelled = await labelPairs(sampled, o.label, c.missingEosPenalty);
    const firstBetter = labelled.verdicts.filter((v) => v !== null).map((v) => v === 0);
    const { r, scored } = dropUnscored(prompts, sampled, labelled.scored, 2, n);
    const P = firstBetter.length;
    const chosen = firstBetter.map((f, i) => (f ? 2 * i : 2 * i + 1)), rejected = firstBetter.map((f, i) => (f ? 2 * i + 1 : 2 * i));
    const refSum = teacherForcedLogprobs(reference, rolloutPairs(r), 1, c.batchSize).map((row) => row.reduce((s, x) => s + x, 0));
    const chunk = Math.max(1, Math.floor(c.batchSize / 2));
    const m = { loss: 0, rc: 0, rr: 0, acc: 0, kl: 0 };
    for (let s = 0; s < P; s += chunk) {
      const k = Math.min(chunk, P - s), pc = chosen.slice(s, s + k), pr = rejected.slice(s, s + k);
      const lp = sequenceLogprob(tokenLogprobs(policy, rolloutPairs(r, [...pc, ...pr]), 1)); // (2k)
      const out = dpoLoss(slice(lp, 0, 0, k), slice(lp, 0, k, 2 * k), pc.map((i) => refSum[i]!), pr.map((i) => refSum[i]!), onlineDpoLossOptions(c));
      mul(out.loss, k / P).backward(); // this chunk's share of the batch mean
      m.loss += out.loss.item() * k / P; m.acc += out.accuracy * k / P;
      m.rc += out.chosenRewards.reduce((a, b) => a + b, 0) / P; m.rr += out.rejectedRewards.reduce((a, b) => a + b, 0) / P;
      [...pc, ...pr].forEach((i, j) => { m.kl += (lp.data[j]! - refSum[i]!) / (2 * P); });
    }
    const gradNorm = clipGradNorm(policy.parameters(), c.gradClip);
    opt.update(c.lr);
    opt.zeroGrad();
    const log: OnlineDpoLog = {
      step: n, score: meanOf(scored.scores), scoreMargin: meanOf(chosen.map((i, j) => scored.scores[i]! - scored.scores[rejected[j]!]!)), loss: m.loss,
      rewardChosen: m.rc, rewardRejected: m.rr, margin: m.rc - m.rr, accuracy: m.acc, kl: m.kl, gradNorm,
      responseLength: meanOf(r.completions.map((x) => x.length)), noEos: scored.noEos / r.texts.length, seconds: (performance.now() - t0) / 1000,
    };
    const won = new Set(chosen);
    return {
      log,
      records: rolloutRecords(r, scored, { step: n, policy: stepName(n - 1), temperature: c.temperature, topK: c.topK, seed, extra: (i) => ({ pair: Math.floor(i / 2), chosen: won.has(i) }) }),
    };
  };

  return runBlocks<OnlineDpoLog>({
    store, tokenizer: tok, parts: { policy, optimizers: { policy: opt } }, steps: c.steps, saveEvery: c.saveEvery, label: 'online-dpo',
    quiet: o.quiet, onLog: o.onLog, step: runStep, show: (l) => ({ score: l.score, margin: l.margin, kl: l.kl }),
  });
}
