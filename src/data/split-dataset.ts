// Train/eval split by a seeded shuffle: the same file and seed give the same eval set on every
// machine, so eval curves from different runs compare like with like.
import { seededShuffle } from './prng.js';

export interface SplitOptions {
  /** Share of records held out for evaluation, in [0, 1). */
  evalFraction: number;
  /** Seed of the shuffle that picks the eval records. */
  seed: number;
}

export interface Split<T> { train: T[]; eval: T[] }

/**
 * Holds out round(n · evalFraction) records picked by a seeded shuffle; both halves keep the
 * file's order, so a record is easy to find again. A non-zero fraction of a set with at least two
 * records keeps at least one record on each side.
 */
export function splitDataset<T>(records: readonly T[], opts: SplitOptions): Split<T> {
  const { evalFraction, seed } = opts;
  if (!(evalFraction >= 0 && evalFraction < 1)) {
    throw new RangeError(`splitDataset: evalFraction must be in [0, 1), got ${evalFraction}`);
  }
  if (!Number.isInteger(seed)) throw new RangeError(`splitDataset: seed must be an integer, got ${seed}`);
  const n = records.length;
  let nEval = Math.round(n * evalFraction);
  if (evalFraction > 0 && n >= 2) nEval = Math.min(Math.max(nEval, 1), n - 1);
  const held = new Set(seededShuffle([...Array(n).keys()], seed).slice(0, nEval));
  const out: Split<T> = { train: [], eval: [] };
  records.forEach((r, i) => (held.has(i) ? out.eval : out.train).push(r));
  return out;
}
