// The runs under a directory as `runs list`, `runs show` and the dashboard present them: one
// entry per run directory with its status (runs/run-status.ts says how it is derived), when it
// started, how long it has run, and the last figures of each series of metrics.
import { relative, resolve, sep } from 'node:path';
import { metricNumber, seriesOf, type MetricRecord } from '../runs/metrics-file.js';
import { findRuns, readRunStatus, type RunStatus, type RunStatusKind } from '../runs/run-status.js';

export interface RunEntry {
  /** The run's path relative to the runs directory, with `/` ("." for the directory itself). */
  id: string;
  dir: string;
  command: string | null;
  status: RunStatusKind;
  why: string;
  started: string | null;
  updated: string | null;
  /** Seconds from the first record to the last (to now while it runs). */
  seconds: number | null;
  stages: number;
  metricRecords: number;
  /** Per series (seriesOf), the last record's stage and numeric figures. */
  last: Record<string, { stage: string; figures: Record<string, number> }>;
  /** The last record's series, the one a one-line view shows. */
  lastSeries: string | null;
}

/** The numeric figures of a record (a non-finite one is kept: a diverged loss is worth seeing). */
export function figuresOf(m: MetricRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === 'stage' || k === 'time') continue;
    const x = metricNumber(v);
    if (x !== null) out[k] = x;
  }
  return out;
}

export function lastFigures(metrics: MetricRecord[]): RunEntry['last'] {
  const last: RunEntry['last'] = {};
  for (const m of metrics) {
    if (m['event'] !== undefined) continue;
    last[seriesOf(m.stage)] = { stage: m.stage, figures: figuresOf(m) };
  }
  return last;
}

export function runId(root: string, dir: string): string {
  const r = relative(root, dir).split(sep).join('/');
  return r === '' ? '.' : r;
}

export function entryOf(root: string, dir: string, s: RunStatus = readRunStatus(dir), now = Date.now()): RunEntry {
  const t0 = s.started ? Date.parse(s.started) : NaN, t1 = s.status === 'running' ? now : s.updated ? Date.parse(s.updated) : NaN;
  const data = s.metrics.filter((m) => m['event'] === undefined);
  return {
    id: runId(root, dir), dir, command: s.command, status: s.status, why: s.why, started: s.started, updated: s.updated,
    seconds: Number.isFinite(t0) && Number.isFinite(t1) ? Math.max(0, (t1 - t0) / 1000) : null,
    stages: s.stages.length, metricRecords: s.metrics.length, last: lastFigures(s.metrics),
    lastSeries: data.length ? seriesOf(data[data.length - 1]!.stage) : null,
  };
}

/** Every run under `root`, by id. A run whose files cannot be read is listed with the error as its reason. */
export function listRuns(root: string): RunEntry[] {
  const abs = resolve(root);
  return findRuns(abs).map((dir) => {
    try {
      return entryOf(abs, dir);
    } catch (err) {
      return {
        id: runId(abs, dir), dir, command: null, status: 'failed', why: `unreadable: ${(err as Error).message}`, started: null, updated: null,
        seconds: null, stages: 0, metricRecords: 0, last: {}, lastSeries: null,
      } satisfies RunEntry;
    }
  });
}
