// The table `alignkit rest-em` and `alignkit demo` print: one row per iteration (the paper's
// Table 1 columns: train pass@1, test pass@1, pass@k and maj@k), and the human-data baseline
// when a result has one.
import type { RestEmRow } from './rest-em.js';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);

/** The per-iteration table; the baseline row is added when the result has one. */
export function formatRestEmTable(r: { iterations: RestEmRow[]; baseline_test_pass1?: number; baseline_pass_at_k?: number }): string {
  const k = r.iterations[0]?.k ?? 4;
  const head = ['iteration', 'train pass@1 (sampled)', 'test pass@1 (greedy)', `pass@${k}`, `maj@${k}`, 'kept samples', 'problems solved'];
  const body = r.iterations.map((x) => [x.iteration === 0 ? '0 (seed SFT)' : String(x.iteration), pct(x.train_pass1), pct(x.test_pass1), pct(x.pass_at_k), pct(x.maj_at_k), x.kept === null ? '—' : String(x.kept), x.solved === null ? '—' : String(x.solved)]);
  if (r.baseline_test_pass1 !== undefined) body.push(['SFT on all references', '', pct(r.baseline_test_pass1), pct(r.baseline_pass_at_k), '', '', '']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
