// Top-k / top-p over a 151,936-entry row (Qwen2.5's vocabulary): the filters' selection and
// bound (src/model/sampling/select.ts) against what they did before (an insertion buffer for
// top-k, a sort of every id for top-p).
// A benchmark that prints times and ratios, not a test.
//   node dist/bench/sampling-select.js
import { Rng } from '../src/tensor/index.js';
import { logSoftmaxT, truncate } from '../src/model/sampling/filters.js';

const V = 151936, rows = 20;
const rng = new Rng(0);
// Rows shaped like a trained model's: a long normal tail and a few likely tokens.
const logps = Array.from({ length: rows }, () => {
  const z = Float64Array.from({ length: V }, () => 2 * rng.normal());
  for (let i = 0; i < 30; i++) z[rng.int(V)] = 12 + 2 * rng.normal();
  return logSoftmaxT(z);
});

/** The filters before select.ts: an insertion buffer for top-k, a sort of every id for top-p alone. */
function before(logp: Float64Array, topK: number, topP: number): number {
  const first = (a: number, b: number): boolean => logp[a]! > logp[b]! || (logp[a] === logp[b] && a < b);
  let kept: number[];
  if (topK > 0) {
    kept = [];
    for (let i = 0; i < V; i++) {
      if (kept.length === topK && !first(i, kept[topK - 1]!)) continue;
      let j = kept.length < topK ? kept.length : topK - 1;
      if (kept.length < topK) kept.push(i);
      while (j > 0 && first(i, kept[j - 1]!)) { kept[j] = kept[j - 1]!; j--; }
      kept[j] = i;
    }
  } else kept = Array.from({ length: V }, (_, i) => i).sort((a, b) => (first(a, b) ? -1 : 1));
  let c = 0, keep = 0;
  const mass = kept.reduce((s, i) => s + Math.exp(logp[i]!), 0);
  while (keep < kept.length) { c += Math.exp(logp[kept[keep++]!]!); if (c >= topP * mass) break; }
  return keep;
}

// Each side runs once untimed first, so neither pays the compiler's warm-up.
const time = (f: () => void): number => { f(); const t = performance.now(); f(); return (performance.now() - t) / rows; };
for (const [topK, topP] of [[50, 1], [0, 0.9], [0, 0.95], [50, 0.9]] as const) {
  const sorted = time(() => logps.forEach((l) => before(l, topK, topP)));
  const selected = time(() => logps.forEach((l) => truncate(l, topK, topP)));
  console.log(`top-k ${topK || 'off'}, top-p ${topP}: before ${sorted.toFixed(2)} ms/row, selection ${selected.toFixed(2)} ms/row (${(sorted / selected).toFixed(1)}×)`);
}
