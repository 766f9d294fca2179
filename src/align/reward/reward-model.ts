// Reward model from pairwise preferences (Ouyang et al. 2022, InstructGPT §3.5; Stiennon et al.
// 2020): a language model with its LM head unused and a scalar head `score` read at each
// sequence's last real token (prompt + completion + EOS, right-padded), trained with the
// Bradley–Terry loss −log σ(r⁺ − r⁻ − m) (losses/bradley-terry.ts). Chosen and rejected go
// through one forward of 2B rows. Dropout stays off, as TRL's RewardTrainer does by default:
// the two rewards of a pair must come from the same function.
//
// The `score` head, when the model has none, starts at zero: every reward is 0, the first loss
// is exactly ln 2, and the model starts indifferent rather than with a random preference. The
// trunk receives gradient from the second step on, once the head is no longer zero.
//
// Normalisation (normalizeRewards) is folded into score.weight and score.bias, so a saved reward
// model needs no side information; the reward job (job.ts) also records the mean and std it
// removed in the model's safetensors metadata (`alignkit.reward_normalization`) for the record.
//
// Training runs through trainInBlocks (trainer/checkpoint.ts), as DPO's does: stages
// `train/step-<end>` with checkpoints `step-<end>`, and `epochs` > 0 sets the steps from the pairs.
import { noGrad } from '../../autograd/index.js';
import { slice } from '../../ops/index.js';
import { AdamW, clipGradNorm, learningRate } from '../../nn/index.js';
import { Tensor } from '../../tensor/index.js';
import { addScalarHead, scalarAtLast, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { ExampleOrder } from '../../data/lm-examples.js';
import { Progress } from '../../io/progress.js';
import type { RunStore } from '../../runs/run-store.js';
import { bradleyTerryLoss } from '../losses/index.js';
import { resolveRewardModelConfig, type RewardModelConfig } from './config.js';
import { completedStep, trainInBlocks } from '../trainer/checkpoint.js';
import { scheduleOf, stepsFor } from '../trainer/optimizer-options.js';
import { encodeCompletion, encodePrompt, fitPrompt, tokenizePairs, type PreferencePair, type TokenPair } from '../trainer/preference-data.js';

export const SCORE_HEAD = 'score';

export interface RewardModelLog {
  step: number;
  loss: number;
  /** Fraction of the batch's pairs with r⁺ > r⁻. */
  accuracy: number;
  /** Batch means of r⁺ and r⁻. */
  rewardChosen: number;
  rewardRejected: number;
  lr: number;
  gradNorm: number;
  evalLoss?: number;
  evalAccuracy?: number;
}

export interface RewardModelOptions {
  /** A language model; a zero `score` head is added when it has none. Trained in place. */
  model: Transformer;
  tokenizer: Tokenizer;
  train: readonly PreferencePair[];
  /** Held-out pairs for pairwise accuracy. */
  eval?: readonly PreferencePair[];
  config?: Partial<RewardModelConfig>;
  /** Stages `train/step-<end>` (trainInBlocks), metrics and checkpoints `step-<end>`; a resumed store continues. */
  store?: RunStore;
  onLog?: (log: RewardModelLog) => void;
  quiet?: boolean;
}

export interface RewardModelResult {
  /** Steps run by this call (a resume does not repeat the earlier ones). */
  logs: RewardModelLog[];
  step: number;
  /** At the final step, over at most config.evalPairs held-out pairs; null without an eval set. */
  evalAccuracy: number | null;
  evalLoss: number | null;
  /** Training pairs whose prompt lost its start to fit maxLen. */
  truncated: number;
}

export interface RewardEval { loss: number; accuracy: number; pairs: number }

/** Adds the zero `score` head unless the model already has one. */
export function ensureScoreHead(model: Transformer): void {
  if (model.params.has(`${SCORE_HEAD}.weight`)) return;
  addScalarHead(model, SCORE_HEAD);
  model.p(`${SCORE_HEAD}.weight`).f32.fill(0);
}

/** Rewards of right-padded sequences, read at each one's last token: (N). */
export function sequenceRewards(model: Transformer, seqs: readonly (readonly number[])[], padId: number): Tensor {
  const N = seqs.length, T = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(N * T).fill(padId);
  seqs.forEach((s, n) => ids.set(s, n * T));
  const hidden = model.hidden(new Tensor(ids, [N, T])); // (N, T, C)
  return scalarAtLast(model, hidden, seqs.map((s) => s.length - 1), SCORE_HEAD); // (N)
}

/** Chosen rows then rejected rows: one forward for both halves of B pairs. */
function pairSequences(batch: readonly TokenPair[]): number[][] {
  return [...batch.map((p) => [...p.prompt, ...p.chosen]), ...batch.map((p) => [...p.prompt, ...p.rejected])];
}

function pairLoss(model: Transformer, batch: readonly TokenPair[], padId: number, margin: number) {
  const B = batch.length;
  const r = sequenceRewards(model, pairSequences(batch), padId); // (2B)
  const rc = slice(r, 0, 0, B), rr = slice(r, 0, B, 2 * B); // (B) each
  const m = batch.some((p) => p.margin !== 0) ? batch.map((p) => margin + p.margin) : margin;
  return { ...bradleyTerryLoss(rc, rr, m), rc, rr };
}

const meanOf = (t: Tensor): number => t.toArray().reduce((a, b) => a + b, 0) / t.size;

/** Held-out Bradley–Terry loss and pairwise accuracy (no graph). */
export function evaluateRewardModel(model: Transformer, pairs: readonly TokenPair[], batchSize: number, padId: number, margin = 0): RewardEval {
  let loss = 0, wins = 0;
  noGrad(() => {
    for (let i = 0; i < pairs.length; i += batchSize) {
      const batch = pairs.slice(i, i + batchSize);
      const out = pairLoss(model, batch, padId, margin);
      loss += out.loss.item() * batch.length;
      wins += out.accuracy * batch.length;
    }
  });
  return pairs.length ? { loss: loss / pairs.length, accuracy: wins / pairs.length, pairs: pairs.length } : { loss: NaN, accuracy: NaN, pairs: 0 };
}

export async function trainRewardModel(o: RewardModelOptions): Promise<RewardModelResult> {
  const c = resolveRewardModelConfig(o.config ?? {});
  const { model, tokenizer: tok, store } = o;
  if (o.train.length === 0) throw new RangeError('trainRewardModel: train holds no preference pairs');
  const padId = tok.pad ?? tok.eos ?? 0;
  const maxLen = c.maxLen || model.config.maxSeqLen;
  if (maxLen > model.config.maxSeqLen) throw new RangeError(`trainRewardModel: maxLen ${maxLen} exceeds the model's maxSeqLen ${model.config.maxSeqLen}`);
  const train = tokenizePairs(o.train, tok, maxLen);
  const evalPairs = tokenizePairs((o.eval ?? []).slice(0, c.evalPairs), tok, maxLen).pairs;
  ensureScoreHead(model);
  const opt = new AdamW(model.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const order = new ExampleOrder(train.pairs.length, c.seed);
  // TRL's num_train_epochs: epochs > 0 sets the steps from the number of training pairs.
  const steps = stepsFor(c, train.pairs.length, c.batchSize);
  const schedule = scheduleOf(c, steps);
  const progress = new Progress({ label: 'reward', total: steps, quiet: o.quiet }, store ? completedStep(store) : 0);
  let last: RewardEval | null = null;
  const res = await trainInBlocks<RewardModelLog>({
    store, steps, saveEvery: c.saveEvery, model, tokenizer: tok, opt, order, progress, onLog: o.onLog, who: 'trainRewardModel',
    trainStep: (step) => {
      const batch = order.next(c.batchSize).map((i) => train.pairs[i]!);
      const out = pairLoss(model, batch, padId, c.margin);
      out.loss.backward();
      const gradNorm = clipGradNorm(model.parameters(), c.gradClip);
      const lr = learningRate(step, schedule);
      opt.update(lr);
      opt.zeroGrad();
      const log: RewardModelLog = {
        step: step + 1, loss: out.loss.item(), accuracy: out.accuracy, rewardChosen: meanOf(out.rc), rewardRejected: meanOf(out.rr), lr, gradNorm,
      };
      if (evalPairs.length && ((c.evalEvery && log.step % c.evalEvery === 0) || log.step === steps)) {
        last = evaluateRewardModel(model, evalPairs, c.batchSize, padId, c.margin);
        log.evalLoss = last.loss;
        log.evalAccuracy = last.accuracy;
      }
      progress.update(log.step, { loss: log.loss, acc: log.accuracy, ...(log.evalAccuracy !== undefined ? { 'eval acc': log.evalAccuracy } : {}) });
      return log;
    },
    summary: (block) => ({ step: block.at(-1)!.step, loss: block.at(-1)!.loss, evalAccuracy: last?.accuracy }),
  });
  // A resume that found every stage done still reports the held-out accuracy of the final weights.
  if (!last && evalPairs.length) last = evaluateRewardModel(model, evalPairs, c.batchSize, padId, c.margin);
  return { logs: res.logs, step: res.step, evalAccuracy: last?.accuracy ?? null, evalLoss: last?.loss ?? null, truncated: train.truncated };
}

export interface ScoreOptions {
  /** Sequences per forward. */
  batchSize?: number;
  /** Longest prompt + completion (0 or absent: the model's maxSeqLen); prompts lose their start as in training. */
  maxLen?: number;
  /**
   * Per row: the prompt is a chat-template render, encoded with its special tokens as the pairs
   * were in training. Completions are sampled text and stay plain (a policy that spells out
   * "<|im_end|>" gets no control token), closed by EOS as chat completions were.
   */
  chatPrompts?: readonly boolean[];
}

/** The reward of each prompt + completion, tokenised as in training (completion + EOS). */
export function scoreTexts(model: Transformer, tok: Tokenizer, prompts: readonly string[], completions: readonly string[], opts: ScoreOptions = {}): number[] {
  if (prompts.length !== completions.length) throw new RangeError(`scoreTexts: ${prompts.length} prompts and ${completions.length} completions, expected one completion per prompt`);
  if (!model.params.has(`${SCORE_HEAD}.weight`)) {
    throw new Error(`scoreTexts: the model has no "${SCORE_HEAD}" head; train one with trainRewardModel or load a reward model directory`);
  }
  const maxLen = opts.maxLen || model.config.maxSeqLen, batchSize = opts.batchSize ?? 16;
  const padId = tok.pad ?? tok.eos ?? 0;
  const seqs = prompts.map((p, i) => {
    const where = `scoreTexts: text ${i}`;
    const completion = encodeCompletion(tok, completions[i]!);
    return [...fitPrompt(encodePrompt(tok, p, where, opts.chatPrompts?.[i] ?? false), completion.length, maxLen, where), ...completion];
  });
  const out: number[] = [];
  noGrad(() => {
    for (let i = 0; i < seqs.length; i += batchSize) out.push(...sequenceRewards(model, seqs.slice(i, i + batchSize), padId).toArray());
  });
  return out;
}

export interface RewardNormalization {
  /** Mean and (population) standard deviation of the raw rewards that were removed. */
  mean: number;
  std: number;
  samples: number;
}

/**
 * Makes the rewards of samples from the reference policy have mean 0 and standard deviation 1
 * (Ziegler et al. 2019 §2; InstructGPT normalises its RM so that labeller demonstrations average
 * 0): r ← (r − μ)/σ, folded into score.weight ← w/σ and score.bias ← (b − μ)/σ, so PPO's KL
 * coefficient means the same whatever scale the reward model happened to learn.
 */
export function normalizeRewards(model: Transformer, tok: Tokenizer, samples: readonly { prompt: string; completion: string; chat?: boolean }[], opts: ScoreOptions = {}): RewardNormalization {
  if (samples.length < 2) throw new RangeError(`normalizeRewards: ${samples.length} samples, expected at least 2 to measure a spread`);
  const r = scoreTexts(model, tok, samples.map((s) => s.prompt), samples.map((s) => s.completion), { chatPrompts: samples.map((s) => s.chat === true), ...opts });
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
  if (!(std > 1e-8)) throw new RangeError(`normalizeRewards: the ${r.length} samples all score ${mean.toPrecision(6)} (std ${std}); the reward model cannot tell them apart, so there is no scale to normalise`);
  const norm = { mean, std, samples: r.length };
  applyRewardNormalization(model, norm);
  return norm;
}

/** Folds (score − mean) / std into the score head, e.g. to replay a normalisation a resumed run recorded. */
export function applyRewardNormalization(model: Transformer, norm: { mean: number; std: number }): void {
  if (!(norm.std > 0)) throw new RangeError(`applyRewardNormalization: std = ${norm.std}, expected a positive number`);
  const w = model.p(`${SCORE_HEAD}.weight`).f32, b = model.p(`${SCORE_HEAD}.bias`).f32;
  for (let i = 0; i < w.length; i++) w[i] = w[i]! / norm.std;
  b[0] = (b[0]! - norm.mean) / norm.std;
}
