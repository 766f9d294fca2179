// SER's data (Huang et al. 2024): labelled pairs split into a seed set that keeps its labels and
// an unlabelled pool whose labels are hidden; a reward model scores the pool, orients its pairs
// and is measured on labelled ones. Pure helpers of runSer (ser.ts) and the SER demo (recipes/).
import { mulberry32 } from '../../data/prng.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { defaultRewardModelConfig } from '../reward/config.js';
import { scoreTexts } from '../reward/reward-model.js';
import type { PreferencePair } from '../trainer/preference-data.js';

/** An unlabelled pair: two responses in no particular order, with the true preference hidden from training. */
export interface SerPoolPair {
  prompt: string;
  a: string;
  b: string;
  /** The true label, used only to measure pseudo-label precision and pool accuracy. */
  preferred?: 'a' | 'b';
}

/** With rmEpochs > 0, the RM steps for `pairs` pairs: ceil(rmEpochs · pairs / batch), at least 10. */
export function rmSteps(c: { rm: { batchSize?: number; steps?: number }; rmEpochs: number }, pairs: number): { steps?: number } {
  if (!(c.rmEpochs > 0)) return {};
  return { steps: Math.max(10, Math.ceil(c.rmEpochs * pairs / (c.rm.batchSize ?? defaultRewardModelConfig.batchSize))) };
}

/**
 * Splits labelled pairs into a seed fraction that keeps its labels and a pool whose labels are
 * hidden: each pool pair's two responses are put in a seeded random order (so the order leaks
 * nothing) and the truth kept in `preferred`.
 */
export function serSplit(pairs: readonly PreferencePair[], seedFraction: number, seed = 0): { labelled: PreferencePair[]; unlabelled: SerPoolPair[] } {
  if (!(seedFraction > 0 && seedFraction <= 1)) throw new RangeError(`serSplit: seedFraction ${seedFraction}, expected a number in (0, 1]`);
  const r = mulberry32(seed);
  const order = pairs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nSeed = Math.max(1, Math.round(pairs.length * seedFraction));
  const labelled = order.slice(0, nSeed).map((i) => pairs[i]!);
  const unlabelled = order.slice(nSeed).map((i): SerPoolPair => {
    const p = pairs[i]!;
    return r() < 0.5 ? { prompt: p.prompt, a: p.chosen, b: p.rejected, preferred: 'a' } : { prompt: p.prompt, a: p.rejected, b: p.chosen, preferred: 'b' };
  });
  return { labelled, unlabelled };
}

/** Scores a and b of each pool pair. */
export function scorePool(rm: Transformer, tok: Tokenizer, pool: readonly SerPoolPair[], batchSize = 32): { sa: number[]; sb: number[] } {
  if (pool.length === 0) return { sa: [], sb: [] };
  const r = scoreTexts(rm, tok, pool.flatMap((p) => [p.prompt, p.prompt]), pool.flatMap((p) => [p.a, p.b]), { batchSize });
  return { sa: pool.map((_, i) => r[2 * i]!), sb: pool.map((_, i) => r[2 * i + 1]!) };
}

/** Share of labelled pairs the RM scores chosen strictly above rejected. */
export function rmAccuracy(rm: Transformer, tok: Tokenizer, pairs: readonly PreferencePair[], batchSize = 32): number {
  if (pairs.length === 0) return NaN;
  const r = scoreTexts(rm, tok, pairs.flatMap((p) => [p.prompt, p.prompt]), pairs.flatMap((p) => [p.chosen, p.rejected]), { batchSize });
  return pairs.filter((_, i) => r[2 * i]! > r[2 * i + 1]!).length / pairs.length;
}

/** A pool pair as a preference pair with `side` chosen. */
export const asPair = (p: SerPoolPair, side: 'a' | 'b'): PreferencePair =>
  side === 'a' ? { prompt: p.prompt, chosen: p.a, rejected: p.b } : { prompt: p.prompt, chosen: p.b, rejected: p.a };

/** Pool pairs oriented by a reward model (chosen = higher-scored); exact ties are dropped. */
export function labelWithRm(rm: Transformer, tok: Tokenizer, pool: readonly SerPoolPair[], batchSize = 32): PreferencePair[] {
  const { sa, sb } = scorePool(rm, tok, pool, batchSize);
  return pool.flatMap((p, i) => (sa[i] === sb[i] ? [] : [asPair(p, sa[i]! > sb[i]! ? 'a' : 'b')]));
}

/** A score or accuracy for a log line: three decimals, or a dash when there is none. */
export const fmt = (x: number | null): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(3));
