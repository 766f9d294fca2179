// A rollout: what the online trainers (PPO, GRPO, RLOO) learn from in one step. The policy
// samples n completions per prompt; each keeps its tokens and the log-probabilities `generate`
// reported for them, which are log softmax(logits / temperature) before top-k: the same numbers
// tokenLogprobs recomputes by teacher forcing at that temperature, so they serve directly as
// π_old in the ratio (rollout.test.ts checks the two agree). The frozen reference scores the
// same tokens (no graph), a value head adds V(sₜ) per token when the trainer has a critic, and
// the reward function scores the decoded texts, less a penalty for samples that never stopped.
import { noGrad } from '../../autograd/index.js';
import { generate, type FinishReason, type Sample, type Transformer } from '../../model/index.js';
import type { Generator } from '../trainer/generator/generator.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { RunStore } from '../../runs/run-store.js';
import { completionLogprobs, tokenLogprobs, type PromptCompletion } from '../trainer/logprobs.js';
import { checkRewards, type RewardFn } from '../trainer/reward-fn.js';
import type { OnlineConfig } from './config.js';
import { itemsForStep, rolloutValues, stepSeed } from './layout.js';

/**
 * One prompt of an RL prompt set: a stable id (a task problem's) and the text the policy
 * continues; `chat` when the text is a chat-template render, encoded with the template's special
 * tokens (plain prompts keep theirs as text).
 */
export interface PromptItem { id: string; text: string; chat?: boolean }

export interface SamplingConfig {
  /** Softmax temperature of sampling and of every log-probability the loss uses; > 0. */
  temperature: number;
  /** Only the k most likely tokens may be drawn (0: all). The log-probabilities stay untruncated. */
  topK: number;
  maxNewTokens: number;
  /** Tokens that end a sample (the tokenizer's EOS). */
  stopTokens: readonly number[];
  /** Sequences per forward pass when sampling and scoring; bounds memory, not results. */
  batchSize: number;
}

/** A trainer's sampling settings; samples end at the tokenizer's EOS. */
export function samplingFor(c: OnlineConfig, tok: Tokenizer): SamplingConfig {
  return { temperature: c.temperature, topK: c.topK, maxNewTokens: c.maxNewTokens, stopTokens: tok.eos !== null ? [tok.eos] : [], batchSize: c.batchSize };
}

/** A critic: a model and the name of its per-token scalar head. */
export interface ValueSource { model: Transformer; head: string }

/** One step's samples, prompt-major (sample j of prompt i at i·n + j); every array has one entry per sample. */
export interface Rollout {
  promptIds: string[];
  promptTexts: string[];
  /** Per sample: its prompt is a chat render (PromptItem.chat). */
  chatPrompts: boolean[];
  prompts: number[][];
  completions: number[][];
  /** The completions decoded without specials: what the reward function read. */
  texts: string[];
  finishReasons: FinishReason[];
  /** log π_old per completion token, from sampling. */
  logprobs: number[][];
  /** log π_ref per completion token; empty when sampled without a reference. */
  refLogprobs: number[][];
  /** V(sₜ) per completion token, when a critic was given. */
  values: number[][] | null;
}

export interface RolloutOptions {
  policy: Transformer;
  /** The frozen reference, or null when the trainer has no use for it (GRPO with β = 0): no refLogprobs then. */
  reference: Transformer | null;
  tokenizer: Tokenizer;
  prompts: readonly PromptItem[];
  /** Samples per prompt: 1 for PPO, the group size for GRPO and RLOO. */
  n: number;
  sampling: SamplingConfig;
  seed: number;
  value?: ValueSource | null;
}

/** The pairs of a rollout (or of some of its samples) as tokenLogprobs takes them. */
export function rolloutPairs(r: Rollout, rows: readonly number[] = r.completions.map((_, i) => i)): PromptCompletion[] {
  return rows.map((i) => ({ prompt: r.prompts[i]!, completion: r.completions[i]! }));
}

function encodePrompts(o: RolloutOptions): number[][] {
  const { policy, tokenizer: tok, sampling: s } = o;
  if (!(s.temperature > 0)) throw new RangeError(`sampleRollouts: temperature is ${s.temperature}; RL samples from the policy, expected > 0`);
  return o.prompts.map((p, i) => {
    const t = tok.encode(p.text, { parseSpecial: p.chat === true });
    if (t.length === 0) throw new RangeError(`sampleRollouts: prompt ${JSON.stringify(p.id)} encodes to no tokens`);
    if (t.length >= policy.config.maxSeqLen) {
      throw new RangeError(`sampleRollouts: prompt ${JSON.stringify(p.id)} (index ${i}) has ${t.length} tokens, leaving no room for a completion within maxSeqLen ${policy.config.maxSeqLen}`);
    }
    return t;
  });
}

