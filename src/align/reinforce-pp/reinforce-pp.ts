// REINFORCE++ (Hu 2025): critic-free, token-level. Each step:
//   1. rollout     k completions per prompt from the policy, scored by the reward function;
//   2. advantages  the per-token KL penalty and the score (less the prompt's mean score with
//                  baseline) summed into rewards-to-go, whitened over the whole batch
//                  (losses/policy-gradient/reinforce-pp.ts);
//   3. optimise    μ passes over minibatches of the PPO clipped surrogate on those per-token
//                  advantages, one mean over all tokens (rollout/clipped-updates.ts; the KL is in
//                  the reward, not in the loss).
// Steps run in checkpointed blocks through the run store (rollout/blocks.ts).
import { AdamW } from '../../nn/index.js';
import { reinforcePpAdvantages } from '../losses/index.js';
import { samplingFor, stepRollout, type OnlineTrainerOptions } from '../rollout/rollout.js';
import { meanOf } from '../rollout/layout.js';
import { frozenReference, rolloutRecords, stepName } from '../rollout/store.js';
import { runBlocks, type StepOutput } from '../rollout/blocks.js';
import { clippedUpdates } from '../rollout/clipped-updates.js';
import { resolveReinforcePpConfig, type ReinforcePpConfig } from './config.js';

export type ReinforcePpOptions = OnlineTrainerOptions<ReinforcePpConfig, ReinforcePpLog>;

export interface ReinforcePpLog {
  step: number;
  /** Mean score (reward function less the missing-EOS penalty). */
  score: number;
  /** Mean sequence KL Σₜ KLₜ of the samples under the chosen estimator. */
  kl: number;
  /** Mean reward-to-go at each completion's first token: score (less baseline) − β·KL. */
  return: number;
  loss: number;
  clipFrac: number;
  entropy: number;
  responseLength: number;
  noEos: number;
  masked: number;
  ratioDeviation: number;
  seconds: number;
}

export async function trainReinforcePp(o: ReinforcePpOptions): Promise<{ logs: ReinforcePpLog[]; step: number }> {
  const c = resolveReinforcePpConfig(o.config ?? {});
  const { policy, tokenizer: tok, store } = o;
  const k = c.samplesPerPrompt;
  const reference = frozenReference(store, policy, o.reference, tok);
  const opt = new AdamW(policy.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const sampling = samplingFor(c, tok);
  const loss = {
    beta: 0, clip: c.clip, lossType: 'bnpo' as const, importanceSamplingLevel: c.importanceSamplingLevel,
    ...(c.clipHigh !== undefined ? { clipHigh: c.clipHigh } : {}), ...(c.delta !== undefined ? { delta: c.delta } : {}),
  };

  const runStep = async (n: number): Promise<StepOutput<ReinforcePpLog>> => {
    const t0 = performance.now();
    const { seed, r, scored } = await stepRollout({ policy, reference, tokenizer: tok, prompts: o.prompts, reward: o.reward, sampling }, c, n, k);
    const adv = reinforcePpAdvantages(scored.scores, r.logprobs, r.refLogprobs, { beta: c.beta, gamma: c.gamma, baseline: c.baseline, groupSize: k, estimator: c.klEstimator });
    const B = r.completions.length;
    const rows = Array.from({ length: B }, (_, i) => i);
    const cut = (i: number) => c.maskTruncatedCompletions && r.finishReasons[i] === 'length';
    const m = clippedUpdates({ policy, opt, r, rows, advantage: (i) => adv.advantages[i]!, masked: cut, c, step: n, loss });
    const seqKl = adv.kl.map((row) => row.reduce((s, x) => s + x, 0));
    const log: ReinforcePpLog = {
      step: n, score: meanOf(scored.scores), kl: meanOf(seqKl), return: meanOf(adv.returns.map((row) => row[0]!)),
      loss: m.loss, clipFrac: m.clipFrac, entropy: m.entropy, responseLength: meanOf(r.completions.map((x) => x.length)),
      noEos: scored.noEos / B, masked: rows.filter(cut).length, ratioDeviation: m.ratioDeviation, seconds: (performance.now() - t0) / 1000,
    };
    return {
      log,
      records: rolloutRecords(r, scored, {
        step: n, policy: stepName(n - 1), temperature: c.temperature, topK: c.topK, seed,
        extra: (i) => ({ group: Math.floor(i / k), kl: seqKl[i]!, return: adv.returns[i]![0]! }),
      }),
    };
  };

  return runBlocks<ReinforcePpLog>({
    store, tokenizer: tok, parts: { policy, optimizers: { policy: opt } }, steps: c.steps, saveEvery: c.saveEvery, label: 'reinforce-pp',
    quiet: o.quiet, onLog: o.onLog, step: runStep, show: (l) => ({ score: l.score, kl: l.kl }),
  });
}
