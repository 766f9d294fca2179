// ReST's Grow step and what an Improve step reads of it (Gulcehre et al. 2023, Algorithm 1):
// N samples per prompt from the current policy, plus the original data D, all scored and stored
// with one `kept` flag per Improve step; the kept records become token examples, and for the
// losses that weigh by the behaviour policy (bvmpo, oac) its log-probabilities.
import { noGrad } from '../../autograd/index.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import type { Problem, Task } from '../../data/tasks/task.js';
import type { RunStore, SampleRecord, SampleWriter } from '../../runs/run-store.js';
import { completionLogprobs, tokenLogprobs } from '../trainer/logprobs.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { sampleAndVerify, type ScoredSample } from '../trainer/task-eval.js';
import type { Generator } from '../trainer/generator/generator.js';
import { applyThreshold, type FilterItem, type ThresholdSchedule } from './thresholds.js';
import { normaliseRewards } from './rewards.js';
import { rewardSamples } from './eval.js';
import type { ImproveExample } from './improve.js';
import type { RestConfig } from './config.js';

export const improveKey = (i: number): string => `improve${i}`;

export interface GrowResult {
  samples: number; data: number; meanReward: number; meanRawReward: number; exact: number;
  /** Samples (and original data) the reward could not score, left out of the set. */
  unscored: number;
}

export interface GrowInputs {
  tokenizer: Tokenizer;
  task: Task;
  reward: RewardFn;
  config: RestConfig;
  /** The Grow stage's sample writer (RunStore's StageScope.samples). */
  samples: () => SampleWriter;
  /** Where the samples are drawn (default this process); it serves `policy`. */
  generator?: Generator;
}

/** The original data as scored samples: each reference is a completion of its prompt, ending in EOS. */
async function originalSamples(original: readonly Problem[], tok: Tokenizer, task: Task): Promise<ScoredSample[]> {
  return Promise.all(original.map(async (p) => {
    const tokens = tok.encode(p.reference!, { parseSpecial: false });
    if (tok.eos !== null) tokens.push(tok.eos);
    return { problem: p, text: p.reference!, verdict: await task.verifier.verify(p, p.reference!), sample: { promptIndex: -1, tokens, logprobs: [], finishReason: 'stop' as const } };
  }));
}

/** Samples N per Grow prompt from `policy`, adds the original data, scores everything, and commits the records. */
export async function grow(policy: Transformer, policyName: string, g: number, problems: readonly Problem[], original: readonly Problem[], x: GrowInputs): Promise<GrowResult> {
  const { tokenizer: tok, config: c } = x;
  const seed = c.seed + 1000 * g;
  const scored = await sampleAndVerify(policy, tok, problems, x.task.verifier, c.samplesPerPrompt, {
    maxNewTokens: c.maxNewTokens, temperature: c.temperature, topK: c.topK, seed, batchSize: c.batchSize, ...(x.generator ? { generator: x.generator } : {}),
  });
  const data = await originalSamples(original, tok, x.task);
  // A sample the reward could not score (an LLM judge's failure, recorded in the run's
  // judge-failures.jsonl) is left out of the Grow set: never stored, filtered or trained on.
  const judged = await rewardSamples(x.reward, [...scored, ...data]);
  const keep = (_: unknown, j: number) => !judged.unscored[j];
  const all = [...scored, ...data].filter(keep), raw = judged.rewards.filter(keep), notes = judged.notes.filter(keep);
  const grown = scored.filter((_, j) => !judged.unscored[j]).length;
  const rewards = normaliseRewards(raw, c.normalize);
  const records: SampleRecord[] = all.map((s, j) => {
    const fromData = j >= grown;
    return {
      promptId: s.problem.id, prompt: s.problem.prompt, sample: s.text, reward: rewards[j]!, rawReward: raw[j]!,
      verifier: { correct: s.verdict.correct, extracted: s.verdict.extracted ?? null, detail: s.verdict.detail ?? null, reward: notes[j] ?? null },
      policy: fromData ? 'data' : policyName, source: fromData ? 'data' : 'policy',
      sampling: fromData ? { temperature: 0 } : { temperature: c.temperature, ...(c.topK > 0 ? { topK: c.topK } : {}), seed },
      kept: {}, finishReason: s.sample.finishReason, logprob: s.sample.logprobs.reduce((a, b) => a + b, 0),
    };
  });
  const w = x.samples();
  w.write(records);
  w.commit();
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  return {
    samples: grown, data: all.length - grown, meanReward: mean(rewards.slice(0, grown)), meanRawReward: mean(raw.slice(0, grown)),
    exact: mean(all.slice(0, grown).map((s) => (s.verdict.correct ? 1 : 0))), unscored: judged.unscored.filter(Boolean).length,
  };
}

/**
 * Marks `kept.improve<i>` on every record of the Grow stage's file. Recomputed from the stored
 * rewards alone, so applying it again after a crash writes the same file (RunStore.updateSamples).
 */
export function markKept(store: RunStore, gStage: string, schedule: ThresholdSchedule, i: number): { samples: number; keptPolicy: number; keptData: number } {
  let out = { samples: 0, keptPolicy: 0, keptData: 0 };
  store.updateSamples(gStage, (records) => {
    const items: FilterItem[] = records.map((r) => ({ promptId: r.promptId, reward: r.reward, source: r['source'] === 'data' ? 'data' : 'policy' }));
    const res = applyThreshold(items, schedule, i - 1);
    records.forEach((r, j) => {
      const kept = typeof r.kept === 'object' ? r.kept : {};
      r.kept = { ...kept, [improveKey(i)]: res.kept[j]! };
      const thresholds = (typeof r['threshold'] === 'object' && r['threshold'] !== null ? r['threshold'] : {}) as Record<string, number>;
      r['threshold'] = { ...thresholds, [improveKey(i)]: res.thresholds.get(r.promptId) ?? null };
    });
    out = { samples: items.filter((x) => x.source === 'policy').length, keptPolicy: res.keptPolicy, keptData: res.keptData };
    return records;
  });
  return out;
}

/** Kept records as token examples: the completion ends with EOS (as SFT's), cut to fit the context. */
export function toExamples(kept: readonly SampleRecord[], tok: Tokenizer, maxSeqLen: number): ImproveExample[] {
  const out: ImproveExample[] = [];
  for (const r of kept) {
    const prompt = tok.encode(r.prompt, { parseSpecial: false });
    const completion = tok.encode(r.sample, { parseSpecial: false });
    if (tok.eos !== null) completion.push(tok.eos);
    const room = maxSeqLen - prompt.length;
    if (room < 1) continue;
    out.push({ prompt, completion: completion.slice(0, room), reward: r.reward });
  }
  return out;
}

/** log π_b(yₜ) at temperature 1 under the policy that grew the data (bvmpo's trust region, oac's ratios). */
export function addBehaviour(examples: ImproveExample[], behaviour: Transformer, tok: Tokenizer, batchSize: number): void {
  noGrad(() => {
    for (let s = 0; s < examples.length; s += batchSize) {
      const chunk = examples.slice(s, s + batchSize);
      const rows = completionLogprobs(tokenLogprobs(behaviour, chunk, 1, tok.pad ?? tok.eos ?? 0));
      chunk.forEach((e, j) => { e.behaviour = rows[j]!; });
    }
  });
}
