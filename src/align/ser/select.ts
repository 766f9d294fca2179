// Self-Evolved Reward Learning (Huang et al. 2024): the pure selection rules on score lists.
// Pool pair i has two responses a and b with reward-model scores sa[i], sb[i]. The scores are
// first calibrated (z-scores over every response of the pool: the same transform as
// normalizeRewards, applied to the list rather than folded into the head, so that a continued
// reward model keeps its own scale), then one of two criteria reads them:
//
//   sigmoid-each  p = σ(z) per response.
//                 status 1: one p > hi and the other < lo (the RM separates the pair clearly);
//                 status 2: |p_a − p_b| ≥ margin.
//   sigmoid-diff  d = z_a − z_b.
//                 status 1: σ(|d|) ≥ diffThreshold;
//                 status 2: |d| ≥ margin.
//
// The learning status is monotone: a run starts in status 1; when status 1 finds fewer than
// minPairs pairs it moves to status 2; when status 2 also finds fewer, the loop stops. The
// higher-scored response always becomes chosen; an exact tie is never selected.

import type { SerSelectConfig } from './config.js';
import { defaultSerSelectConfig } from './config.js';

export { defaultSerSelectConfig, type SerCriterion, type SerSelectConfig } from './config.js';
export type SerStatus = 1 | 2;

/** One self-labelled pair: the pool index and which response the RM prefers. */
export interface SerPick {
  index: number;
  /** 'a' when sa > sb: the RM's chosen response. */
  chosen: 'a' | 'b';
  /** How confident: |p_a − p_b| or |d| in the criterion's space (for ordering and the record). */
  confidence: number;
}

