// Picking the few tokens top-k and top-p keep out of a 49k–152k vocabulary without sorting it
// (issue 20, point 3). Both orders are the filters' total order: higher log-probability first,
// lower id first on a tie, so the result is the sorted prefix a full sort would give.
// Both start from a histogram of log-probabilities in 1/8-nat buckets (one O(V) pass):
//   top-k: the first buckets holding k ids bound the candidates; a quickselect moves the k best of
//   them to the front, and only those k are sorted;
//   top-p: the first buckets whose mass reaches p bound them; only the ids above that edge are sorted.

/** x[a] before x[b]: larger first, the lower id on a tie. */
function beforeIn(x: Float64Array): (a: number, b: number) => boolean {
  return (a, b) => x[a]! > x[b]! || (x[a] === x[b] && a < b);
}

function sortIds(x: Float64Array, ids: Int32Array): Int32Array {
  const before = beforeIn(x);
  return ids.sort((a, b) => (before(a, b) ? -1 : 1));
}

/** Every id of x, in the filters' order (the full sort, for when nothing is truncated). */
export function sortedIds(x: Float64Array): Int32Array {
  return sortIds(x, Int32Array.from({ length: x.length }, (_, i) => i));
}

const BUCKETS_PER_NAT = 8, BUCKETS = 8192;

/** The histogram bucket of a log-probability (≤ 0): 0 holds the most probable. */
function bucketOf(logp: number): number {
  const b = Math.floor(-logp * BUCKETS_PER_NAT);
  return b >= 0 && b < BUCKETS ? b : b < 0 ? 0 : BUCKETS - 1;
}

/**
 * The k ids with the largest values, largest first (ties: lower id first); 1 ≤ k ≤ V; values
 * are log-probabilities (≤ 0; larger ones share the first bucket). Hoare-style quickselect with a
 * median-of-three pivot: deterministic, so sampling stays a function of the seed.
 */
export function topKIds(x: Float64Array, k: number): Int32Array {
  const V = x.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= V)) throw new RangeError(`topKIds: k is ${k}; expected an integer in [1, ${V}]`);
  // The histogram's first buckets holding k ids bound the selection: only those ids enter it.
  const count = new Int32Array(BUCKETS);
  for (let i = 0; i < V; i++) count[bucketOf(x[i]!)]!++;
  let edge = 0;
  for (let c = count[0]!; c < k; c += count[++edge]!);
  const ids = new Int32Array(V);
  let n = 0;
  for (let i = 0; i < V; i++) if (bucketOf(x[i]!) <= edge) ids[n++] = i;
  const before = beforeIn(x);
  let lo = 0, hi = n - 1;
  // Invariant: the k best lie in ids[0, k) once [lo, hi] no longer straddles position k − 1.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const [a, b, c] = [ids[lo]!, ids[mid]!, ids[hi]!];
    const pivot = before(a, b) ? (before(b, c) ? b : before(a, c) ? c : a) : (before(a, c) ? a : before(b, c) ? c : b);
    let i = lo, j = hi;
    while (i <= j) {
      while (before(ids[i]!, pivot)) i++;
      while (before(pivot, ids[j]!)) j--;
      if (i <= j) { const t = ids[i]!; ids[i] = ids[j]!; ids[j] = t; i++; j--; }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
  return sortIds(x, ids.subarray(0, k).slice());
}

export interface Nucleus {
  /** A sorted prefix of the filters' order whose mass reaches topP of the whole. */
  ids: Int32Array;
  /** Σ exp(logp) over the ids left out. */
  restMass: number;
}

/**
 * Candidates for top-p over log-probabilities `logp`: the ids of every bucket down to the first
 * whose cumulative mass reaches topP·(total mass), sorted. The nucleus is a prefix of them: every
 * id left out is below all of them, and those kept already hold the mass top-p asks for.
 */
export function nucleusIds(logp: Float64Array, topP: number): Nucleus {
  const V = logp.length;
  const mass = new Float64Array(BUCKETS);
  let total = 0;
  for (let i = 0; i < V; i++) { const p = Math.exp(logp[i]!); mass[bucketOf(logp[i]!)] += p; total += p; }
  // One bucket past the edge: the bucket sums round differently from the filters' sorted sum.
  let edge = 0, c = 0;
  while (edge < BUCKETS - 1 && c + mass[edge]! < topP * total) c += mass[edge++]!;
  edge = Math.min(edge + 1, BUCKETS - 1);
  const kept: number[] = [];
  let restMass = 0;
  for (let i = 0; i < V; i++) {
    if (bucketOf(logp[i]!) <= edge) kept.push(i);
    else restMass += Math.exp(logp[i]!);
  }
  return { ids: sortIds(logp, Int32Array.from(kept)), restMass };
}
