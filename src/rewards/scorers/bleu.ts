// BLEU (Papineni et al. 2002): geometric mean of modified n-gram precisions (n = 1..4, hypothesis
// counts clipped by the reference's) times the brevity penalty exp(1 − r/c) when c < r — exactly as
// sacrebleu 2.x computes it (sacrebleu/metrics/bleu.py), with its 13a tokenizer (mteval-v13a.pl)
// and the smoothing methods of Chen & Cherry 2014, "A Systematic Comparison of Smoothing
// Techniques for Sentence-Level BLEU":
//   'exp'   method 3, NIST: the k-th order with no match gets precision 1/(2^k · total) — the default;
//   'floor' method 1: a zero count becomes `smoothValue` (0.1);
//   'add-k' method 2: add `smoothValue` (1, "add-one") to the matches and totals of orders ≥ 2;
//   'none'  log 0 floored to −9999999999, so one empty order zeroes the score.
// sentenceBleu also follows sacrebleu.sentence_bleu in using the effective order (orders the
// hypothesis is too short to have are left out of the mean).

export type BleuTokenizer = '13a' | 'char' | 'none';
export type BleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

export interface BleuOptions {
  tokenize?: BleuTokenizer;
  smoothMethod?: BleuSmoothing;
  /** For 'floor' (default 0.1) and 'add-k' (default 1); ignored otherwise. */
  smoothValue?: number;
  lowercase?: boolean;
  /** 4, Papineni et al.'s choice. */
  maxNgramOrder?: number;
  /** Average only over the orders the hypothesis has; sentenceBleu defaults it on, corpusBleu off. */
  effectiveOrder?: boolean;
}

export interface BleuScore {
  /** BLEU in [0, 100]. */
  score: number;
  /** Matched and total hypothesis n-grams per order (after add-k smoothing, as sacrebleu reports). */
  counts: number[];
  totals: number[];
  /** Per-order precisions in percent. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  sysLen: number;
  refLen: number;
}

const SMOOTH_DEFAULTS: Record<BleuSmoothing, number | null> = { none: null, floor: 0.1, 'add-k': 1, exp: null };

// mteval-v13a's language-dependent rules, as sacrebleu's TokenizerRegexp: symbols and punctuation
// become tokens; period and comma split unless between digits; a dash after a digit splits.
const RULES: [RegExp, string][] = [
  [/([{-~[-` -&(-+:-@\/])/g, ' $1 '],
  [/([^0-9])([.,])/g, '$1 $2 '],
  [/([.,])([^0-9])/g, ' $1 $2'],
  [/([0-9])(-)/g, '$1 $2 '],
];

/** sacrebleu's Tokenizer13a: the tokenization WMT scores BLEU with. */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, rep] of RULES) s = s.replace(re, rep);
  return words(s).join(' ');
}

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

function tokenize(line: string, how: BleuTokenizer): string {
  if (how === '13a') return tokenize13a(line);
  if (how === 'char') return Array.from(line).join(' ');
  if (how === 'none') return line;
  throw new RangeError(`BLEU: tokenize = ${JSON.stringify(how)}, expected '13a', 'char' or 'none'`);
}

function resolve(o: BleuOptions, effectiveDefault: boolean): Required<Omit<BleuOptions, 'smoothValue'>> & { smoothValue: number | null } {
  const smoothMethod = o.smoothMethod ?? 'exp';
  if (!(smoothMethod in SMOOTH_DEFAULTS)) throw new RangeError(`BLEU: smoothMethod = ${JSON.stringify(smoothMethod)}, expected exp, floor, add-k or none`);
  const maxNgramOrder = o.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) throw new RangeError(`BLEU: maxNgramOrder = ${maxNgramOrder}, expected an integer ≥ 1`);
  return {
    tokenize: o.tokenize ?? '13a', smoothMethod, smoothValue: o.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod],
    lowercase: o.lowercase ?? false, maxNgramOrder, effectiveOrder: o.effectiveOrder ?? effectiveDefault,
  };
}

function ngrams(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // A separator no token contains (tokens are whitespace-free), with the order up front.
      const g = `${n}\u0000${tokens.slice(i, i + n).join('\u0001')}`;
      m.set(g, (m.get(g) ?? 0) + 1);
    }
  }
  return m;
}

/**
 * Sufficient statistics of one segment: [sysLen, refLen, correct₁..N, total₁..N]. Several
 * references: clip by the largest count any reference has, and take the reference length
 * closest to the hypothesis's (the shorter on a tie).
 */