export interface SerSelection {
  status: SerStatus | null;
  picks: SerPick[];
  /** Set when neither status found minPairs pairs (then picks is empty). */
  stop: string | null;
  /** Pairs each status would have taken (status 2 is counted only when it was tried). */
  counts: { status1: number | null; status2: number | null };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** z-scores over every response of the pool (both lists together); a constant pool gives all zeros. */
export function calibrate(sa: readonly number[], sb: readonly number[]): { za: number[]; zb: number[]; mean: number; std: number } {
  if (sa.length !== sb.length) throw new RangeError(`calibrate: ${sa.length} a-scores and ${sb.length} b-scores`);
  const all = [...sa, ...sb];
  if (all.length === 0) return { za: [], zb: [], mean: 0, std: 1 };
  const mean = all.reduce((x, y) => x + y, 0) / all.length;
  const sd = Math.sqrt(all.reduce((x, y) => x + (y - mean) ** 2, 0) / all.length);
  const std = sd > 1e-12 ? sd : 1;
  return { za: sa.map((s) => (s - mean) / std), zb: sb.map((s) => (s - mean) / std), mean, std };
}

function check(sa: readonly number[], sb: readonly number[], c: SerSelectConfig): void {
  if (sa.length !== sb.length) throw new RangeError(`ser-select: ${sa.length} a-scores and ${sb.length} b-scores, expected one pair each`);
  if (!(c.status1.lo <= c.status1.hi)) throw new RangeError(`ser-select: status1.lo ${c.status1.lo} above status1.hi ${c.status1.hi}`);
  if (!(c.status2.margin > 0)) throw new RangeError(`ser-select: status2.margin ${c.status2.margin}, expected > 0`);
  if (!Number.isInteger(c.minPairs) || c.minPairs < 1) throw new RangeError(`ser-select: minPairs ${c.minPairs}, expected a positive integer`);
}

const pick = (i: number, a: number, b: number, confidence: number): SerPick => ({ index: i, chosen: a > b ? 'a' : 'b', confidence });

/** Status 1 on calibrated scores za, zb: the pairs the RM separates clearly. */
export function selectStatus1(za: readonly number[], zb: readonly number[], c: SerSelectConfig = defaultSerSelectConfig): SerPick[] {
  check(za, zb, c);
  const out: SerPick[] = [];
  for (let i = 0; i < za.length; i++) {
    const a = za[i]!, b = zb[i]!;
    if (!(a !== b)) continue; // a tie (or NaN) is never labelled
    if (c.criterion === 'sigmoid-each') {
      const pa = sigmoid(a), pb = sigmoid(b);
      const hi = Math.max(pa, pb), lo = Math.min(pa, pb);
      if (hi > c.status1.hi && lo < c.status1.lo) out.push(pick(i, a, b, hi - lo));
    } else {
      const d = Math.abs(a - b);
      if (sigmoid(d) >= c.status1.diffThreshold) out.push(pick(i, a, b, d));
    }
  }
  return out;
}

/** Status 2 on calibrated scores: the pairs whose scores differ by at least the margin. */
export function selectStatus2(za: readonly number[], zb: readonly number[], c: SerSelectConfig = defaultSerSelectConfig): SerPick[] {
  check(za, zb, c);
  const out: SerPick[] = [];
  for (let i = 0; i < za.length; i++) {
    const a = za[i]!, b = zb[i]!;
    if (!(a !== b)) continue;
    const d = c.criterion === 'sigmoid-each' ? Math.abs(sigmoid(a) - sigmoid(b)) : Math.abs(a - b);
    if (d >= c.status2.margin) out.push(pick(i, a, b, d));
  }
  return out;
}

/** The most confident `max` picks (0: all), in pool order. */
function cap(picks: SerPick[], max: number): SerPick[] {
  if (!max || picks.length <= max) return picks;
  return [...picks].sort((x, y) => y.confidence - x.confidence || x.index - y.index).slice(0, max).sort((x, y) => x.index - y.index);
}

/**
 * One loop's selection on raw scores: calibrates, then applies the current status (status 1 →
 * status 2 → stop, never back). `status` is the status the previous loop ended in.
 */
export function selectPairs(sa: readonly number[], sb: readonly number[], status: SerStatus, c: SerSelectConfig = defaultSerSelectConfig): SerSelection {
  check(sa, sb, c);
  if (sa.length === 0) return { status: null, picks: [], stop: 'the unlabelled pool is empty', counts: { status1: null, status2: null } };
  const { za, zb } = calibrate(sa, sb);
  let s1: number | null = null;
  if (status === 1) {
    const p1 = selectStatus1(za, zb, c);
    s1 = p1.length;
    if (p1.length >= c.minPairs) return { status: 1, picks: cap(p1, c.maxPerLoop), stop: null, counts: { status1: s1, status2: null } };
  }
  const p2 = selectStatus2(za, zb, c);
  if (p2.length >= c.minPairs) return { status: 2, picks: cap(p2, c.maxPerLoop), stop: null, counts: { status1: s1, status2: p2.length } };
  const why = `${s1 !== null ? `status 1 found ${s1} and ` : ''}status 2 found ${p2.length} confident pairs, fewer than minPairs ${c.minPairs}`;
  return { status: null, picks: [], stop: why, counts: { status1: s1, status2: p2.length } };
}

/** Share of picks whose chosen side matches the hidden truth (null when no pick has one). */
export function pseudoLabelPrecision(picks: readonly SerPick[], truth: readonly ('a' | 'b' | undefined)[]): number | null {
  const known = picks.filter((p) => truth[p.index] !== undefined);
  return known.length ? known.filter((p) => truth[p.index] === p.chosen).length / known.length : null;
}

/** The RM's accuracy over every pair with a hidden truth: higher score = preferred; a tie counts one half. */
export function poolAccuracy(sa: readonly number[], sb: readonly number[], truth: readonly ('a' | 'b' | undefined)[]): number | null {
  let n = 0, right = 0;
  for (let i = 0; i < sa.length; i++) {
    const t = truth[i];
    if (t === undefined) continue;
    n++;
    const a = sa[i]!, b = sb[i]!;
    right += a === b ? 0.5 : (a > b) === (t === 'a') ? 1 : 0;
  }
  return n ? right / n : null;
}
