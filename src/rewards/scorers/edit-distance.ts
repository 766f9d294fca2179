// Levenshtein distance over tokens (phonemes, words, characters): the numerator of phoneme and
// word error rates. Substitution, insertion and deletion each cost 1 (Levenshtein 1966).

/** Minimum number of single-token edits turning `hyp` into `ref`; O(|hyp|·|ref|) time, O(|ref|) memory. */
export function levenshtein<T>(hyp: readonly T[], ref: readonly T[]): number {
  let prev = Array.from({ length: ref.length + 1 }, (_, j) => j);
  let cur = new Array<number>(ref.length + 1);
  for (let i = 1; i <= hyp.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= ref.length; j++) {
      const sub = prev[j - 1]! + (hyp[i - 1] === ref[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[ref.length]!;
}

/** Edits per reference token (can exceed 1 when the hypothesis inserts many tokens). */
export function tokenErrorRate<T>(hyp: readonly T[], ref: readonly T[]): number {
  if (ref.length === 0) throw new RangeError('tokenErrorRate: the reference is empty; an error rate needs at least one reference token');
  return levenshtein(hyp, ref) / ref.length;
}
