// A counting semaphore for sandbox runs. An E-step verifies N samples × P problems at once
// (task-eval maps every sample through Promise.all); one Node process per sample, all started
// together, would thrash the machine and turn honest solutions into timeouts. Queued work
// waits outside the sandbox clock: the time limit starts when the process does.
import { availableParallelism } from 'node:os';

export interface Limiter {
  /** Most tasks running at once. */
  readonly max: number;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
  /** Runs `task` when a slot is free (first come, first served); settles as the task does. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`createLimiter: max must be an integer >= 1, got ${max}`);
  const queue: (() => void)[] = [];
  let active = 0;
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) next();
  };
  return {
    max,
    get active() { return active; },
    get pending() { return queue.length; },
    run<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          active++;
          let p: Promise<T>;
          try {
            p = task();
          } catch (err) {
            p = Promise.reject(err);
          }
          p.then(resolve, reject).finally(release);
        };
        if (active < max) start();
        else queue.push(start);
      });
    },
  };
}

let shared: Limiter | null = null;

/** The limiter runInSandbox uses when given none: one sandbox per core, made on first use. */
export function defaultLimiter(): Limiter {
  shared ??= createLimiter(Math.max(1, availableParallelism()));
  return shared;
}
