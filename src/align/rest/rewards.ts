// What ReST scores grown samples with: any RewardFn (reward-fn.ts) — a task's verifier, a
// reference-based metric (chrF, sentence BLEU, 1 − phoneme/token error rate), a learned reward
// model directory, or a weighted sum of these — and how raw scores become the [0, 1] rewards the
// threshold schedule is written in (Gulcehre et al. 2023 filter normalised reward-model scores).
import { HubError, resolveModelPath, type HubOptions } from '../../hub/index.js';
import type { Verifier } from '../../rewards/verifier.js';
import type { Problem } from '../../data/tasks/task.js';
import { sentenceChrf } from '../../rewards/scorers/chrf.js';
import { sentenceBleu } from '../../rewards/scorers/bleu.js';
import { tokenErrorRate } from '../../rewards/scorers/edit-distance.js';
import { unclippedRecall } from '../../rewards/scorers/unclipped-recall.js';
import { checkRewardInputs, verifierReward, weightedReward, type RewardFn, type WeightedPart } from '../trainer/reward-fn.js';
import { loadRewardModel } from '../reward/reward-fn-model.js';

export type MetricName = 'per' | 'chrf' | 'chrf-recall' | 'recall-unclipped' | 'bleu';
export const METRIC_NAMES: readonly MetricName[] = ['per', 'chrf', 'chrf-recall', 'recall-unclipped', 'bleu'];

