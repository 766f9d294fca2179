// What a resume undoes after a crash, so that the stage that was in progress can run again from
// nothing: its temporary files go, a checkpoint caught mid-replacement gets its old copy back, and
// its metrics are dropped (they will be logged again when it reruns, and must not count twice).
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../io/atomic-write.js';
import { CHECKPOINTS_DIR, METRICS_FILE, OLD_SUFFIX, RunStoreError, SAMPLES_DIR } from './run-layout.js';

export interface Recovery {
  /** Paths (relative to the run) of temporary files and directories removed. */
  removed: string[];
  /** Checkpoints whose replacement was interrupted, put back from their old copy. */
  restored: string[];
  /** Metric records dropped: of stages not completed, plus a torn last line. */
  droppedMetrics: number;
  /** Who held the run lock left behind by a killed process (taken over), or null. */
  staleLock: string | null;
}

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export function recoverRun(dir: string, completed: ReadonlySet<string>, staleLock: string | null): Recovery {
  const r: Recovery = { removed: [], restored: [], droppedMetrics: 0, staleLock };
  // saveCheckpoint and saveModel move the old copy to <name>.old.tmp before renaming the new one
  // in; killed between the two renames, <name> is missing and the old copy is the last good one.
  for (const sub of [CHECKPOINTS_DIR, '']) {
    for (const name of entries(join(dir, sub))) {
      if (!name.endsWith(OLD_SUFFIX)) continue;
      const base = name.slice(0, -OLD_SUFFIX.length);
      if (!existsSync(join(dir, sub, base))) {
        renameSync(join(dir, sub, name), join(dir, sub, base));
        r.restored.push(sub ? `${sub}/${base}` : base);
      }
    }
  }
  r.removed.push(...removeTemporaries(dir, LEFTOVER));
  r.droppedMetrics = trimMetrics(join(dir, METRICS_FILE), completed);
  return r;
}

// `<name>.tmp`: saveCheckpoint's, saveModel's and the sample writers' work in progress;
// `<name>.tmp.tmp-<pid>` and `<name>.tmp.old-<pid>`: saveModelDir's own, when it writes into a
// `<name>.tmp` (issue 16: these were never removed); `.<file>.<pid>.<ms>.tmp`: atomicWriteFile's.
const LEFTOVER = /\.tmp(\.(tmp|old)-\d+)?$/;

/**
 * What a run killed before its config.json was written can have left in its directory. A fresh
 * run removes only these: the directory may hold a person's own files, and a name like notes.tmp
 * is not the run's to delete.
 */
const FRESH_LEFTOVER = /^(\.(config\.json|state\.json|metrics\.jsonl)\.\d+\.\d+\.tmp|model\.tmp(\.(tmp|old)-\d+)?|model\.old\.tmp)$/;

/** Removes the temporary files and folders matching `pattern` in the run directory, samples/ and checkpoints/; returns their paths. */
export function removeTemporaries(dir: string, pattern: RegExp = FRESH_LEFTOVER): string[] {
  const removed: string[] = [];
  for (const sub of ['', SAMPLES_DIR, CHECKPOINTS_DIR]) {
    for (const name of entries(join(dir, sub))) {
      if (!pattern.test(name)) continue;
      rmSync(join(dir, sub, name), { recursive: true, force: true });
      removed.push(sub ? `${sub}/${name}` : name);
    }
  }
  return removed;
}

/**
 * Rewrites metrics.jsonl with only the records of completed stages and returns how many were
 * dropped. A line that does not parse is allowed only last, unterminated: appendFileSync writes
 * whole lines, so only a process killed mid-append can leave one. Anything else is damage that
 * dropping would hide, so it is reported with its line.
 */
export function trimMetrics(file: string, completed: ReadonlySet<string>): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const unterminated = lines.pop()!; // '' when the file ends with a newline
  const kept: string[] = [];
  let dropped = 0;
  const consider = (raw: string, line: number, torn: boolean) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      if (torn) return void dropped++;
      throw new RunStoreError(`${file}:${line}`, `invalid JSON (${(err as Error).message}); only an unterminated last line can come from a crash, so this file was damaged otherwise`);
    }
    const stage = (value as { stage?: unknown } | null)?.stage;
    if (typeof stage === 'string' && completed.has(stage)) kept.push(raw);
    else dropped++;
  };
  lines.forEach((raw, i) => consider(raw, i + 1, false));
  consider(unterminated, lines.length + 1, true);
  if (dropped > 0 || unterminated !== '') atomicWriteFile(file, kept.map((l) => l + '\n').join(''));
  return dropped;
}
