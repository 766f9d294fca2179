// The dashboard's JSON answers, one function per endpoint, over the runs directory `root`. A run
// or an evaluation is named by its id (its path under root), looked up among those found there,
// so no request can name a file outside them. Everything is read with plain reads: nothing here
// opens a file for writing, takes a lock or removes a temporary file (the run store's resume does
// that; the dashboard must never change a run it shows).
import { resolve } from 'node:path';
import { seriesOf } from '../runs/metrics-file.js';
import { findRuns, readRunStatus } from '../runs/run-status.js';
import { evalView, findEvals } from './eval-view.js';
import { growView, type GrowFilter } from './grow-browser.js';
import { entryOf, figuresOf, runId } from './run-index.js';
import { hackingSignals, serLoops } from './signals.js';

export class NotFound extends Error {}

const num = (s: string | null): number | undefined => (s === null || s === '' || !Number.isFinite(Number(s)) ? undefined : Number(s));

export function dashboardApi(rootDir: string) {
  const root = resolve(rootDir);
  const runDir = (id: string | null): string => {
    const dir = findRuns(root).find((d) => runId(root, d) === id);
    if (!dir) throw new NotFound(`no run "${id}" under ${root}`);
    return dir;
  };
  return {
    runs() {
      const runs = findRuns(root).map((d) => {
        try {
          const s = readRunStatus(d);
          const { dir: _dir, ...e } = entryOf(root, d, s);
          return { ...e, config: s.config };
        } catch (err) {
          return { id: runId(root, d), status: 'failed', why: `unreadable: ${(err as Error).message}` };
        }
      });
      const evals = findEvals(root).map((d) => {
        const { rows: _rows, dir: _dir, ...e } = evalView(d);
        return { id: runId(root, d), ...e };
      });
      return { root, runs, evals };
    },
    metrics(q: URLSearchParams) {
      const dir = runDir(q.get('run'));
      const s = readRunStatus(dir);
      const count = new Map<string, number>();
      const records = s.metrics.filter((m) => m['event'] === undefined).map((m) => {
        const series = seriesOf(m.stage), x = (count.get(series) ?? 0) + 1;
        count.set(series, x);
        return { series, x, stage: m.stage, time: m.time, figures: figuresOf(m) };
      });
      return { id: q.get('run'), status: s.status, why: s.why, command: s.command, config: s.config, stages: s.stages.length, records };
    },
    samples(q: URLSearchParams) {
      const dir = runDir(q.get('run'));
      const verdict = q.get('verdict');
      const f: GrowFilter = {
        policy: q.get('policy') || undefined, kept: q.get('kept') || undefined, minReward: num(q.get('min')), maxReward: num(q.get('max')),
        verdict: verdict === 'correct' || verdict === 'wrong' || verdict === 'none' ? verdict : undefined, text: q.get('q') || undefined,
      };
      return growView(dir, q.get('stage') || undefined, f, num(q.get('offset')) ?? 0, Math.min(num(q.get('limit')) ?? 100, 1000));
    },
    signals(q: URLSearchParams) {
      const s = readRunStatus(runDir(q.get('run')));
      return { hacking: hackingSignals(s.metrics), ser: serLoops(s.metrics) };
    },
    evaluation(q: URLSearchParams) {
      const dir = findEvals(root).find((d) => runId(root, d) === q.get('id'));
      if (!dir) throw new NotFound(`no evaluation "${q.get('id')}" under ${root}`);
      const { dir: _dir, ...e } = evalView(dir);
      return { id: q.get('id'), ...e };
    },
  };
}