/** The rollout of `samples` (generate's, prompt-major) of the encoded prompts `ids`: reference log-probabilities and values added. */
function assemble(o: RolloutOptions, ids: readonly number[][], samples: readonly Sample[]): Rollout {
  const { tokenizer: tok, sampling: s } = o;
  const r: Rollout = {
    promptIds: samples.map((x) => o.prompts[x.promptIndex]!.id),
    promptTexts: samples.map((x) => o.prompts[x.promptIndex]!.text),
    chatPrompts: samples.map((x) => o.prompts[x.promptIndex]!.chat === true),
    prompts: samples.map((x) => ids[x.promptIndex]!),
    completions: samples.map((x) => x.tokens),
    texts: samples.map((x) => tok.decode(x.tokens, { skipSpecial: true })),
    finishReasons: samples.map((x) => x.finishReason),
    logprobs: samples.map((x) => x.logprobs),
    refLogprobs: [],
    values: null,
  };
  if (o.reference) r.refLogprobs = teacherForcedLogprobs(o.reference, rolloutPairs(r), s.temperature, s.batchSize);
  if (o.value) r.values = rolloutValues(o.value.model, o.value.head, rolloutPairs(r), s.batchSize);
  return r;
}

export function sampleRollouts(o: RolloutOptions): Rollout {
  const s = o.sampling, ids = encodePrompts(o);
  return assemble(o, ids, generate(o.policy, ids, {
    maxNewTokens: s.maxNewTokens, temperature: s.temperature, topK: s.topK, n: o.n, stopTokens: s.stopTokens, seed: o.seed, batchSize: s.batchSize,
  }));
}

/**
 * sampleRollouts with the samples drawn by `generator` (remote: the servers' last pushed policy;
 * the log-probabilities recomputed on o.policy, so π_old is the policy being trained).
 */
export async function drawRollouts(o: RolloutOptions, generator: Generator): Promise<Rollout> {
  const s = o.sampling, ids = encodePrompts(o);
  return assemble(o, ids, await generator.sample(o.policy, o.tokenizer, ids, o.n, { ...s, stopTokens: s.stopTokens, seed: o.seed }));
}

/** Per-token log-probabilities of given completions by the same computation the losses differentiate, without a graph. */
export function teacherForcedLogprobs(model: Transformer, pairs: readonly PromptCompletion[], temperature: number, batchSize: number): number[][] {
  const out: number[][] = [];
  noGrad(() => {
    for (let s = 0; s < pairs.length; s += batchSize) out.push(...completionLogprobs(tokenLogprobs(model, pairs.slice(s, s + batchSize), temperature)));
  });
  return out;
}

export interface RolloutScores {
  /** What the trainer optimises: the reward, less missingEosPenalty for a sample cut at the length limit. */
  scores: number[];
  /** The reward function's own values. */
  rewards: number[];
  /** Per-sample notes the reward function gave (a verifier's verdict), or null. */
  notes: unknown[];
  /** Samples that never emitted a stop token. */
  noEos: number;
  /** Per sample: the reward could not score it (an LLM judge's failure); its score is NaN. */
  unscored: boolean[];
}

/**
 * Scores a rollout. A sample that hit maxNewTokens without EOS is usually cut mid-answer; paying it
 * the full reward teaches rambling, so it loses `missingEosPenalty` (TRL's missing_eos_penalty).
 */
export async function scoreRollouts(r: Rollout, reward: RewardFn, missingEosPenalty: number): Promise<RolloutScores> {
  const n = r.texts.length;
  const notes: unknown[] = new Array(n);
  const unscored = new Array<boolean>(n).fill(false);
  const rewards = checkRewards('scoreRollouts', await reward(r.promptTexts.slice(), r.texts.slice(), {
    promptIds: r.promptIds, completionTokens: r.completions, finishReasons: r.finishReasons, notes, chatPrompts: r.chatPrompts, unscored,
  }), n, unscored);
  let noEos = 0;
  const scores = rewards.map((x, i) => {
    if (r.finishReasons[i] !== 'length') return x;
    noEos++;
    return x - missingEosPenalty;
  });
  return { scores, rewards, notes: Array.from(notes, (x) => x ?? null), noEos, unscored };
}

/**
 * The rollout without the prompts any of whose `perPrompt` samples went unscored: a group's
 * baseline (GRPO's mean and std, RLOO's leave-one-out mean) needs every member's score, so the
 * whole group is left out of the step, and PPO (one sample a prompt) loses just that sample.
 * Throws when nothing is left: a step cannot learn from no samples.
 */