export function bleuStatistics(hypothesis: string, references: readonly string[], opts: BleuOptions = {}): number[] {
  const c = resolve(opts, false);
  if (references.length === 0) throw new RangeError('BLEU: no reference given');
  const prep = (s: string) => words(tokenize((c.lowercase ? s.toLowerCase() : s).trimEnd(), c.tokenize));
  const refCounts = new Map<string, number>();
  const refLens: number[] = [];
  for (const r of references) {
    const toks = prep(r);
    refLens.push(toks.length);
    for (const [g, n] of ngrams(toks, c.maxNgramOrder)) refCounts.set(g, Math.max(refCounts.get(g) ?? 0, n));
  }
  const hyp = prep(hypothesis);
  let refLen = -1, bestDiff = -1;
  for (const len of refLens) {
    const diff = Math.abs(hyp.length - len);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < refLen)) {
      bestDiff = diff;
      refLen = len;
    }
  }
  const correct = new Array<number>(c.maxNgramOrder).fill(0), total = correct.slice();
  for (const [g, n] of ngrams(hyp, c.maxNgramOrder)) {
    const order = Number(g.slice(0, g.indexOf('\u0000'))) - 1;
    total[order]! += n;
    correct[order]! += Math.min(n, refCounts.get(g) ?? 0);
  }
  return [hyp.length, refLen, ...correct, ...total];
}

/** BLEU from (summed) statistics: sacrebleu's `compute_bleu`. */
export function bleuFromStatistics(stats: readonly number[], opts: BleuOptions = {}): BleuScore {
  const c = resolve(opts, false);
  const N = c.maxNgramOrder;
  if (stats.length !== 2 + 2 * N) throw new RangeError(`BLEU: ${stats.length} statistics, expected 2 + 2·maxNgramOrder = ${2 + 2 * N}`);
  const [sysLen, refLen] = [stats[0]!, stats[1]!];
  const correct = stats.slice(2, 2 + N), total = stats.slice(2 + N);
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(N).fill(0);
  const result = (score: number): BleuScore => ({ score, counts: correct, totals: total, precisions, bp, sysLen, refLen });
  // No match at any order: 0 whatever the smoothing (sacrebleu #141).
  if (!correct.some((x) => x > 0)) return result(0);
  let mteval = 1, effOrder = N;
  for (let n = 1; n <= N; n++) {
    if (c.smoothMethod === 'add-k' && n > 1) {
      correct[n - 1]! += c.smoothValue!;
      total[n - 1]! += c.smoothValue!;
    }
    if (total[n - 1] === 0) break;
    if (c.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (c.smoothMethod === 'exp') {
        mteval *= 2;
        precisions[n - 1] = 100 / (mteval * total[n - 1]!);
      } else if (c.smoothMethod === 'floor') {
        precisions[n - 1] = (100 * c.smoothValue!) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  const logSum = precisions.slice(0, effOrder).reduce((s, p) => s + (p === 0 ? -9999999999 : Math.log(p)), 0);
  return result(bp * Math.exp(logSum / effOrder));
}

/** sacrebleu.sentence_bleu(hypothesis, references): smoothing 'exp' and the effective order by default. */
export function sentenceBleu(hypothesis: string, references: string | readonly string[], opts: BleuOptions = {}): BleuScore {
  const refs = typeof references === 'string' ? [references] : references;
  const o = { ...opts, effectiveOrder: opts.effectiveOrder ?? true };
  return bleuFromStatistics(bleuStatistics(hypothesis, refs, o), o);
}

/** sacrebleu.corpus_bleu(hypotheses, referenceStreams); `referenceStreams[k][i]` is the k-th reference of segment i. */
export function corpusBleu(hypotheses: readonly string[], referenceStreams: readonly (readonly string[])[], opts: BleuOptions = {}): BleuScore {
  const c = resolve(opts, false);
  for (const [k, s] of referenceStreams.entries()) {
    if (s.length !== hypotheses.length) throw new RangeError(`BLEU: reference stream ${k} has ${s.length} segments, the hypotheses ${hypotheses.length}`);
  }
  const sum = new Array<number>(2 + 2 * c.maxNgramOrder).fill(0);
  hypotheses.forEach((h, i) => bleuStatistics(h, referenceStreams.map((s) => s[i]!), opts).forEach((v, j) => (sum[j]! += v)));
  return bleuFromStatistics(sum, opts);
}
