// A tiny seeded PRNG for data splits and shuffles. Splits must be reproducible across runs and
// machines (an eval set that drifts between runs makes curves incomparable), so Math.random is
// out. mulberry32 (Tommy Ettinger, public domain) is 32-bit state, passes gjrand/PractRand at the
// sizes a dataset shuffle needs, and is four lines.

/** Returns a generator of floats in [0, 1) fully determined by `seed` (any 32-bit integer). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy; the same seed always gives the same permutation. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const rand = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}