export function dropUnscored(prompts: PromptItem[], r: Rollout, s: RolloutScores, perPrompt: number, step: number): { prompts: PromptItem[]; r: Rollout; scored: RolloutScores } {
  if (!s.unscored.some(Boolean)) return { prompts, r, scored: s };
  const keep = prompts.map((_, p) => !s.unscored.slice(p * perPrompt, (p + 1) * perPrompt).some(Boolean));
  if (!keep.some(Boolean)) throw new Error(`step ${step}: the reward could not score a single prompt's samples (every prompt had an unscored sample; an LLM judge records them in judge-failures.jsonl)`);
  const rows = r.completions.map((_, i) => i).filter((i) => keep[Math.floor(i / perPrompt)]);
  const pick = <T>(xs: readonly T[]): T[] => rows.map((i) => xs[i]!);
  const rr: Rollout = {
    promptIds: pick(r.promptIds), promptTexts: pick(r.promptTexts), chatPrompts: pick(r.chatPrompts), prompts: pick(r.prompts), completions: pick(r.completions),
    texts: pick(r.texts), finishReasons: pick(r.finishReasons), logprobs: pick(r.logprobs), refLogprobs: r.refLogprobs.length ? pick(r.refLogprobs) : [],
    values: r.values ? pick(r.values) : null,
  };
  const scored: RolloutScores = {
    scores: pick(s.scores), rewards: pick(s.rewards), notes: pick(s.notes), noEos: rows.filter((i) => r.finishReasons[i] === 'length').length, unscored: pick(s.unscored),
  };
  return { prompts: prompts.filter((_, p) => keep[p]), r: rr, scored };
}

/** What an online trainer's step samples from: the run's prompts, policy, reference, reward and sampling. */
export interface StepRolloutSource {
  policy: Transformer;
  reference: Transformer | null;
  tokenizer: Tokenizer;
  prompts: readonly PromptItem[];
  reward: RewardFn;
  sampling: SamplingConfig;
  value?: ValueSource;
  /** Where the samples come from (default this process), and every how many updates the policy is pushed to it. */
  generator?: Generator;
  syncEvery?: number;
}

/** The generator fields of a StepRolloutSource from a trainer's options (none: sample here). */
export function generatorOf(o: { generator?: Generator | undefined; generatorSyncEvery?: number | undefined }): Pick<StepRolloutSource, 'generator' | 'syncEvery'> {
  return o.generator ? { generator: o.generator, syncEvery: o.generatorSyncEvery ?? 1 } : {};
}

/**
 * The policy pushed to the generator when `syncEvery` updates have passed since the last push
 * (step n samples after n − 1 updates), or when this process has pushed nothing yet (a resume).
 */
async function syncGenerator(src: StepRolloutSource, step: number): Promise<void> {
  const every = src.syncEvery ?? 1, updates = step - 1;
  await src.generator!.push(src.policy, src.tokenizer, `updates-${updates - (updates % every)}`);
}

/**
 * Step `step` of an online trainer: its `promptsPerStep` prompts (itemsForStep), `perPrompt`
 * samples of each drawn with the step's seed, and their scores. A pure function of the run's
 * seed and the step, so a resumed run redraws the same rollout.
 */
export async function stepRollout(src: StepRolloutSource, c: Pick<OnlineConfig, 'seed' | 'promptsPerStep' | 'missingEosPenalty'>, step: number, perPrompt: number):
  Promise<{ seed: number; prompts: PromptItem[]; r: Rollout; scored: RolloutScores }> {
  const seed = stepSeed(c.seed, step);
  const prompts = itemsForStep(src.prompts, step, c.promptsPerStep, c.seed);
  const ro: RolloutOptions = {
    policy: src.policy, reference: src.reference, tokenizer: src.tokenizer, prompts, n: perPrompt, sampling: src.sampling, seed,
    ...(src.value ? { value: src.value } : {}),
  };
  if (src.generator) await syncGenerator(src, step);
  const r = src.generator ? await drawRollouts(ro, src.generator) : sampleRollouts(ro);
  return { seed, ...dropUnscored(prompts, r, await scoreRollouts(r, src.reward, c.missingEosPenalty), perPrompt, step) };
}

/**
 * What a reward-driven online trainer (GRPO, RLOO, REINFORCE++) is given: the policy, its frozen
 * reference, prompts, a reward function and the run store, with its own config and step log.
 */
export interface OnlineTrainerOptions<Config, Log> {
  policy: Transformer;
  /** The frozen reference; default a copy of the policy as it starts. Stored with the run. */
  reference?: Transformer;
  tokenizer: Tokenizer;
  prompts: readonly PromptItem[];
  reward: RewardFn;
  store: RunStore;
  config?: Partial<Config>;
  /** Called after every step; a throw here stops the run like a crash. */
  onLog?: (log: Log) => void;
  quiet?: boolean;
  /** Where rollouts are sampled (default this process; see StepRolloutSource). */
  generator?: Generator;
  generatorSyncEvery?: number;
}
