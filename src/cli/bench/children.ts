// Runs each contender of `alignkit bench` in a child process of its own (so that its peak RSS is
// its own) and records, around it, how much of the CPU the rest of the machine was using: the
// busy time in /proc/stat minus the child's own CPU time, as cores in use over the child's wall
// time. On a shared machine that number says how far a line can be trusted.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ChildResult {
  /** The child's last stdout line, parsed; null when it failed. */
  value: Record<string, unknown> | null;
  /** Why it failed (the last line of stderr, or the signal). */
  error?: string;
  wallS: number;
  /** Cores that other processes kept busy during the child's run (null where /proc/stat is absent). */
  othersCores: number | null;
}

function cpuTicks(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3]! - f[4]!, total };
  } catch {
    return null;
  }
}

/** USER_HZ: the unit of /proc/stat, 100 on every Linux that Node supports. */
const HZ = 100;

export function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutS: number): ChildResult {
  const before = cpuTicks();
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 16 << 20 });
  const wallS = (performance.now() - t0) / 1000;
  const after = cpuTicks();
  const lastLine = (s: string | null): string => (s ?? '').trim().split('\n').filter(Boolean).pop() ?? '';
  let value: Record<string, unknown> | null = null;
  let error: string | undefined;
  if (r.error) error = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${timeoutS} s` : r.error.message;
  else if (r.status !== 0) error = lastLine(r.stderr) || `exit ${r.status ?? r.signal}`;
  else {
    try {
      value = JSON.parse(lastLine(r.stdout)) as Record<string, unknown>;
    } catch {
      error = `no JSON result (${lastLine(r.stdout) || lastLine(r.stderr) || 'empty output'})`;
    }
  }
  const ownCpuS = typeof value?.['cpu_s'] === 'number' ? (value['cpu_s'] as number) : null;
  const othersCores = before && after && ownCpuS !== null && wallS > 0
    ? Math.max(0, ((after.busy - before.busy) / HZ - ownCpuS) / wallS)
    : null;
  return { value, ...(error ? { error } : {}), wallS, othersCores };
}

/** Runs `cmd -c probe` style checks quietly; the trimmed stdout, or null on any failure. */
export function probe(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string | null {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
  return !r.error && r.status === 0 ? r.stdout.trim() : null;
}
