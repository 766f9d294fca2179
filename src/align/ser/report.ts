// The per-loop table `alignkit ser` prints: for each loop the status, the pool before it, the pairs
// it took, their pseudo-label precision, the RM's accuracy over the whole pool, and the test
// accuracy of the RM retrained on them (Huang et al. 2024 report the same columns per loop).
import { fmt } from './pool.js';
import type { SerLoopRecord } from './ser.js';

export function formatSerTable(seedAcc: number, loops: readonly SerLoopRecord[]): string {
  const rows = [['loop', 'status', 'pool', 'selected', 'precision', 'pool acc', 'RM test acc'], ['seed', '', '', '', '', '', fmt(seedAcc)]];
  for (const l of loops) {
    rows.push([String(l.loop), l.status === null ? 'stop' : String(l.status), String(l.poolSize), String(l.selected), fmt(l.precision), fmt(l.poolAccuracy), fmt(l.testAccuracy)]);
  }
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) => r.map((x, j) => x.padStart(w[j]!)).join('  ')).join('\n');
}
