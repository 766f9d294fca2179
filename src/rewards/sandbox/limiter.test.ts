import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLimiter } from './limiter.js';
import { runInSandbox } from './sandbox.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('never runs more than max tasks, and starts them first come, first served', async () => {
  const lim = createLimiter(2);
  const gates = Array.from({ length: 6 }, deferred);
  const started: number[] = [];
  let peak = 0;
  const all = gates.map((g, i) => lim.run(async () => {
    started.push(i);
    peak = Math.max(peak, lim.active);
    await g.promise;
    return i;
  }));
  assert.deepEqual(started, [0, 1]);
  assert.equal(lim.pending, 4);
  for (const g of gates) {
    g.resolve();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(peak, 2);
  assert.equal(lim.active, 0);
});

test('a failing task rejects its own promise and frees its slot', async () => {
  const lim = createLimiter(1);
  const bad = lim.run(async () => { throw new Error('boom'); });
  const sync = lim.run((() => { throw new Error('sync boom'); }) as () => Promise<never>);
  const good = lim.run(async () => 7);
  await assert.rejects(bad, /boom/);
  await assert.rejects(sync, /sync boom/);
  assert.equal(await good, 7);
  assert.equal(lim.active, 0);
});

test('max must be a positive integer', () => {
  assert.throws(() => createLimiter(0), /max must be an integer >= 1, got 0/);
  assert.throws(() => createLimiter(1.5), /got 1.5/);
});

test('10 infinite loops with a 300 ms limit through 2 slots all time out in bounded time', async () => {
  const lim = createLimiter(2);
  let peak = 0;
  const watch = setInterval(() => (peak = Math.max(peak, lim.active)), 5);
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, () =>
    runInSandbox('while (true) {}', ['assert(true)'], { timeoutMs: 300, limiter: lim })));
  const elapsed = performance.now() - t0;
  clearInterval(watch);
  assert.deepEqual(results.map((r) => r.status), Array(10).fill('timeout'));
  assert.ok(peak <= 2, `peak ${peak} sandboxes at once`);
  // Five rounds of 300 ms plus start-up; the parent's kill at 300 + 500 ms caps a round.
  assert.ok(elapsed < 5 * 800 + 1500, `took ${Math.round(elapsed)} ms`);
});
