// Several inference servers sharing one list of requests: a queue of jobs, `concurrency` requests
// in flight per server (so each server can batch them), each server taking the next job when one
// of its slots is free. A request that fails in a way another try may fix (refused, reset,
// timeout, 5xx) goes back to the front of the queue for whichever server is free next, and its
// server waits (exponential backoff) before taking more; a server that fails `retries + 1` times
// in a row is dropped for the rest of the run — it would miss the weight pushes — and whatever it
// had in flight is re-sent to the others. Each job's result is kept once, by its index: a late
// answer to a job already answered elsewhere is dropped, so the results are complete and without
// duplicates, or the run throws.
import { GeneratorHttpError, type Endpoint } from './openai-client.js';

export interface PoolOptions {
  /** Consecutive failed tries a server gets beyond the first before it is dropped. */
  retries: number;
  /** Requests in flight per server. */
  concurrency: number;
  /** The first backoff, doubled on each consecutive failure up to 16×. Default 250 ms. */
  backoffMs?: number;
  log?: (line: string) => void;
}

interface Server { e: Endpoint; dead: boolean; failures: number; lastError: string }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ServerPool {
  private readonly servers: Server[];

  constructor(endpoints: readonly Endpoint[], private readonly o: PoolOptions) {
    if (endpoints.length === 0) throw new RangeError('ServerPool: no generator servers given');
    this.servers = endpoints.map((e) => ({ e, dead: false, failures: 0, lastError: '' }));
  }

  /** The base URLs still in use. */
  live(): string[] {
    return this.servers.filter((s) => !s.dead).map((s) => s.e.base);
  }

  private allDown(): Error {
    return new Error(`every generator server failed: ${this.servers.map((s) => `${s.e.base} (${s.lastError || 'dropped earlier'})`).join('; ')}`);
  }

  /** Notes a failed try; true when the server is now dropped. */
  private fail(s: Server, err: Error): boolean {
    s.failures++;
    s.lastError = err.message;
    if (s.failures > this.o.retries && !s.dead) {
      s.dead = true;
      this.o.log?.(`generator ${s.e.base} dropped after ${s.failures} failed tries: ${err.message}`);
    }
    return s.dead;
  }

  private backoff(s: Server): Promise<void> {
    return sleep((this.o.backoffMs ?? 250) * 2 ** Math.min(s.failures - 1, 4));
  }

  /** Runs `call` once per job on some live server; results in job order. */
  run<J, R>(jobs: readonly J[], call: (e: Endpoint, job: J, index: number) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(jobs.length);
    const answered = new Uint8Array(jobs.length);
    const queue = jobs.map((_, i) => i);
    let left = jobs.length, failed: Error | null = null, wake: (() => void) | null = null;
    let waiting: Promise<void> = new Promise((r) => { wake = r; });
    const notify = () => { const w = wake; waiting = new Promise((r) => { wake = r; }); w?.(); };
    const worker = async (s: Server): Promise<void> => {
      while (!s.dead && left > 0 && !failed) {
        const i = queue.shift();
        if (i === undefined) { await waiting; continue; }
        try {
          const r = await call(s.e, jobs[i]!, i);
          s.failures = 0;
          if (!answered[i]) { answered[i] = 1; results[i] = r; left--; }
        } catch (err) {
          const e = err as Error;
          if (!answered[i]) queue.unshift(i);
          if (!(e instanceof GeneratorHttpError) || !e.retriable) failed ??= e;
          else if (!this.fail(s, e)) await this.backoff(s);
          else if (this.servers.every((x) => x.dead)) failed ??= this.allDown();
        }
        notify();
      }
    };
    if (jobs.length === 0) return Promise.resolve(results);
    if (this.servers.every((s) => s.dead)) return Promise.reject(this.allDown());
    const workers = this.servers.flatMap((s) => Array.from({ length: this.o.concurrency }, () => worker(s)));
    return Promise.all(workers).then(() => {
      if (failed) throw failed;
      if (left > 0) throw this.allDown();
      return results;
    });
  }

  /**
   * Runs `call` on every live server (a weight push), retrying each with backoff; a server that
   * still fails is dropped, since it no longer serves the policy. Throws when none is left, or on
   * an error no retry can fix (e.g. a server without the route).
   */
  async broadcast(call: (e: Endpoint) => Promise<unknown>): Promise<void> {
    await Promise.all(this.servers.filter((s) => !s.dead).map(async (s) => {
      while (!s.dead) {
        try {
          await call(s.e);
          s.failures = 0;
          return;
        } catch (err) {
          const e = err as Error;
          if (!(e instanceof GeneratorHttpError) || !e.retriable) throw e;
          if (!this.fail(s, e)) await this.backoff(s);
        }
      }
    }));
    if (this.servers.every((s) => s.dead)) throw this.allDown();
  }
}
