// The run status of issue 21, on runs written through the real store: one going on in this
// process, one finished, one whose stage threw, one killed mid-stage by SIGKILL in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../io/temp-dir.test.js';
import { parseMetricLines, seriesOf } from './metrics-file.js';
import { RunStore } from './run-store.js';
import { findRuns, readRunStatus } from './run-status.js';

const config = { command: 'rest-em', iterations: 2 };

test('running while the store holds the run, finished once every logged stage completed and the lock is released', async () => {
  const dir = join(tempDir('status-'), 'run');
  const run = RunStore.open(dir, config, { resume: false });
  await run.stage('iter1/e-step', (s) => { s.log({ reward: 0.25 }); return null; });
  run.logMetrics('iter1/m-step', { loss: 1.5 });
  const going = readRunStatus(dir);
  assert.equal(going.status, 'running');
  assert.match(going.why, new RegExp(`process ${process.pid}`));
  assert.equal(going.command, 'rest-em');
  run.completeStage('iter1/m-step');
  run.close();
  const done = readRunStatus(dir);
  assert.equal(done.status, 'finished', done.why);
  assert.deepEqual(done.stages.map((s) => s.stage), ['iter1/e-step', 'iter1/m-step']);
  assert.ok(done.started! <= done.updated!);
});

test('failed: a stage that throws leaves {event: "failed"} as the last metrics line, once, and a resume drops it', async () => {
  const dir = join(tempDir('status-'), 'run');
  const run = RunStore.open(dir, config, { resume: false });
  await assert.rejects(run.stage('iter1', (outer) => {
    outer.log({ reward: 1 });
    return run.stage('iter1/m-step', () => { throw new RangeError('loss is NaN at step 3'); });
  }), /loss is NaN/);
  run.close();
  const s = readRunStatus(dir);
  assert.equal(s.status, 'failed');
  assert.equal(s.why, 'stage iter1/m-step: RangeError: loss is NaN at step 3');
  const lines = parseMetricLines(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), 'm');
  assert.deepEqual(lines.map((m) => [m.stage, m['event'] ?? null]), [['iter1', null], ['iter1/m-step', 'failed']], 'only the innermost stage records the failure');
  const again = RunStore.open(dir, config, { resume: true });
  assert.equal(readRunStatus(dir).status, 'running');
  again.close();
  assert.equal(readRunStatus(dir).status, 'resumable', 'the dropped stage never completed');
});

test('resumable: a process killed with SIGKILL in the middle of a stage leaves its lock, and a torn last line is skipped', () => {
  const dir = join(tempDir('status-'), 'run');
  const store = fileURLToPath(new URL('./run-store.js', import.meta.url));
  const child = `import { RunStore } from ${JSON.stringify(store)};
    const run = RunStore.open(${JSON.stringify(dir)}, ${JSON.stringify(config)}, { resume: false });
    await run.stage('iter1/e-step', (s) => { s.log({ reward: 0.5 }); return null; });
    run.logMetrics('iter1/m-step', { loss: 2 });
    process.kill(process.pid, 'SIGKILL');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  writeFileSync(join(dir, 'metrics.jsonl'), readFileSync(join(dir, 'metrics.jsonl'), 'utf8') + '{"stage":"iter1/m-st');
  const s = readRunStatus(dir);
  assert.equal(s.status, 'resumable');
  assert.match(s.why, /process \d+ ended without releasing the run/);
  assert.equal(s.metrics.length, 2);
});

test('findRuns finds nested runs by their config.json and leaves samples, checkpoints and models alone', async () => {
  const root = tempDir('status-');
  for (const d of ['a', 'b/c']) {
    const run = RunStore.open(join(root, d), config, { resume: false });
    await run.stage('x', () => null);
    run.saveCheckpoint('step-1', (t) => writeFileSync(join(t, 'config.json'), '{}'));
    run.close();
  }
  assert.deepEqual(findRuns(root).map((d) => d.slice(root.length + 1)), ['a', 'b/c']);
});

test('seriesOf groups the stages of every iteration under one name', () => {
  assert.deepEqual(['policy0/eval', 'grow2/improve3/eval', 'grow1/improve2', 'grow1', 'step-8', 'iter3/e-step'].map(seriesOf),
    ['eval', 'eval', 'improve', 'grow', 'step', 'e-step']);
});
