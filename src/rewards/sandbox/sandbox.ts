// Runs a model-written JavaScript function against a task's assertions in a separate Node
// process, so that a sample which loops, allocates without bound, crashes V8 or reaches for the
// file system, the network or a shell costs one verdict, never the trainer. Two walls, either of
// which alone would stop the hostile samples in the tests:
//  - inside: the code runs in a vm context with a minimal global (worker.ts), string
//    compilation off, no `require`, `process` or `import`;
//  - outside: the process runs under Node's permission model (reads only the worker file; no
//    writes, child processes, worker threads or addons), with eval disabled in its own realm too
//    (so an object leaked across the vm boundary cannot compile code), an empty env, stdin on
//    /dev/null, a V8 heap limit, an RSS watchdog and a wall clock that ends in SIGKILL.
// Node 20's permission model has no network switch (--allow-net arrived in Node 25); the
// network is out of reach only because nothing in the context can open a socket.
// The verdict is out of the sample's reach too: the tests run in a third realm that the sample
// never holds an object of, and its answers reach them as data (worker.ts, crossing.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultLimiter, type Limiter } from './limiter.js';
import type { WorkerPayload, WorkerReport } from './worker.js';

export type SandboxStatus = 'pass' | 'fail' | 'error' | 'timeout' | 'memory' | 'forbidden' | 'crash';

export interface SandboxResult {
  passed: boolean;
  /**
   * pass: every test held. fail: a test threw or an assertion failed. error: the code does not
   * compile, throws while loading, or lacks `entry`. timeout: the wall clock ran out. memory: the
   * heap limit or the RSS watchdog stopped it. forbidden: it touched require, process, import,
   * fetch, eval or Function (even if it caught the error). crash: the worker died without a
   * verdict (a V8 fatal error other than memory, an output flood).
   */
  status: SandboxStatus;
  detail: string;
  /** From spawn to exit; time spent queued behind the limiter is not counted. */
  durationMs: number;
}

export interface SandboxOptions {
  /** Budget for the code and all its tests; 2 s is generous for the short functions a task asks for. */
  timeoutMs?: number;
  /** V8 old-space limit; 64 MB holds any reasonable answer to a short program problem. */
  memoryMb?: number;
  /** Name of the function the code must define; without it only the tests decide. */
  entry?: string;
  /** Where to queue for a slot; defaults to one shared limiter with a slot per core. */
  limiter?: Limiter;
}

/** Process start-up (≈ 50 ms idle, more on a loaded machine) is not the sample's fault. */
const STARTUP_GRACE_MS = 500;
/** The worker prints one short line; anything longer is not a verdict. */
const STDOUT_CAP = 64 * 1024;
/** Enough to see V8's "heap out of memory" banner and the first lines of a crash. */
const STDERR_CAP = 16 * 1024;
// One V8 allocation can overshoot the heap limit by a whole large string before the next GC
// gives up, so RSS is sampled often.
const WATCH_EVERY_MS = 25;
/** A JS identifier, ASCII only: `entry` is pasted into a `typeof` check. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The worker and the modules it imports: the only files its permission model lets it read. */
const WORKER_MODULES = ['worker.js', 'crossing.js', 'judge-realm.js', 'sample-realm.js'];

let worker: string[] | null = null;

/** The compiled worker files beside this one (worker first), resolved on first use so importing this module never touches the disk. */
function workerFiles(): string[] {
  // Real paths: the permission model compares the paths it is given with resolved ones.
  worker ??= WORKER_MODULES.map((m) => realpathSync(fileURLToPath(new URL(`./${m}`, import.meta.url))));
  return worker;
}

// The flag lost its "experimental-" in Node 23.5 and 22.13; the old spelling is what 20 knows.
const [MAJOR = 0, MINOR = 0] = process.versions.node.split('.').map(Number);
const PERMISSION_FLAG = MAJOR > 22 || (MAJOR === 22 && MINOR >= 13) ? '--permission' : '--experimental-permission';

/**
 * Node flags of a sandbox process, minus the script to run. Exported so a test can check the
 * outer wall on its own (`node <flags> -e ...`).
 */
export function sandboxNodeFlags(memoryMb: number, readable: string[] = []): string[] {
  return [
    PERMISSION_FLAG,
    ...readable.map((p) => `--allow-fs-read=${p}`),
    '--disallow-code-generation-from-strings',
    `--max-old-space-size=${memoryMb}`,
    // The young generation sits outside --max-old-space-size; keep it small so the total heap
    // stays near memoryMb.
    `--max-semi-space-size=${Math.max(1, Math.floor(memoryMb / 32))}`,
    '--no-warnings',
  ];
}

/** RSS ceiling for the watchdog: Node itself takes ≈ 45 MB, and V8 overshoots its heap limit before it gives up. */
export function rssLimitMb(memoryMb: number): number {
  return 2 * memoryMb + 128;
}

