// ReST's Improve filter (Gulcehre et al. 2023, §2): Improve step i trains only on the grown
// samples whose reward clears a threshold τᵢ, and τ rises from one Improve step to the next, so
// each step imitates a smaller, better slice of the same data. Three ways to set τ:
//   fixed        F(x, y; τᵢ) = 1[R(x, y) > τᵢ], the paper's eq. with a list like 0, 0.7, 0.8, 0.9, 0.95;
//   percentile   per prompt, keep the best (100 − pᵢ)% of its N samples (exactly: ties go to the
//                earlier sample), so an easy prompt cannot crowd out a hard one;
//   interpolate  per prompt (per source sentence in the paper's MT setting),
//                τ(x) = γᵢ·max_y R(x, y) + (1 − γᵢ)·mean_y R(x, y) with γ rising; keep R ≥ τ(x).
// Rewards are normalised to [0, 1] before filtering. Under the per-prompt rules a reward of 0 (the
// floor) is never kept: it says only that the sample is as bad as the scale goes.
// Original data (the labelled set D that ReST keeps in every D_g) is filtered against the same
// threshold as its prompt's samples; the per-prompt statistics come from the policy's samples.

export type ThresholdSchedule =
  | { kind: 'fixed'; thresholds: readonly number[] }
  | { kind: 'percentile'; percentiles: readonly number[] }
  | { kind: 'interpolate'; gammas: readonly number[] };

export interface FilterItem {
  promptId: string;
  /** Normalised reward in [0, 1]. */
  reward: number;
  /** 'policy': a Grow sample; 'data': an example of the original data. */
  source: 'policy' | 'data';
}

export interface FilterResult {
  kept: boolean[];
  /** The threshold each prompt's items were held to (for the fixed rule, the one τ). */
  thresholds: Map<string, number>;
  keptPolicy: number;
  keptData: number;
}

/** The schedule's values, one per Improve step. */
export function scheduleValues(s: ThresholdSchedule): readonly number[] {
  return s.kind === 'fixed' ? s.thresholds : s.kind === 'percentile' ? s.percentiles : s.gammas;
}

/**
 * Checks a schedule for `improveSteps` Improve steps: enough values, each in range, never falling
 * (the paper: τᵢ₊₁ > τᵢ; equal values are allowed so that a step can be repeated).
 */
export function checkSchedule(s: ThresholdSchedule, improveSteps: number): void {
  const v = scheduleValues(s);
  const [lo, hi, what] = s.kind === 'fixed' ? [0, 1, 'a threshold in [0, 1) (R > τ keeps nothing at τ = 1)']
    : s.kind === 'percentile' ? [0, 100, 'a percentile in [0, 100)'] : [0, 1, 'a γ in [0, 1]'];
  if (v.length < improveSteps) throw new RangeError(`rest schedule: ${s.kind} has ${v.length} values (${v.join(', ')}) for ${improveSteps} Improve steps; give one per step`);
  v.forEach((x, i) => {
    const ok = Number.isFinite(x) && x >= lo && (s.kind === 'interpolate' ? x <= hi : x < hi);
    if (!ok) throw new RangeError(`rest schedule: ${s.kind} value ${i + 1} is ${x}, expected ${what}`);
    if (i > 0 && x < v[i - 1]!) throw new RangeError(`rest schedule: ${s.kind} values must not fall (ReST raises the threshold each Improve step), got ${v[i - 1]} then ${x}`);
  });
}

/** "fixed:0,0.7,0.8" | "percentile:0,50,75" | "interpolate:0,0.5,0.9"; a bare list means fixed. */
export function parseSchedule(spec: string): ThresholdSchedule {
  const m = /^(?:(fixed|percentile|interpolate):)?([-+0-9.eE, ]+)$/.exec(spec.trim());
  const values = m ? m[2]!.split(',').map((x) => Number(x.trim())) : [];
  if (!m || values.some((x) => !Number.isFinite(x))) {
    throw new RangeError(`rest schedule ${JSON.stringify(spec)}: expected fixed:<τ,…>, percentile:<p,…> or interpolate:<γ,…>, e.g. fixed:0,0.7,0.8`);
  }
  const kind = (m[1] ?? 'fixed') as ThresholdSchedule['kind'];
  return kind === 'fixed' ? { kind, thresholds: values } : kind === 'percentile' ? { kind, percentiles: values } : { kind, gammas: values };
}

/** The filter of Improve step `step` (0-based) over one grown set. Deterministic: a rerun marks the same items. */
export function applyThreshold(items: readonly FilterItem[], s: ThresholdSchedule, step: number): FilterResult {
  const v = scheduleValues(s)[step];
  if (v === undefined) throw new RangeError(`rest schedule: no value for Improve step ${step + 1} (${s.kind} has ${scheduleValues(s).length})`);
  items.forEach((it, i) => {
    if (!(it.reward >= 0 && it.reward <= 1)) throw new RangeError(`rest filter: item ${i} (prompt ${it.promptId}) has reward ${it.reward}; rewards must be normalised to [0, 1] first`);
  });
  const kept = new Array<boolean>(items.length).fill(false);
  const thresholds = new Map<string, number>();
  if (s.kind === 'fixed') {
    items.forEach((it, i) => { kept[i] = it.reward > v; thresholds.set(it.promptId, v); });
  } else {
    const groups = new Map<string, number[]>();
    items.forEach((it, i) => { if (it.source === 'policy') groups.set(it.promptId, [...(groups.get(it.promptId) ?? []), i]); });
    for (const [id, idx] of groups) {
      const r = idx.map((i) => items[i]!.reward);
      let tau: number;
      if (s.kind === 'percentile') {
        const k = idx.length - Math.floor((v / 100) * idx.length);
        // Stable: equal rewards keep their sample order, so the share kept is exact.
        const order = idx.map((i, j) => ({ i, r: r[j]! })).sort((a, b) => b.r - a.r);
        for (const o of order.slice(0, k)) kept[o.i] = o.r > 0;
        tau = order[k - 1]!.r;
      } else {
        const max = Math.max(...r), mean = r.reduce((a, b) => a + b, 0) / r.length;
        tau = v * max + (1 - v) * mean;
        for (const i of idx) kept[i] = items[i]!.reward >= tau && items[i]!.reward > 0;
      }
      thresholds.set(id, tau);
    }
    items.forEach((it, i) => {
      if (it.source !== 'data') return;
      // A prompt with no samples of its own has no statistics; its data is held to the floor only.
      const tau = thresholds.get(it.promptId) ?? 0;
      kept[i] = it.reward >= tau && it.reward > 0;
    });
  }
  let keptPolicy = 0, keptData = 0;
  items.forEach((it, i) => { if (kept[i]) it.source === 'policy' ? keptPolicy++ : keptData++; });
  return { kept, thresholds, keptPolicy, keptData };
}
