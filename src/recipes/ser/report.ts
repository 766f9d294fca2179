// The tables the SER demonstrations print: one row per reward model (seed, each loop, the control,
// 100%) with the loop's status, selection, pseudo-label precision, pool and test accuracy, then the
// stop reason and the two targets; the policy table is each demo's own.
import type { SerComparison } from './compare.js';

export const f3 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3));
export const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`);

/** Columns padded to their widest cell; the first left-aligned, the others right-aligned. */
export function textTable(t: readonly (readonly string[])[]): string {
  const w = t[0]!.map((_, j) => Math.max(...t.map((x) => x[j]!.length)));
  return t.map((x) => x.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join('  ')).join('\n');
}

export interface SerSetupCounts { labelled: number; train_pairs: number; test_pairs: number; decisive_test_pairs: number }

/** The reward-model table, the stop reason and the two targets, under a line saying what test accuracy measures. */
export function formatSerComparison(r: SerComparison, setup: SerSetupCounts, testAccIs: string): string {
  const rows: string[][] = [['reward model', 'status', 'pool', 'selected', 'precision', 'pool acc', 'test acc']];
  rows.push([`seed (${setup.labelled} labels)`, '', '', '', '', '', f3(r.seed_rm_accuracy)]);
  for (const l of r.loops) rows.push([`SER loop ${l.loop}`, l.status === null ? 'stop' : String(l.status), String(l.poolSize), String(l.selected), f3(l.precision), f3(l.poolAccuracy), f3(l.testAccuracy)]);
  if (r.control_rm) rows.push([`control (${r.control_rm.pairs} true labels)`, '', '', '', '', '', f3(r.control_rm.accuracy)]);
  rows.push([`100% (${setup.train_pairs} labels)`, '', '', '', '', '', f3(r.full_rm_accuracy)]);
  return [
    `test acc: ${testAccIs} on the ${setup.decisive_test_pairs} of ${setup.test_pairs} test pairs it scores differently; precision and pool acc: against the hidden (noisy) labels of the pool`,
    textTable(rows), '', `stopped: ${r.stop_reason}`,
    `gap closed by SER: ${r.gap_closed === null ? '— (the 100% RM is not above the seed RM)' : `${(100 * r.gap_closed).toFixed(0)}% (target ≥ 50%)`}` +
      (r.control_gap_closed === null ? '' : `; by as many true labels (control): ${(100 * r.control_gap_closed).toFixed(0)}%`),
    `loops whose pseudo-labels beat the RM over the whole pool: ${r.precision_above_pool.loops} of ${r.precision_above_pool.of}`,
  ].join('\n');
}
