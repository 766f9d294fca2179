// metrics.jsonl read while it may still be appended to: the last line can be half written (or
// torn by a crash), so it is skipped when it does not parse; any other bad line is an error that
// names it. Shared by the run summary, `runs list`/`runs show`, the dashboard and the TensorBoard
// writer, which all take metrics.jsonl as the source of truth.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS_FILE, RunStoreError } from './run-layout.js';

/** One line of metrics.jsonl: `{stage, time, ...figures}` as RunStore.logMetrics wrote it. */
export interface MetricRecord {
  stage: string;
  time: string;
  [key: string]: unknown;
}

export function parseMetricLines(text: string, file: string): MetricRecord[] {
  const lines = text.split('\n');
  const out: MetricRecord[] = [];
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      if (i === lines.length - 1) return; // being appended right now, or torn by a crash
      throw new RunStoreError(`${file}:${i + 1}`, `invalid JSON (${(err as Error).message})`);
    }
    const r = (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}) as Record<string, unknown>;
    out.push({ ...r, stage: typeof r['stage'] === 'string' ? r['stage'] : '(none)', time: typeof r['time'] === 'string' ? r['time'] : '' });
  });
  return out;
}

/** The records of `<dir>/metrics.jsonl` (none when the file is absent). */
export function readMetrics(dir: string): MetricRecord[] {
  const file = join(dir, METRICS_FILE);
  return existsSync(file) ? parseMetricLines(readFileSync(file, 'utf8'), file) : [];
}

/** A metric value as a number: the store writes a non-finite figure as the string "NaN" or "Infinity". */
export function metricNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return null;
}

/**
 * The series a stage's figures belong to, by its last path segment without the numbers that
 * tell iterations apart: `policy0/eval` and `grow2/improve3/eval` are both `eval`,
 * `grow1/improve2` is `improve`, PPO's `step-8` is `step`. Curves and TensorBoard tags use it.
 */
export function seriesOf(stage: string): string {
  const last = stage.split('/').pop() ?? stage;
  return last.replace(/\d+/g, '').replace(/[-_.]+$/, '') || last;
}
