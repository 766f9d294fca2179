// Where the online trainers (PPO, GRPO, RLOO) get their reward from: one signature for every
// source — a task's verifier, a learned reward model (reward-fn-model.ts), a weighted mixture —
// so that a trainer never knows which one it was given. Rewards are per completion (outcome
// rewards); the trainers spread them over tokens themselves.
import type { FinishReason } from '../../model/index.js';
import type { RewardModule } from '../../rewards/reward-module.js';
import type { Verifier } from '../../rewards/verifier.js';
import type { Problem } from '../../data/tasks/task.js';

/** What a reward may need beside the texts; every array has one entry per completion. */
export interface RewardMeta {
  /** Id of each row's prompt: a task problem's id for verifier rewards, so rows find their problem. */
  promptIds: readonly string[];
  /** Each completion's token ids, the stop token included when one ended the sample. */
  completionTokens: readonly (readonly number[])[];
  finishReasons: readonly FinishReason[];
  /**
   * Why each reward is what it is (a verifier's verdict, a mixture's parts), JSON-able. An adapter
   * fills it when the caller passes an array; the trainers keep it beside every stored sample,
   * because reward hacking is found by reading what was rewarded and why (README, the Grow data browser).
   */
  notes?: unknown[];
  /** Per row: the prompt is a chat-template render (a reward model encodes its special tokens as it was trained to). */
  chatPrompts?: readonly boolean[];
  /**
   * Given by a caller that can leave samples out (the online trainers, ReST's Grow): a reward that
   * could not score row i (an LLM judge whose answers never parsed) sets it true and returns NaN
   * there. A reward must not score such a row with a stand-in number; without this array it throws.
   */
  unscored?: boolean[];
}

/** One reward per completion, in the order given; finite numbers. */
export type RewardFn = (prompts: string[], completions: string[], meta: RewardMeta) => Promise<number[]>;

/** Throws unless the rows of a reward call line up. */
export function checkRewardInputs(owner: string, prompts: readonly string[], completions: readonly string[], meta: RewardMeta): void {
  const n = completions.length;
  const lens: [string, number][] = [['prompts', prompts.length], ['meta.promptIds', meta.promptIds.length],
    ['meta.completionTokens', meta.completionTokens.length], ['meta.finishReasons', meta.finishReasons.length]];
  for (const [what, len] of lens) {
    if (len !== n) throw new RangeError(`${owner}: ${what} has ${len} entries, expected one per completion (${n})`);
  }
}

/** Throws unless `rewards` holds `n` finite numbers (NaN allowed only where `unscored` marks the row); returns them. */
export function checkRewards(owner: string, rewards: unknown, n: number, unscored?: readonly boolean[]): number[] {
  if (!Array.isArray(rewards) || rewards.length !== n) {
    throw new RangeError(`${owner}: the reward function returned ${Array.isArray(rewards) ? `${rewards.length} values` : typeof rewards}, expected an array of ${n} numbers`);
  }
  rewards.forEach((r, i) => {
    if (unscored?.[i] === true && Number.isNaN(r)) return;
    if (typeof r !== 'number' || !Number.isFinite(r)) throw new RangeError(`${owner}: reward ${i} is ${String(r)}, expected a finite number`);
  });
  return rewards as number[];
}

/**
 * Reward = the verifier's verdict.reward for the problem whose id is the row's prompt id (1/0
 * for a binary verifier, graded in [0, 1] otherwise). Verifiers may be asynchronous (the
 * sandboxed program task); all rows are verified concurrently.
 */
export function verifierReward(problems: readonly Problem[], verifier: Verifier): RewardFn {
  const byId = new Map(problems.map((p) => [p.id, p]));
  return async (prompts, completions, meta) => {
    const owner = `verifierReward(${verifier.name})`;
    checkRewardInputs(owner, prompts, completions, meta);
    const verdicts = await Promise.all(completions.map((c, i) => {
      const p = byId.get(meta.promptIds[i]!);
      if (!p) throw new RangeError(`${owner}: row ${i} has prompt id ${JSON.stringify(meta.promptIds[i])}, which is none of the ${byId.size} problems given`);
      return verifier.verify(p, c);
    }));
    if (meta.notes) {
      verdicts.forEach((v, i) => { meta.notes![i] = { correct: v.correct, extracted: v.extracted ?? null, detail: v.detail ?? null }; });
    }
    return checkRewards(owner, verdicts.map((v) => v.reward), completions.length);
  };
}

export interface WeightedPart {
  /** Names the part in the notes kept with each sample. */
  name: string;
  fn: RewardFn;
  weight: number;
}

/** Σ weightᵢ·rewardᵢ: e.g. a verifier's correctness plus a small reward-model term for style. */
export function weightedReward(parts: readonly WeightedPart[]): RewardFn {
  if (parts.length === 0) throw new RangeError('weightedReward: no parts given');
  const names = new Set<string>();
  for (const p of parts) {
    if (!Number.isFinite(p.weight)) throw new RangeError(`weightedReward: part "${p.name}" has weight ${p.weight}, expected a finite number`);
    if (names.has(p.name)) throw new RangeError(`weightedReward: two parts are named "${p.name}"`);
    names.add(p.name);
  }
  return async (prompts, completions, meta) => {
    checkRewardInputs('weightedReward', prompts, completions, meta);
    const n = completions.length;
    const total = new Array<number>(n).fill(0);
    const notes = Array.from({ length: n }, () => ({} as Record<string, { reward: number; weight: number; note?: unknown }>));
    for (const p of parts) {
      const own: unknown[] = new Array(n);
      // A row one part could not score is unscored in the sum (NaN carries through).
      const r = checkRewards(`weightedReward part "${p.name}"`, await p.fn(prompts, completions, { ...meta, notes: own }), n, meta.unscored);
      r.forEach((x, i) => {
        total[i]! += p.weight * x;
        notes[i]![p.name] = own[i] === undefined ? { reward: x, weight: p.weight } : { reward: x, weight: p.weight, note: own[i] };
      });
    }
    if (meta.notes) notes.forEach((x, i) => { meta.notes![i] = x; });
    return total;
  };
}

/**
 * A user's reward module (rewards/reward-module.ts) as a RewardFn: each row is scored with the
 * fields of the row its prompt id names (a task problem's answer and tests, a prompt file's other
 * columns), as TRL passes a dataset's columns to its reward functions.
 */
export function moduleReward(mod: RewardModule, fieldsById: ReadonlyMap<string, Readonly<Record<string, unknown>>>): RewardFn {
  return async (prompts, completions, meta) => {
    const owner = `moduleReward(${mod.name})`;
    checkRewardInputs(owner, prompts, completions, meta);
    const r = await Promise.all(completions.map((c, i) => mod.score(prompts[i]!, c, fieldsById.get(meta.promptIds[i]!) ?? {})));
    return checkRewards(owner, r, completions.length);
  };
}
