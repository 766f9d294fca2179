// The curves: one chart per `<series>/<figure>` (evaluation figures, losses, rewards, KL, pass@k,
// lr, …), each run checked in the runs table overlaid as its own line, x the record's number in
// its series. Smoothing is an exponential moving average (as TensorBoard's slider); log scale
// shows the y axis in powers of ten. Charts are replaced only when their set of keys changes;
// otherwise new points go in with setData, so a run being written grows in place.
import uPlot from 'uplot';
import { el, fig, type MetricsAnswer } from './api.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const DEFAULT_KEYS = /(^|\/)(loss|nll|reward|testReward|validationReward|meanReward|kl|approxKl|accuracy|testAccuracy|testExact|exact|pass1|passAtK|majAtK|passAt\d+|majAt\d+|precision|lr|score|testMonitor|pass_at_k|maj_at_k|test_pass1|train_pass1)$/i;

interface Chart { plot: uPlot; box: HTMLElement; runs: string }
const charts = new Map<string, Chart>();

function smooth(ys: (number | null)[], a: number): (number | null)[] {
  if (a <= 0) return ys;
  let m: number | null = null;
  return ys.map((y) => (y === null || !Number.isFinite(y) ? y : (m = m === null ? y : a * m + (1 - a) * y)));
}

/** x values 1..n and one y array per run (null where a run has no such point). */
function dataOf(key: string, answers: MetricsAnswer[], a: number, log: boolean): { data: uPlot.AlignedData; points: number } {
  const [series, figure] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
  const ys = answers.map((ans) => ans.records.filter((r) => r.series === series && figure in r.figures).map((r) => r.figures[figure]!));
  const n = Math.max(0, ...ys.map((y) => y.length));
  const xs = Array.from({ length: n }, (_, i) => i + 1);
  const lines = ys.map((y) => smooth(Array.from({ length: n }, (_, i) => {
    const v = y[i];
    return v === undefined || (log && !(v > 0)) ? null : v;
  }), a));
  return { data: [xs, ...lines] as uPlot.AlignedData, points: n };
}

export function keysOf(answers: MetricsAnswer[], filter: string): string[] {
  const keys = new Set<string>();
  for (const a of answers) for (const r of a.records) for (const f of Object.keys(r.figures)) keys.add(`${r.series}/${f}`);
  let re: RegExp = DEFAULT_KEYS;
  if (filter) {
    try {
      re = new RegExp(filter, 'i');
    } catch {
      re = DEFAULT_KEYS; // a half-typed pattern
    }
  }
  return [...keys].filter((k) => re.test(k)).sort().slice(0, 24);
}

export function drawCharts(host: HTMLElement, answers: MetricsAnswer[], opts: { smoothing: number; log: boolean; filter: string }): void {
  const keys = keysOf(answers, opts.filter), runs = answers.map((a) => a.id).join('\u0000') + (opts.log ? '|log' : '');
  for (const [k, c] of charts) if (!keys.includes(k) || c.runs !== runs) { c.plot.destroy(); c.box.remove(); charts.delete(k); }
  for (const key of keys) {
    const { data, points } = dataOf(key, answers, opts.smoothing, opts.log);
    let c = charts.get(key);
    if (!c) {
      const box = el('div', { class: 'chart', 'data-key': key }, el('h3', {}, key));
      host.append(box);
      const plot = new uPlot({
        width: 380, height: 200, legend: { show: answers.length > 1 }, cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false }, y: opts.log ? { distr: 3 } : {} },
        axes: [{}, { size: 56, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => fig(t)) }],
        series: [{ label: 'n' }, ...answers.map((a, i) => ({ label: a.id, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: true, size: 4 } }))],
      }, data, box);
      c = { plot, box, runs };
      charts.set(key, c);
    } else {
      c.plot.setData(data);
    }
    c.box.setAttribute('data-points', String(points));
  }
  // Keep the charts in key order.
  for (const key of keys) host.append(charts.get(key)!.box);
}
