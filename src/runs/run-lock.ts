// One process per run directory. A resume removes every *.tmp it finds and rewrites metrics.jsonl,
// which would destroy the work of a run still going in the same --out (a second terminal, a
// restarted job whose first copy still lives). A lock left by a killed process is taken over
// once its pid is gone. Across machines the pid cannot be checked; there the lock is taken over
// too, because a preempted job that resumes on a new host is far more common than two hosts
// training into one shared directory, and it must not need a hand to delete the lock.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile } from '../io/atomic-write.js';
import { LOCK_FILE, RunStoreError } from './run-layout.js';

export interface LockOwner { pid: number; host: string; since: string }

const held = new Set<string>();
let exitHookInstalled = false;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock file `file`, or null when it is unreadable (torn, or not a lock). */
export function readLockOwner(file: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, since: String(v.since) } : null;
  } catch {
    return null; // unreadable or torn: nobody can be shown to hold it
  }
}

/** Takes the lock; returns who held a stale lock that was taken over (for the resume report), else null. */
export function acquireRunLock(dir: string): string | null {
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  let stale: string | null = null;
  try {
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunStoreError(file, `cannot create the run lock (${(err as Error).message})`, { cause: err });
    const owner = readLockOwner(file);
    const ours = owner && owner.pid === me.pid && owner.host === me.host;
    if (owner && !ours && owner.host === me.host && processAlive(owner.pid)) {
      throw new RunStoreError(
        file,
        `the run is in use by process ${owner.pid} on ${owner.host} since ${owner.since}; ` +
          `wait for it to end, or delete ${LOCK_FILE} if that process is gone`,
      );
    }
    if (!ours) stale = owner ? `process ${owner.pid} on ${owner.host} since ${owner.since}` : 'an unreadable lock';
    atomicWriteFile(file, text);
  }
  held.add(file);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const f of held) releaseFile(f);
    });
  }
  return stale;
}

function releaseFile(file: string): void {
  const owner = existsSync(file) ? readLockOwner(file) : null;
  if (owner && owner.pid === process.pid && owner.host === hostname()) rmSync(file, { force: true });
  held.delete(file);
}

export function releaseRunLock(dir: string): void {
  releaseFile(join(dir, LOCK_FILE));
}
