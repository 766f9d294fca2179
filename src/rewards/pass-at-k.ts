// Evaluation metrics of ReST-EM (Singh et al. 2023, §4): greedy pass@1, unbiased pass@k from n
// samples, and majority voting over extracted answers (maj@k, Wang et al. 2022 "self-consistency").

/**
 * Unbiased pass@k from n samples of which c are correct: 1 − C(n−c, k)/C(n, k) (Chen et al. 2021,
 * "Evaluating Large Language Models Trained on Code", eq. 1). The ratio of binomials is evaluated
 * as the product ∏_{i=n−c+1}^{n} (1 − k/i), as in the paper's numerically stable listing: the
 * binomials themselves overflow a double already near n = 1000.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`passAtK: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(c) || c < 0 || c > n) throw new RangeError(`passAtK: c must be an integer in [0, n=${n}], got ${c}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`passAtK: k must be an integer >= 1, got ${k}`);
  if (k > n) throw new RangeError(`passAtK: k=${k} is more than the n=${n} samples drawn; pass@k needs n >= k`);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** pass@k averaged over problems, each with its own n and c. */
export function meanPassAtK(counts: readonly { n: number; c: number }[], k: number): number {
  if (counts.length === 0) throw new RangeError('meanPassAtK: no problems');
  return counts.reduce((s, { n, c }) => s + passAtK(n, c, k), 0) / counts.length;
}

/**
 * The most common non-null answer; ties go to the answer seen first. Null when every answer is
 * null (no sample produced a readable answer). Answers are compared as strings, so callers
 * normalise first (verifiers' `extracted` already is, e.g. "31.0" → "31").
 */
export function majorityVote(answers: readonly (string | null | undefined)[]): string | null {
  const counts = new Map<string, number>();
  for (const a of answers) if (a !== null && a !== undefined) counts.set(a, (counts.get(a) ?? 0) + 1);
  // A Map iterates in first-insertion order, and only a strictly larger count takes over: of
  // answers that tie, the one that appeared first wins.
  let best: string | null = null, bestCount = 0;
  for (const [a, n] of counts) {
    if (n > bestCount) {
      best = a;
      bestCount = n;
    }
  }
  return best;
}

/**
 * maj@k for one problem: 1 if the majority vote over the first k extracted answers equals the
 * gold answer, else 0. Average over problems for the dataset's maj@k.
 */
export function majAtK(answers: readonly (string | null | undefined)[], gold: string, k = answers.length): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`majAtK: k must be an integer >= 1, got ${k}`);
  if (k > answers.length) throw new RangeError(`majAtK: k=${k} is more than the ${answers.length} answers given`);
  return majorityVote(answers.slice(0, k)) === gold ? 1 : 0;
}
