// Best-of-N (rejection sampling at inference, Nakano et al. 2021; Gao et al. 2023 on how it
// over-optimises a proxy): draw N outputs for a prompt, answer with the one the reward ranks
// highest. ReST reports it on top of every policy (Gulcehre et al. 2023, §5: "ReST + BoN").
// With a reference-based reward (chrF, 1 − PER) the reranker sees the reference, so the number is
// an oracle bound on what a reward model could pick, not a deployable score.

/**
 * Index of the best candidate: highest reward, then (when given) highest tie-break value such as
 * the sequence log-probability, then the earliest. Non-finite rewards rank below every finite one.
 */
export function bestOfN(rewards: readonly number[], tieBreak?: readonly number[]): number {
  if (rewards.length === 0) throw new RangeError('bestOfN: no candidates');
  if (tieBreak && tieBreak.length !== rewards.length) throw new RangeError(`bestOfN: ${tieBreak.length} tie-break values for ${rewards.length} candidates`);
  const key = (x: number) => (Number.isFinite(x) ? x : -Infinity);
  let best = 0;
  for (let i = 1; i < rewards.length; i++) {
    const d = key(rewards[i]!) - key(rewards[best]!);
    if (d > 0 || (d === 0 && tieBreak && key(tieBreak[i]!) > key(tieBreak[best]!))) best = i;
  }
  return best;
}

/** bestOfN over consecutive groups of n (sample j of prompt i at i·n + j); returns flat indices. */
export function bestOfNGroups(rewards: readonly number[], n: number, tieBreak?: readonly number[]): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bestOfNGroups: n = ${n}, expected an integer ≥ 1`);
  if (rewards.length % n !== 0) throw new RangeError(`bestOfNGroups: ${rewards.length} rewards do not split into groups of ${n}`);
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += n) {
    out.push(g + bestOfN(rewards.slice(g, g + n), tieBreak?.slice(g, g + n)));
  }
  return out;
}
