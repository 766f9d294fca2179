// `alignkit runs list` and `alignkit runs show`: the dashboard's runs list and a run's summary as
// plain text, for people who stay in the shell (issue 21).
import { formatDuration } from '../io/progress.js';
import { readRunSummary } from '../runs/run-summary.js';
import type { RunEntry } from './run-index.js';

const fig = (x: number): string => (Number.isInteger(x) && Math.abs(x) < 1e9 ? String(x) : Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
const when = (t: string | null): string => (t ? t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function headline(e: RunEntry, max = 4): string {
  if (e.lastSeries === null) return '—';
  const { figures } = e.last[e.lastSeries]!;
  const shown = Object.entries(figures).filter(([k]) => k !== 'step').slice(0, max);
  return `${e.lastSeries}: ${shown.map(([k, v]) => `${k} ${fig(v)}`).join(', ')}`;
}

export function runsListText(root: string, runs: RunEntry[]): string {
  if (runs.length === 0) return `no runs under ${root} (a run directory holds config.json and state.json or metrics.jsonl)`;
  const rows = [['RUN', 'COMMAND', 'STATUS', 'STARTED', 'DURATION', 'STAGES', 'LAST METRICS']];
  for (const e of runs) {
    rows.push([e.id, e.command ?? '—', e.status, when(e.started), e.seconds === null ? '—' : formatDuration(e.seconds), String(e.stages), headline(e)]);
  }
  return `${table(rows)}\n\n${runs.length} run${runs.length === 1 ? '' : 's'} under ${root}`;
}

const short = (s: string, n = 100): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

function configLines(config: Record<string, unknown> | null): string[] {
  if (!config) return ['  (no config.json)'];
  return Object.entries(config).map(([k, v]) => `  ${k}: ${short(JSON.stringify(v) ?? String(v))}`);
}

export function runShowText(e: RunEntry, config: Record<string, unknown> | null): string {
  const summary = readRunSummary(e.dir);
  const out = [
    `run       ${e.dir}`,
    `command   ${e.command ?? '—'}`,
    `status    ${e.status} (${e.why})`,
    `started   ${when(e.started)}`,
    `duration  ${e.seconds === null ? '—' : formatDuration(e.seconds)}`,
    '', 'config:', ...configLines(config),
    '', `stages completed (${summary.stages.length}):`,
  ];
  if (summary.stages.length) out.push(table(summary.stages.map((s) => ['  ' + s.stage, when(s.at), short(JSON.stringify(s.result) ?? 'null')])));
  if (summary.samples.length) {
    out.push('', 'samples:');
    out.push(table([['  STAGE', 'RECORDS', 'PROMPTS', 'KEPT', 'MEAN REWARD'], ...summary.samples.map((s) => [
      '  ' + s.stage, String(s.records), String(s.prompts),
      Object.keys(s.keptBy).length ? Object.entries(s.keptBy).map(([k, v]) => `${k} ${v}`).join(', ') : String(s.kept),
      s.meanReward === null ? '—' : fig(s.meanReward),
    ])]));
  }
  out.push('', 'last metrics:');
  const series = Object.entries(e.last);
  if (series.length === 0) out.push('  (none)');
  else out.push(table([['  SERIES', 'STAGE', 'FIGURES'], ...series.map(([name, l]) => ['  ' + name, l.stage, Object.entries(l.figures).map(([k, v]) => `${k} ${fig(v)}`).join(', ')])]));
  if (summary.inProgress.length) out.push('', `in progress: ${summary.inProgress.join(', ')}`);
  return out.join('\n');
}
