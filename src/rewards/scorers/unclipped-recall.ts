// Unclipped n-gram recall: a deliberately flawed reference metric, kept for demonstrating reward
// hacking. BLEU and chrF clip each hypothesis n-gram count at its count in the reference, because
// without the clip a hypothesis can score by repeating what it got right (Papineni et al. 2002,
// section 2.1). This metric leaves the clip out: every hypothesis n-gram that occurs anywhere in
// the reference counts, however often it repeats. The answer itself scores 1; the answer written
// twice scores 2 — the same failure as the reward model fooled by repeated sentences that
// Gulcehre et al. (2023) report for ReST.

const grams = (toks: readonly string[], n: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i + n <= toks.length; i++) out.push(toks.slice(i, i + n).join('\u0001'));
  return out;
};

/**
 * Mean over n = 1..maxN of (hypothesis n-grams that occur in the reference, counted with
 * repetition) / (reference n-grams), over whitespace tokens; orders the reference is too short
 * for are left out. 0 for an empty hypothesis; unbounded above.
 */
export function unclippedRecall(hypothesis: string, reference: string, maxN = 4): number {
  if (!Number.isInteger(maxN) || maxN < 1) throw new RangeError(`unclippedRecall: maxN = ${maxN}, expected an integer ≥ 1`);
  const hyp = hypothesis.split(/\s+/).filter(Boolean), ref = reference.split(/\s+/).filter(Boolean);
  let sum = 0, orders = 0;
  for (let n = 1; n <= Math.min(maxN, ref.length); n++) {
    const refGrams = grams(ref, n), inRef = new Set(refGrams);
    sum += grams(hyp, n).filter((g) => inRef.has(g)).length / refGrams.length;
    orders++;
  }
  return orders ? sum / orders : 0;
}
