// chrF, the character n-gram F-score (Popović 2015, "chrF: character n-gram F-score for automatic
// MT evaluation"), exactly as sacrebleu 2.x computes it (sacrebleu/metrics/chrf.py):
//   per order n = 1..6: hyp n-grams, ref n-grams, matches = Σ min(count_hyp, count_ref);
//   P and R are averaged over the orders where both sides have n-grams ("effective order",
//   sacrebleu's default) and combined as F_β = (1 + β²)·P·R / (β²·P + R), β = 2, ×100.
// Whitespace is removed before n-grams are taken (sacrebleu's default). A graded reward for ReST
// (Gulcehre et al. 2023 score translations with it) that needs only a reference.

export interface ChrfOptions {
  /** Character n-gram orders 1..charOrder; 6 is sacrebleu's CHAR_ORDER (Popović 2015). */
  charOrder?: number;
  /** Recall counts β times as much as precision; 2 is sacrebleu's default (Popović 2016, WMT16). */
  beta?: number;
  /** Keep whitespace inside the n-grams; sacrebleu removes it unless asked. */
  whitespace?: boolean;
  lowercase?: boolean;
  /**
   * chrF++.py / NLTK / Moses smoothing: mean of per-order F with ε for empty orders, instead of
   * sacrebleu's effective order. Off by default, as in sacrebleu ≥ 2.0.
   */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** chrF in [0, 100], the number sacrebleu prints. */
  score: number;
  /** Character n-gram precision and recall in [0, 1], averaged over the effective orders. */
  precision: number;
  recall: number;
}

const DEFAULTS: Required<ChrfOptions> = { charOrder: 6, beta: 2, whitespace: false, lowercase: false, epsSmoothing: false };

function resolve(o: ChrfOptions): Required<ChrfOptions> {
  const c = { ...DEFAULTS, ...o };
  if (!Number.isInteger(c.charOrder) || c.charOrder < 1) throw new RangeError(`chrF: charOrder = ${c.charOrder}, expected an integer ≥ 1`);
  if (!(c.beta >= 0) || !Number.isFinite(c.beta)) throw new RangeError(`chrF: beta = ${c.beta}, expected a finite number ≥ 0`);
  return c;
}

/** Counts of each order's character n-grams; code points, not UTF-16 units, as Python indexes strings. */
function charNgrams(line: string, maxOrder: number, whitespace: boolean): Map<string, number>[] {
  const chars = Array.from(whitespace ? line : line.split(/\s+/).join(''));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const g = chars.slice(i, i + n).join('');
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

function matchStats(hyp: Map<string, number>[], ref: Map<string, number>[]): number[] {
  const stats: number[] = [];
  hyp.forEach((h, i) => {
    const r = ref[i]!;
    let nHyp = 0, nRef = 0, nMatch = 0;
    for (const [g, c] of h) {
      nHyp += c;
      const rc = r.get(g);
      if (rc !== undefined) nMatch += Math.min(c, rc);
    }
    for (const c of r.values()) nRef += c;
    // sacrebleu: "Don't count hits if no reference exists for that n-gram" order.
    stats.push(r.size > 0 ? nHyp : 0, nRef, nMatch);
  });
  return stats;
}

/** [hyp, ref, match] counts per order, flattened (3·charOrder numbers): what corpus chrF sums. */
export function chrfStatistics(hypothesis: string, reference: string, opts: ChrfOptions = {}): number[] {
  const c = resolve(opts);
  const prep = (s: string) => (c.lowercase ? s.toLowerCase() : s);
  return matchStats(charNgrams(prep(hypothesis), c.charOrder, c.whitespace), charNgrams(prep(reference), c.charOrder, c.whitespace));
}

/** chrF from summed statistics (sacrebleu's `_compute_f_score`). */
export function chrfFromStatistics(stats: readonly number[], opts: ChrfOptions = {}): ChrfScore {
  const c = resolve(opts);
  if (stats.length !== 3 * c.charOrder) throw new RangeError(`chrF: ${stats.length} statistics, expected 3·charOrder = ${3 * c.charOrder}`);
  const eps = 1e-16, factor = c.beta ** 2;
  let epsScore = 0, avgP = 0, avgR = 0, effective = 0;
  for (let i = 0; i < c.charOrder; i++) {
    const [nHyp, nRef, nMatch] = [stats[3 * i]!, stats[3 * i + 1]!, stats[3 * i + 2]!];
    const p = nHyp > 0 ? nMatch / nHyp : eps;
    const r = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * p + r;
    epsScore += denom > 0 ? ((1 + factor) * p * r) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgP += p;
      avgR += r;
      effective++;
    }
  }
  if (effective > 0) {
    avgP /= effective;
    avgR /= effective;
  }
  if (c.epsSmoothing) return { score: (100 * epsScore) / c.charOrder, precision: avgP, recall: avgR };
  const score = avgP + avgR > 0 ? (100 * (1 + factor) * avgP * avgR) / (factor * avgP + avgR) : 0;
  return { score, precision: avgP, recall: avgR };
}

/** Statistics against the reference with the best F (sacrebleu's multi-reference rule). */
function bestStats(hypothesis: string, references: readonly string[], c: ChrfOptions): number[] {
  if (references.length === 0) throw new RangeError('chrF: no reference given');
  let best: number[] = [], bestF = -1;
  for (const ref of references) {
    const s = chrfStatistics(hypothesis, ref, c);
    const f = chrfFromStatistics(s, c).score;
    if (f > bestF) {
      bestF = f;
      best = s;
    }
  }
  return best;
}

/** sacrebleu.sentence_chrf(hypothesis, references). */
export function sentenceChrf(hypothesis: string, references: string | readonly string[], opts: ChrfOptions = {}): ChrfScore {
  const refs = typeof references === 'string' ? [references] : references;
  return chrfFromStatistics(bestStats(hypothesis, refs, opts), opts);
}

/**
 * sacrebleu.corpus_chrf(hypotheses, referenceStreams): statistics summed over segments, then one
 * F. `referenceStreams[k][i]` is the k-th reference of segment i (sacrebleu's layout).
 */
export function corpusChrf(hypotheses: readonly string[], referenceStreams: readonly (readonly string[])[], opts: ChrfOptions = {}): ChrfScore {
  const c = resolve(opts);
  for (const [k, s] of referenceStreams.entries()) {
    if (s.length !== hypotheses.length) throw new RangeError(`chrF: reference stream ${k} has ${s.length} segments, the hypotheses ${hypotheses.length}`);
  }
  const total = new Array<number>(3 * c.charOrder).fill(0);
  hypotheses.forEach((h, i) => bestStats(h, referenceStreams.map((s) => s[i]!), c).forEach((v, j) => (total[j]! += v)));
  return chrfFromStatistics(total, c);
}
