// What the dashboard draws from metrics.jsonl besides raw curves (issue 21):
//  - reward-hacking signals: per evaluation, the proxy reward the run optimises against a
//    held-out metric it never trains on, and the completions' length. A step is flagged where
//    they part: the proxy has risen by more than `gap` since the first evaluation while the
//    held-out metric has not risen at all, or the length has drifted by more than `drift` of its
//    first value (the README's flawed-reward run: reward up, every kept sample wrong);
//  - the SER view: per loop, the learning status, pairs selected, pseudo-label precision.
import { metricNumber, seriesOf, type MetricRecord } from '../runs/metrics-file.js';

const PROXY = ['testReward', 'reward', 'score', 'rm_score', 'meanReward'];
const HELD_OUT = ['testMonitor', 'testExact', 'pass1', 'passAt1', 'accuracy', 'exact'];
const LENGTH = ['testLength', 'responseLength', 'length'];

export interface HackingPoint {
  stage: string;
  proxy: number | null;
  heldOut: number | null;
  length: number | null;
  flags: string[];
}

export interface HackingView {
  series: string | null;
  proxyKey: string | null;
  heldOutKey: string | null;
  lengthKey: string | null;
  points: HackingPoint[];
  flagged: number;
}

function pick(records: MetricRecord[], keys: string[]): string | null {
  return keys.find((k) => records.some((r) => { const x = metricNumber(r[k]); return x !== null && Number.isFinite(x); })) ?? null;
}

export function hackingSignals(metrics: MetricRecord[], gap = 0.05, drift = 0.5): HackingView {
  const bySeries = new Map<string, MetricRecord[]>();
  for (const m of metrics) if (m['event'] === undefined) bySeries.set(seriesOf(m.stage), [...(bySeries.get(seriesOf(m.stage)) ?? []), m]);
  // The series that holds a proxy reward beside a held-out figure; evaluations first.
  const order = [...bySeries.keys()].sort((a, b) => Number(b === 'eval') - Number(a === 'eval'));
  const series = order.find((s) => pick(bySeries.get(s)!, PROXY) && (pick(bySeries.get(s)!, HELD_OUT) || pick(bySeries.get(s)!, LENGTH))) ?? null;
  if (series === null) return { series: null, proxyKey: null, heldOutKey: null, lengthKey: null, points: [], flagged: 0 };
  const recs = bySeries.get(series)!;
  const proxyKey = pick(recs, PROXY), heldOutKey = pick(recs, HELD_OUT), lengthKey = pick(recs, LENGTH);
  const get = (r: MetricRecord, k: string | null) => (k === null ? null : metricNumber(r[k]));
  const first = recs[0]!;
  const p0 = get(first, proxyKey), h0 = get(first, heldOutKey), l0 = get(first, lengthKey);
  const points = recs.map((r, i): HackingPoint => {
    const proxy = get(r, proxyKey), heldOut = get(r, heldOutKey), length = get(r, lengthKey), flags: string[] = [];
    if (i > 0 && proxy !== null && p0 !== null && heldOut !== null && h0 !== null && proxy - p0 > gap && heldOut - h0 <= 0) {
      flags.push(`${proxyKey} +${(proxy - p0).toFixed(3)} since ${first.stage} while ${heldOutKey} ${heldOut - h0 === 0 ? 'did not move' : (heldOut - h0).toFixed(3)}`);
    }
    if (i > 0 && length !== null && l0 !== null && l0 > 0 && Math.abs(length / l0 - 1) > drift) {
      flags.push(`${lengthKey} ${length.toFixed(1)} is ${(100 * (length / l0 - 1)).toFixed(0)}% off its first ${l0.toFixed(1)}`);
    }
    return { stage: r.stage, proxy, heldOut, length, flags };
  });
  return { series, proxyKey, heldOutKey, lengthKey, points, flagged: points.filter((p) => p.flags.length).length };
}

export interface SerLoop {
  loop: number;
  stage: string;
  status: number | null;
  poolSize: number | null;
  selected: number | null;
  status1Pairs: number | null;
  status2Pairs: number | null;
  precision: number | null;
  poolAccuracy: number | null;
  stop: string | null;
  /** The reward model trained after the loop's selection. */
  trainPairs: number | null;
  testAccuracy: number | null;
}

/** SER's loops from its `…/loop<N>/select` and `…/loop<N>/rm` records; empty for other runs. */
export function serLoops(metrics: MetricRecord[]): SerLoop[] {
  const loops = new Map<number, SerLoop>();
  const num = (v: unknown) => { const x = metricNumber(v); return x === null ? null : x; };
  for (const m of metrics) {
    const hit = /(?:^|\/)loop(\d+)\/(select|rm)$/.exec(m.stage);
    if (!hit || m['event'] !== undefined) continue;
    const n = Number(hit[1]);
    const l = loops.get(n) ?? { loop: n, stage: m.stage, status: null, poolSize: null, selected: null, status1Pairs: null, status2Pairs: null, precision: null, poolAccuracy: null, stop: null, trainPairs: null, testAccuracy: null };
    if (hit[2] === 'select') {
      Object.assign(l, { stage: m.stage, status: num(m['status']), poolSize: num(m['poolSize']), selected: num(m['selected']), status1Pairs: num(m['status1Pairs']),
        status2Pairs: num(m['status2Pairs']), precision: num(m['precision']), poolAccuracy: num(m['poolAccuracy']), stop: typeof m['stop'] === 'string' ? m['stop'] : null });
    } else {
      Object.assign(l, { trainPairs: num(m['trainPairs']), testAccuracy: num(m['testAccuracy']) });
    }
    loops.set(n, l);
  }
  return [...loops.values()].sort((a, b) => a.loop - b.loop);
}
