// Train/eval splits that are the same on every machine, so that eval curves from different runs
// compare like with like: by a seeded shuffle (datasets), or by a hash of each record (tasks).
import { seededShuffle } from './prng.js';
import { hashUnit } from './tasks/builtin/hash.js';

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

/**
 * Holds out each record whose key hashes below `evalFraction`: a fixed function of the record
 * alone, so no seed moves it, reordering the file does not, and a record added later never moves
 * another across (issue 16; the built-in tasks split their problems this way too). A set of two
 * or more with a non-zero fraction keeps at least one record on each side: the one with the
 * lowest hash is held out, or the one with the highest kept.
 */
export function splitByHash<T>(records: readonly T[], key: (r: T) => string, evalFraction: number): Split<T> {
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new RangeError(`splitByHash: evalFraction must be in [0, 1), got ${evalFraction}`);
  const h = records.map((r) => hashUnit(key(r)));
  const held = h.map((x) => x < evalFraction);
  if (evalFraction > 0 && records.length >= 2) {
    const order = [...h.keys()].sort((a, b) => h[a]! - h[b]!);
    if (!held.includes(true)) held[order[0]!] = true;
    if (!held.includes(false)) held[order.at(-1)!] = false;
  }
  const out: Split<T> = { train: [], eval: [] };
  records.forEach((r, i) => (held[i] ? out.eval : out.train).push(r));
  return out;
}
