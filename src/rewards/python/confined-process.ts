// One confined Python process (runner-source.ts inside, confine-source.ts walls) in a fresh
// temporary folder of its own, in its own process group, and under `unshare` when the runtime
// found namespaces usable (runtime.ts). Messages travel as JSON lines: fd 3 into the process,
// fd 4 out of it; stdout and stderr are kept only up to a cap. However the process ends, its
// whole process group is killed (under unshare, its pid namespace dies with it) and its folder
// is removed.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON_PROGRAM } from './runner-source.js';

/** How a confined process is started: the interpreter, the namespace wrapper, the uid to drop to. */
export interface Launch {
  python: string;
  /** A command and flags to run the interpreter under (unshare ...), or [] for none. */
  wrapper: string[];
  /** When this process is root, samples run as this uid (nobody); null otherwise. */
  dropTo: number | null;
  /** Walls to leave off ('landlock', 'seccomp'): for tests that show what the judgement needs without them. */
  skip?: string[];
}

export interface Limits {
  /** RLIMIT_CPU in seconds; SIGXCPU at this, SIGKILL a second later. */
  cpuSeconds: number;
  /** RLIMIT_AS: the address space, so a MemoryError comes before the machine swaps. */
  memoryBytes: number;
  /** RLIMIT_FSIZE: the largest file the process may write. */
  fileBytes: number;
  /** RLIMIT_NPROC: processes of its uid (forks are also refused by seccomp where it holds). */
  processes: number;
}

export interface ConfinedSetup {
  mode: 'serve' | 'check' | 'io' | 'probe';
  code?: string;
  tests?: string;
  entry?: string;
}

export type Message = Record<string, unknown>;

export interface ConfinedProcess {
  /**
   * Called once per line the process writes on fd 4, parsed, and as written: a line passed on to
   * another process goes as written, since JSON.parse here would round integers past 2^53.
   * A line that is not a JSON object arrives as { invalid }.
   */
  onMessage(fn: (m: Message, line: string) => void): void;
  send(m: unknown): void;
  /** Writes one line (a message as another process wrote it) to fd 3. */
  sendLine(line: string): void;
  /** SIGKILL to the process group; safe to call more than once. */
  kill(): void;
  /** Settles when the process has exited, its group is killed and its folder removed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>;
  stdout(): string;
  /** True when stdout passed its cap (the process was killed then). */
  overflowed(): boolean;
  /** True once kill() was called: a SIGKILL then is this side's doing, not a limit's. */
  killed(): boolean;
  stderr(): string;
}

/** Longest message line: a sample's answer, as a wire string. */
const MAX_LINE = 8 * 1024 * 1024;
const STDERR_TAIL = 8 * 1024;

/** Starts one confined process; `io.stdoutCap` makes stdout the answer (kept up to the cap, killed past it). */
export function startConfined(launch: Launch, setup: ConfinedSetup, limits: Limits, io: { stdin?: string; stdoutCap?: number } = {}): ConfinedProcess {
  const dir = mkdtempSync(join(tmpdir(), 'alignkit-py-'));
  if (launch.dropTo !== null) chownSync(dir, launch.dropTo, launch.dropTo);
  const [cmd, ...pre] = [...launch.wrapper, launch.python];
  const child = spawn(cmd!, [...pre, '-I', '-B', '-X', 'utf8', '-c', PYTHON_PROGRAM], {
    cwd: dir,
    detached: true,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    stdio: [io.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  let handler: (m: Message, line: string) => void = () => {};
  let out = '', err = '', overflow = false, killed = false;
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  };
  const kill = () => { killed = true; killGroup(); };
  // With a cap, stdout is the answer and a flood past it ends the process; without one it is
  // only drained (a sample that prints while it serves calls is not punished for it).
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    if (overflow) return;
    out += s;
    if (io.stdoutCap === undefined) out = out.slice(0, 4096);
    else if (out.length > io.stdoutCap) { overflow = true; out = out.slice(0, io.stdoutCap); kill(); }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err = (err + s).slice(-STDERR_TAIL); });
  const input = child.stdio[3] as NodeJS.WritableStream;
  const messages = child.stdio[4] as NodeJS.ReadableStream;
  input.on('error', () => {});
  input.write(`${JSON.stringify({ ...setup, dir, dropTo: launch.dropTo, skip: launch.skip ?? [], limits: {
    cpu: limits.cpuSeconds, memory: limits.memoryBytes, fsize: limits.fileBytes, nproc: limits.processes,
  } })}\n`);
  if (io.stdin !== undefined) {
    child.stdin!.on('error', () => {});
    child.stdin!.end(io.stdin);
  }
  readLines(messages, (line) => handler(parseMessage(line), line), () => {
    handler({ invalid: `a message longer than ${MAX_LINE} bytes` }, '');
    kill();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }>((resolve) => {
    let status: { code: number | null; signal: NodeJS.Signals | null; error?: string } = { code: null, signal: null };
    const done = () => { removeFolder(dir); resolve(status); };
    child.on('error', (e) => { status = { code: null, signal: null, error: e.message }; kill(); done(); });
    // Kill the group on exit too: anything the process started goes with it, and the streams close.
    child.on('exit', (code, signal) => { status = { code, signal }; killGroup(); });
    child.on('close', done);
  });
  return {
    onMessage: (fn) => { handler = fn; },
    send: (m) => { if (input.writable) input.write(`${JSON.stringify(m)}\n`); },
    sendLine: (line) => { if (input.writable) input.write(`${line}\n`); },
    kill,
    exited,
    stdout: () => out,
    overflowed: () => overflow,
    killed: () => killed,
    stderr: () => err,
  };
}

/** Calls `onLine` for each line of `stream`; a line past MAX_LINE is dropped and `onTooLong` called. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void, onTooLong: () => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (s: string) => {
    pending += s;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line);
    }
    if (pending.length > MAX_LINE) { pending = ''; onTooLong(); }
  });
}

function parseMessage(line: string): Message {
  try {
    const m = JSON.parse(line) as unknown;
    if (m !== null && typeof m === 'object' && !Array.isArray(m)) return m as Message;
  } catch {
    // not JSON
  }
  return { invalid: line.slice(0, 200) };
}

// A sample may leave a folder it made unreadable (chmod 000); as its owner, or root, put the
// modes back and try again.
function removeFolder(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    const open = (p: string): void => {
      try {
        chmodSync(p, 0o700);
        if (statSync(p).isDirectory()) for (const n of readdirSync(p)) open(join(p, n));
      } catch {
        // gone, or a file that needs no mode to be removed
      }
    };
    open(dir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // left in the temporary folder; nothing of the verdict depends on it
    }
  }
}
