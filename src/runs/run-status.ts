// Whether a run is running, finished, failed or resumable, derived from what the run directory
// already holds (issue 21) — nothing is written to find out:
//   running    run.lock names a live process on this host (another host's cannot be checked:
//              its lock is taken to mean the run goes on there);
//   failed     no live lock, and the last metrics record is the `{event: "failed"}` line that
//              RunStore.stage writes when a stage throws (a diverged loss, a bad input, …);
//   resumable  no live lock and not failed, but the run stopped short: run.lock was left by a
//              process that is gone (killed), a stage logged metrics without completing, a
//              temporary file is left, or no stage completed at all; --resume continues it;
//   finished   otherwise: the lock was released and every logged stage completed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readJson } from '../io/checkpoint.js';
import { CHECKPOINTS_DIR, CONFIG_FILE, FAILED_EVENT, LOCK_FILE, SAMPLES_DIR, STATE_FILE, TMP_SUFFIX } from './run-layout.js';
import { processAlive, readLockOwner } from './run-lock.js';
import { readMetrics, type MetricRecord } from './metrics-file.js';
import { readRunState, type CompletedStage } from './run-state.js';

export type RunStatusKind = 'running' | 'finished' | 'failed' | 'resumable';

export interface RunStatus {
  status: RunStatusKind;
  /** Why, in words: the process, the failing stage and its error, the stage left in progress. */
  why: string;
  /** `command` of config.json (`demo` for a demo's runs), or null. */
  command: string | null;
  config: Record<string, unknown> | null;
  stages: CompletedStage[];
  /** Time of the first record written (a metric or a completed stage), or null. */
  started: string | null;
  /** Time of the last one. */
  updated: string | null;
  metrics: MetricRecord[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function leftovers(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['', SAMPLES_DIR, CHECKPOINTS_DIR]) {
    const d = join(dir, sub);
    if (existsSync(d) && statSync(d).isDirectory()) for (const n of readdirSync(d)) if (n.endsWith(TMP_SUFFIX)) out.push(sub ? `${sub}/${n}` : n);
  }
  return out;
}

function derive(dir: string, stages: CompletedStage[], metrics: MetricRecord[]): { status: RunStatusKind; why: string } {
  const lock = join(dir, LOCK_FILE);
  const owner = existsSync(lock) ? readLockOwner(lock) : null;
  if (owner && owner.host !== hostname()) return { status: 'running', why: `held by process ${owner.pid} on ${owner.host} since ${owner.since} (another host: not checked)` };
  if (owner && processAlive(owner.pid)) return { status: 'running', why: `process ${owner.pid} since ${owner.since}` };
  const last = metrics[metrics.length - 1];
  if (last && last['event'] === FAILED_EVENT) return { status: 'failed', why: `stage ${last.stage}: ${String(last['error'])}` };
  if (existsSync(lock)) return { status: 'resumable', why: owner ? `process ${owner.pid} ended without releasing the run (killed?)` : 'an unreadable run.lock was left' };
  const done = new Set(stages.map((s) => s.stage));
  const open = metrics.find((m) => !done.has(m.stage));
  if (open) return { status: 'resumable', why: `stage ${open.stage} logged metrics but did not complete` };
  const tmp = leftovers(dir);
  if (tmp.length) return { status: 'resumable', why: `work in progress was left: ${tmp.slice(0, 3).join(', ')}` };
  if (stages.length === 0) return { status: 'resumable', why: 'no stage completed' };
  return { status: 'finished', why: `${stages.length} stages completed, the last ${stages[stages.length - 1]!.stage}` };
}

/** The status of the run in `dir` and what it was derived from. Reads only. */
export function readRunStatus(dir: string): RunStatus {
  const configFile = join(dir, CONFIG_FILE);
  const raw = existsSync(configFile) ? readJson(configFile, 'run config') : null;
  const config = isObject(raw) ? raw : null;
  const stages = existsSync(join(dir, STATE_FILE)) ? readRunState(dir).completed : [];
  const metrics = readMetrics(dir);
  const times = [...metrics.map((m) => m.time), ...stages.map((s) => s.at)].filter((t) => t !== '').sort();
  const cmd = config?.['command'] ?? config?.['demo'];
  return {
    ...derive(dir, stages, metrics), command: typeof cmd === 'string' ? cmd : null, config, stages,
    started: times[0] ?? null, updated: times[times.length - 1] ?? null, metrics,
  };
}

/** The run directories under `root` (itself included), found by their config.json, `maxDepth` levels down at most. */
export function findRuns(root: string, maxDepth = 3): string[] {
  const out: string[] = [];
  const skip = new Set([SAMPLES_DIR, CHECKPOINTS_DIR, 'model', 'node_modules']);
  const walk = (dir: string, depth: number): void => {
    if (existsSync(join(dir, CONFIG_FILE)) && (existsSync(join(dir, STATE_FILE)) || existsSync(join(dir, LOCK_FILE)) || existsSync(join(dir, 'metrics.jsonl')))) out.push(dir);
    if (depth >= maxDepth) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // unreadable: not ours to report
    }
    for (const n of names) {
      if (skip.has(n) || n.startsWith('.') || n.endsWith(TMP_SUFFIX)) continue;
      const p = join(dir, n);
      try {
        if (statSync(p).isDirectory()) walk(p, depth + 1);
      } catch {
        // removed while we looked
      }
    }
  };
  walk(root, 0);
  return out;
}
