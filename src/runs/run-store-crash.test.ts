// Kill -9 a trainer-like loop at many moments, resume it each time, and check that the finished
// run is exactly what an uninterrupted one leaves: every stage done once, every samples file
// whole, every metric once, no temporary files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonl } from '../io/jsonl.js';
import {
  FIXTURE_CONFIG, fakeLoop, fixturePoints, grownSamples, keptBy, stagesOf, weightsOf,
} from '../../test/fixtures/run-store-crash.js';
import type { SampleRecord } from './sample-record.js';

const fixture = fileURLToPath(new URL('../../test/fixtures/run-store-crash.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'alignkit-run-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface ChildRun { killed: boolean; lines: string[] }

/** Runs the fixture; kills it at `point <at>` (where it holds still), or `afterMs` after it opened the run. */
function runChild(dir: string, pauseMs: number, kill: { at?: string; afterMs?: number }): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const args = [fixture, dir, String(pauseMs), ...(kill.at !== undefined ? [kill.at] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (kill.at !== undefined && line === `point ${kill.at}`) child.kill('SIGKILL');
        if (kill.afterMs !== undefined && line.startsWith('point opened')) setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // 'close' comes after the pipes drain and the child was reaped, so its pid no longer looks alive.
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, lines });
      else if (code === 0) resolve({ killed: false, lines });
      else reject(new Error(`fixture exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

function tmpLeftovers(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name.endsWith('.tmp')) out.push(p);
    if (statSync(p).isDirectory()) out.push(...tmpLeftovers(p));
  }
  return out;
}

/** What an uninterrupted run leaves, checked file by file. */
function assertCompleteRun(dir: string): void {
  const stages = Array.from({ length: FIXTURE_CONFIG.iterations }, (_, i) => stagesOf(i + 1)).flat();
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { completed: { stage: string }[] };
  assert.deepEqual(state.completed.map((c) => c.stage), stages, 'every stage done exactly once, in order');

  for (let it = 1; it <= FIXTURE_CONFIG.iterations; it++) {
    let expected: SampleRecord[] = Array.from({ length: FIXTURE_CONFIG.batches }, (_, b) => grownSamples(it, b)).flat();
    for (const step of [1, 2]) expected = expected.map((r) => ({ ...r, kept: { ...(r.kept as object), [`improve${step}`]: keptBy(r, step) } }));
    const file = join(dir, 'samples', `iter${it}__grow.jsonl`);
    assert.deepEqual(readJsonl(file).map((r) => r.value), expected, `${file}: whole, no duplicate or partial record`);
    for (const step of [1, 2]) {
      assert.equal(readFileSync(join(dir, 'checkpoints', `iter${it}-improve${step}`, 'weights.txt'), 'utf8'), weightsOf(it, step));
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkpoints', `iter${it}-improve${step}`, 'trainer_state.json'), 'utf8')), { it, step });
    }
  }
  assert.deepEqual(readdirSync(join(dir, 'samples')).sort(), ['iter1__grow.jsonl', 'iter2__grow.jsonl', 'iter3__grow.jsonl']);
  assert.equal(readFileSync(join(dir, 'checkpoints', 'latest', 'weights.txt'), 'utf8'), weightsOf(FIXTURE_CONFIG.iterations, 2));

  const metrics = readJsonl(join(dir, 'metrics.jsonl')).map((r) => r.value as Record<string, unknown>);
  const expectedMetrics: string[] = [];
  for (let it = 1; it <= FIXTURE_CONFIG.iterations; it++) {
    const [grow, i1, i2, ev] = stagesOf(it);
    for (let b = 0; b < FIXTURE_CONFIG.batches; b++) expectedMetrics.push(`${grow} batch=${b}`);
    expectedMetrics.push(`${i1} kept`, `${i2} kept`, `${ev} score`);
  }
  const seen = metrics.map((m) => `${String(m['stage'])} ${'batch' in m ? `batch=${String(m['batch'])}` : 'kept' in m ? 'kept' : 'score'}`);
  assert.deepEqual(seen, expectedMetrics, 'each stage\'s metrics exactly once');
  assert.deepEqual(tmpLeftovers(dir), [], 'no temporary files left');
  assert.equal(existsSync(join(dir, 'run.lock')), false, 'the lock is released');
}

test('killed at every kind of moment and resumed, the run ends exactly as an uninterrupted one', async () => {
  const dir = join(root, 'points');
  const points = fixturePoints();
  // Each iteration has the same kinds of moments; every third point covers each kind once over
  // the three iterations while keeping the number of processes (≈50 ms each to start) small.
  const killAt = points.filter((_, i) => i % 3 === 0);
  let recovered = 0, dropped = 0, killed = 0;
  for (const at of killAt) {
    const r = await runChild(dir, 0, { at });
    assert.ok(r.killed, `the fixture finished without passing ${at}`);
    killed++;
    const opened = /removed=(\d+) restored=(\d+) dropped=(\d+)/.exec(r.lines[0] ?? '');
    assert.ok(opened, `first line: ${r.lines[0]}`);
    recovered += Number(opened[1]);
    dropped += Number(opened[3]);
  }
  // The crashes must really have left work to undo, or this test proves nothing.
  assert.ok(recovered >= 5 && dropped >= 10, `recovered ${recovered} temporary files, dropped ${dropped} metrics over ${killed} kills`);
  const finished = await runChild(dir, 0, {});
  assert.equal(finished.killed, false);
  assert.equal(finished.lines.at(-1), 'finished');
  assertCompleteRun(dir);
});

test('killed after random delays, then finished in-process, the run is whole', async () => {
  const dir = join(root, 'random');
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // Pauses of 10 ms make the loop ≈0.6 s long, so kills 0–100 ms after opening land all over it.
  let kills = 0;
  for (let i = 0; i < 12; i++) {
    const r = await runChild(dir, 10, { afterMs: Math.floor(rand() * 100) });
    if (!r.killed) break;
    kills++;
  }
  assert.ok(kills >= 5, `only ${kills} runs were killed before one finished`);
  fakeLoop(dir).close();
  assertCompleteRun(dir);
});
