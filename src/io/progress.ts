// Progress for long work: a bar redrawn in place on a terminal, plain lines otherwise (CI logs,
// pipes), at most one line per `plainEvery` ms so that logs stay readable. It lives in io/, the
// lowest layer, so that Hub downloads (src/hub, below model/) draw it as trainers do; runs/ re-exports it.

export interface ProgressOptions {
  label: string;
  total: number;
  /** Where to draw; stderr by default so that stdout stays machine-readable (--json). */
  stream?: NodeJS.WriteStream;
  /** Minimum ms between plain lines when not a TTY. */
  plainEvery?: number;
  /** Silences all output (library use, tests). */
  quiet?: boolean;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

export class Progress {
  private readonly start = performance.now();
  private lastPlain = -Infinity;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private done = 0;

  constructor(private readonly o: ProgressOptions, private readonly startAt = 0) {
    this.stream = o.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.done = startAt;
  }

  /** Reports `done` units finished, with extra fields such as loss or tokens/s. */
  update(done: number, fields: Record<string, string | number> = {}): void {
    this.done = done;
    if (this.o.quiet) return;
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const rate = (done - this.startAt) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.o.total - done) / rate : Infinity;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join(' · ');
    const head = `${this.o.label} ${done}/${this.o.total}`;
    const tail = `${extra ? extra + ' · ' : ''}${formatDuration(elapsed)} elapsed · ETA ${formatDuration(eta)}`;
    if (this.tty) {
      const width = 24, filled = Math.round((width * done) / Math.max(this.o.total, 1));
      this.stream.write(`\r\x1b[2K${head} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${tail}`);
    } else if (now - this.lastPlain >= (this.o.plainEvery ?? 2000) || done >= this.o.total) {
      this.lastPlain = now;
      this.stream.write(`${head} · ${tail}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (!this.o.quiet && this.tty) this.stream.write('\n');
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}