/** What a metric compares against: the reference (else the answer) and any `meta.alternatives`. */
export function referencesOf(p: Problem): string[] {
  const first = p.reference ?? p.answer;
  const alts = Array.isArray(p.meta?.alternatives) ? (p.meta!.alternatives as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  return [...(first !== undefined ? [first] : []), ...alts];
}

/** The first non-empty line, trimmed: what a one-line answer (a pronunciation, a translation) is scored on. */
export function firstLine(completion: string): string {
  return completion.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

const tokens = (s: string) => s.split(/\s+/).filter(Boolean);

/**
 * One metric in [0, 1] against the best of the references:
 *   per          max(0, 1 − edit distance over whitespace tokens / reference length) — 1 − PER on
 *                ARPAbet phonemes (g2pPerVerifier's number), 1 − WER on words;
 *   chrf         sentence chrF / 100 with sacrebleu's defaults (β = 2, character 6-grams);
 *   chrf-recall  character n-gram recall alone: a deliberately flawed reward, since adding text
 *                never lowers recall (longer outputs game it);
 *   recall-unclipped  min(1, unclipped phoneme recall / 1.25): flawed on purpose — every phoneme of
 *                the answer found in the reference counts, however often it repeats, so the right
 *                answer scores 0.8 and one that adds reference phonemes scores up to 1
 *                (rewards/unclipped-recall.ts, unigrams);
 *   bleu         sentence BLEU / 100 (sacrebleu.sentence_bleu: 13a, 'exp' smoothing).
 */
export function metricScore(name: MetricName, hypothesis: string, references: readonly string[]): number {
  if (references.length === 0) throw new RangeError(`metric ${name}: the problem has no reference or answer to score against`);
  switch (name) {
    case 'per': return Math.max(...references.map((r) => (tokens(r).length ? Math.max(0, 1 - tokenErrorRate(tokens(hypothesis), tokens(r))) : 0)));
    case 'chrf': return sentenceChrf(hypothesis, references).score / 100;
    case 'chrf-recall': return Math.max(...references.map((r) => sentenceChrf(hypothesis, r).recall));
    case 'recall-unclipped': return Math.max(...references.map((r) => Math.min(1, unclippedRecall(hypothesis, r, 1) / 1.25)));
    case 'bleu': return sentenceBleu(hypothesis, references).score / 100;
    default: throw new RangeError(`unknown metric ${JSON.stringify(name)}; known: ${METRIC_NAMES.join(', ')}`);
  }
}

/** A metric as a RewardFn over `problems` (rows find theirs by prompt id), scored on each completion's first line. */
export function metricReward(problems: readonly Problem[], name: MetricName): RewardFn {
  if (!METRIC_NAMES.includes(name)) throw new RangeError(`unknown metric ${JSON.stringify(name)}; known: ${METRIC_NAMES.join(', ')}`);
  const byId = new Map(problems.map((p) => [p.id, p]));
  return async (prompts, completions, meta) => {
    const owner = `metricReward(${name})`;
    checkRewardInputs(owner, prompts, completions, meta);
    return completions.map((c, i) => {
      const p = byId.get(meta.promptIds[i]!);
      if (!p) throw new RangeError(`${owner}: row ${i} has prompt id ${JSON.stringify(meta.promptIds[i])}, which is none of the ${byId.size} problems given`);
      const hyp = firstLine(c), r = metricScore(name, hyp, referencesOf(p));
      if (meta.notes) meta.notes[i] = { metric: name, scored: hyp };
      return r;
    });
  };
}

export interface ParsedReward {
  reward: RewardFn;
  /** The spec, for logs and the run config. */
  name: string;
  /** Every part is already in [0, 1] (a reward model's score is not). */
  bounded: boolean;
}

/**
 * `--reward`: a sum of terms `[weight*]name`, name one of verifier (the task's own), per, chrf,
 * chrf-recall, bleu, rm:<reward model directory>, or judge (the LLM judge of --judge, its score
 * mapped to [0, 1]) — e.g. "per", "0.5*chrf+0.5*per", "verifier+0.1*rm:runs/rm", "judge". One term
 * is used as is; several are weighted and summed.
 */
export function parseRewardSpec(spec: string, problems: readonly Problem[], verifier: Verifier, judge?: RewardFn): ParsedReward {
  const terms = spec.split('+').map((t) => t.trim());
  if (terms.some((t) => t === '')) throw new RangeError(`--reward ${JSON.stringify(spec)}: an empty term; expected e.g. "per" or "0.5*chrf+0.5*per"`);
  let bounded = true;
  const parts: WeightedPart[] = terms.map((t) => {
    const m = /^(?:([-+0-9.eE]+)\s*\*\s*)?(.+)$/.exec(t)!;
    const weight = m[1] === undefined ? 1 : Number(m[1]);
    if (!Number.isFinite(weight)) throw new RangeError(`--reward term ${JSON.stringify(t)}: weight ${m[1]} is not a number`);
    const name = m[2]!.trim();
    let fn: RewardFn;
    if (name === 'verifier') fn = verifierReward(problems, verifier);
    else if (name === 'judge') {
      if (!judge) throw new RangeError(`--reward term ${JSON.stringify(t)}: the judge term needs --judge <url> and --judge-template <file>`);
      fn = judge;
    }
    else if (name.startsWith('rm:')) {
      fn = loadRewardModel(name.slice(3)).reward;
      bounded = false;
    } else if ((METRIC_NAMES as readonly string[]).includes(name)) fn = metricReward(problems, name as MetricName);
    else throw new RangeError(`--reward term ${JSON.stringify(t)}: unknown reward "${name}"; expected verifier, ${METRIC_NAMES.join(', ')}, judge or rm:<dir>`);
    return { name, fn, weight };
  });
  if (parts.some((p) => p.weight < 0 || p.weight > 1) || parts.reduce((s, p) => s + p.weight, 0) > 1 + 1e-9) bounded = false;
  const single = parts.length === 1 && parts[0]!.weight === 1;
  return { reward: single ? parts[0]!.fn : weightedReward(parts), name: spec, bounded };
}

/** `spec` with the reward model of each rm:<Hub id> term fetched, and its id replaced by its directory in the cache. */
export async function resolveRewardModels(spec: string, hub: HubOptions = {}): Promise<string> {
  const out: string[] = [];
  for (const t of spec.split('+')) {
    const m = /^(\s*(?:[-+0-9.eE]+\s*\*\s*)?rm:)(.*?)(\s*)$/.exec(t);
    if (!m) {
      out.push(t);
      continue;
    }
    try {
      out.push(m[1]! + await resolveModelPath(m[2]!, hub) + m[3]!);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      throw new HubError(err.code, `--reward term rm:${m[2]}: no local directory of that name, and from the Hub: ${err.message}`, err.reason);
    }
  }
  return out.join('+');
}

/**
 * How raw scores become ReST's [0, 1] rewards:
 *   clip     clamp to [0, 1] (metrics and verifiers are in range already);
 *   minmax   (r − min)/(max − min) over the scores given together (one Grow step's set), so the
 *            best sample scores 1 and the worst 0 (all equal: 0.5) — for a reward model's unbounded scores;
 *   sigmoid  σ(r), for a reward model trained with the Bradley-Terry loss (its score is a logit).
 */
export type RewardNormalization = 'clip' | 'minmax' | 'sigmoid';

export function normaliseRewards(raw: readonly number[], mode: RewardNormalization): number[] {
  raw.forEach((r, i) => { if (!Number.isFinite(r)) throw new RangeError(`normaliseRewards: reward ${i} is ${r}, expected a finite number`); });
  if (mode === 'clip') return raw.map((r) => Math.min(1, Math.max(0, r)));
  if (mode === 'sigmoid') return raw.map((r) => 1 / (1 + Math.exp(-r)));
  if (mode === 'minmax') {
    const lo = raw.reduce((a, b) => Math.min(a, b), Infinity), hi = raw.reduce((a, b) => Math.max(a, b), -Infinity);
    return raw.map((r) => (hi > lo ? (r - lo) / (hi - lo) : 0.5));
  }
  throw new RangeError(`reward normalisation ${JSON.stringify(mode)}: expected clip, minmax or sigmoid`);
}
