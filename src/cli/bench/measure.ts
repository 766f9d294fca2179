// Timing and memory helpers shared by the benchmark's parent and its child processes.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Peak resident set of this process in MiB: VmHWM from /proc/self/status, else ru_maxrss. */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

export interface Rounds {
  /** Timed rounds, each of `steps` calls; the best round counts (quiet moments of a shared machine). */
  rounds: number;
  steps: number;
  /** Untimed calls first (allocation, JIT, caches). */
  warmup: number;
  /** Stop adding rounds after this many milliseconds (at least one round always runs). */
  budgetMs: number;
}

/** Milliseconds per call of the best round. */
export function bestOf(r: Rounds, call: () => void): { msPerCall: number; roundsRun: number } {
  for (let i = 0; i < r.warmup; i++) call();
  let best = Infinity, roundsRun = 0;
  const start = performance.now();
  do {
    const t0 = performance.now();
    for (let i = 0; i < r.steps; i++) call();
    best = Math.min(best, (performance.now() - t0) / r.steps);
    roundsRun++;
  } while (roundsRun < r.rounds && performance.now() - start < r.budgetMs);
  return { msPerCall: best, roundsRun };
}

/** The 1-minute load average and the cores, so a report can say when others were busy. */
export function load(): { load1: number; cores: number } {
  return { load1: loadavg()[0]!, cores: cpus().length };
}
