// The table `alignkit rest` prints: one row per policy of the run (the starting one, then each
// Improve step's), with what the threshold kept and how each policy scores.
import type { RestRow } from './rest.js';

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

/** A Markdown table; the monitor and Best-of-N columns appear when a row has them. */
export function formatRestTable(rows: readonly RestRow[]): string {
  const bon = rows.some((r) => r.bestOfNReward !== null), mon = rows.some((r) => r.testMonitor !== null);
  const head = ['grow', 'improve', 'τ', 'kept (policy + D)', 'val reward', 'val exact', 'test reward', 'test exact',
    ...(mon ? ['test monitor'] : []), 'answer length', ...(bon ? ['best-of-N reward', 'best-of-N exact'] : []), 'steps (kept)'];
  const body = rows.map((r) => [
    String(r.grow), String(r.improve), r.threshold === null ? '' : String(r.threshold),
    r.kept === null ? '' : `${r.kept}/${r.samples} (${pct(r.keptFraction)}) + ${r.keptData}`,
    f3(r.validationReward), pct(r.validationExact), f3(r.testReward), pct(r.testExact), ...(mon ? [f3(r.testMonitor)] : []),
    r.testLength.toFixed(2), ...(bon ? [f3(r.bestOfNReward), pct(r.bestOfNExact)] : []), r.steps === null ? '' : `${r.steps} (${r.bestStep})`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