export function runInSandbox(code: string, tests: string[] | string, opts: SandboxOptions = {}): Promise<SandboxResult> {
  if (typeof code !== 'string') throw new TypeError(`runInSandbox: code must be a string, got ${typeof code}`);
  const list = typeof tests === 'string' ? [tests] : tests;
  if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
    throw new TypeError('runInSandbox: tests must be a string or an array of strings');
  }
  // With nothing to fail, any code would pass: that is a task's bug, not a verdict.
  if (list.length === 0) throw new RangeError('runInSandbox: tests must not be empty');
  const timeoutMs = opts.timeoutMs ?? 2000;
  const memoryMb = opts.memoryMb ?? 64;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`runInSandbox: timeoutMs must be a positive number, got ${timeoutMs}`);
  if (!(Number.isInteger(memoryMb) && memoryMb >= 16)) throw new RangeError(`runInSandbox: memoryMb must be an integer >= 16, got ${memoryMb}`);
  if (opts.entry !== undefined && !IDENTIFIER.test(opts.entry)) {
    throw new TypeError(`runInSandbox: entry must be a JavaScript identifier, got ${JSON.stringify(opts.entry)}`);
  }
  const payload: WorkerPayload = {
    code, tests: list, entry: opts.entry ?? null, timeoutMs: Math.ceil(timeoutMs), nonce: randomBytes(12).toString('hex'),
  };
  return (opts.limiter ?? defaultLimiter()).run(() => spawnWorker(payload, memoryMb));
}

function spawnWorker(payload: WorkerPayload, memoryMb: number): Promise<SandboxResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let files: string[];
    try {
      files = workerFiles();
    } catch (err) {
      return resolve({ passed: false, status: 'crash', detail: `sandbox worker missing (${(err as Error).message})`, durationMs: 0 });
    }
    const child = spawn(process.execPath, [...sandboxNodeFlags(memoryMb, files), files[0]!], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: {},
      cwd: dirname(files[0]!),
      windowsHide: true,
    });
    let stdout = '', stderr = '';
    let killedFor: { status: SandboxStatus; detail: string } | null = null;
    let settled = false;
    const finish = (status: SandboxStatus, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      resolve({ passed: status === 'pass', status, detail, durationMs: Math.round(performance.now() - t0) });
    };
    const kill = (status: SandboxStatus, detail: string) => {
      killedFor ??= { status, detail };
      child.kill('SIGKILL');
    };

    const timer = setTimeout(() => kill('timeout', `killed after ${payload.timeoutMs} ms (+${STARTUP_GRACE_MS} ms start-up grace)`),
      payload.timeoutMs + STARTUP_GRACE_MS);
    const rssCap = rssLimitMb(memoryMb);
    const watchdog = setInterval(() => {
      const mb = rssMb(child.pid);
      if (mb !== null && mb > rssCap) kill('memory', `resident memory ${Math.round(mb)} MB passed the ${rssCap} MB watchdog limit`);
    }, WATCH_EVERY_MS);

    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      if (stdout.length > STDOUT_CAP) kill('crash', `worker wrote more than ${STDOUT_CAP} bytes`);
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < STDERR_CAP) stderr += s.slice(0, STDERR_CAP - stderr.length);
    });
    // The worker may die before reading its payload; a broken pipe is its verdict, not our crash.
    const input = child.stdio[3] as NodeJS.WritableStream;
    input.on('error', () => {});
    input.end(JSON.stringify(payload));

    child.on('error', (err) => finish('crash', `could not run the worker: ${err.message}`));
    child.on('close', (code, signal) => {
      // A verdict that made it out stands even if a limit struck while the process was exiting.
      const report = readReport(stdout, payload.nonce);
      if (report) return finish(report.status, report.detail);
      if (killedFor) return finish(killedFor.status, killedFor.detail);
      if (/heap out of memory|Allocation failed/.test(stderr)) {
        return finish('memory', `V8 heap limit of ${memoryMb} MB reached`);
      }
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      const first = stderr.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 300);
      finish('crash', `worker ended with ${why} and no verdict${first ? `: ${first}` : ''}`);
    });
  });
}

function readReport(stdout: string, nonce: string): WorkerReport | null {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const r = JSON.parse(line) as Partial<WorkerReport>;
      if (r.nonce === nonce && typeof r.status === 'string' && typeof r.detail === 'string') return r as WorkerReport;
    } catch {
      // not a verdict line
    }
  }
  return null;
}

const HAS_PROC = existsSync('/proc/self/status');

/** Resident set size of `pid` in MB from /proc (Linux); null elsewhere or once it has exited. */
function rssMb(pid: number | undefined): number | null {
  if (!HAS_PROC || pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
