import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore, RunStoreError, type SampleRecord } from './run-store.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-run-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run-${n++}`);

const fails = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof Error, String(e));
  assert.match(e.message, re);
  return true;
};

const sample = (i: number, extra: Partial<SampleRecord> = {}): SampleRecord => ({
  promptId: `p${i}`, prompt: `What is ${i}+1?`, sample: `${i + 1}`, reward: i % 2, verifier: { expected: i + 1 },
  policy: 'base', sampling: { temperature: 1, topP: 0.95, seed: i }, kept: i % 2 === 1, ...extra,
});

const config = { method: 'rest-em', iterations: 2, lr: 1e-4, sampling: { temperature: 1, topK: 40 } };

test('a fresh run writes config.json and a second fresh open is refused with --resume / --out advice', () => {
  const dir = join(freshDir(), 'nested');
  const run = RunStore.open(dir, config, { resume: false });
  assert.equal(run.resumed, false);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), config);
  run.close();
  assert.throws(() => RunStore.open(dir, config, { resume: false }), fails(/already holds a run \(config\.json\); pass --resume to continue it, or choose another --out/));
  assert.equal(existsSync(join(dir, 'run.lock')), false, 'a refused open leaves no lock behind');
  // Unrelated files are not a run.
  const other = freshDir();
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'mine');
  RunStore.open(other, config, { resume: false }).close();
  assert.equal(readFileSync(join(other, 'notes.txt'), 'utf8'), 'mine');
});

test('the run config must be JSON; a file as --out is refused', () => {
  assert.throws(() => RunStore.open(freshDir(), { lr: NaN }, { resume: false }), fails(/config field "lr" is NaN/));
  const file = join(root, 'a-file');
  writeFileSync(file, '');
  assert.throws(() => RunStore.open(file, config, { resume: false }), fails(/is a file, expected a directory/));
});

test('resume keeps completed stages; a resume of an empty directory starts a run', () => {
  const dir = freshDir();
  const a = RunStore.open(dir, config, { resume: true });
  assert.equal(a.resumed, false);
  a.completeStage('iter1/e-step', { samples: 10 });
  a.close();
  const b = RunStore.open(dir, { ...config }, { resume: true });
  assert.equal(b.resumed, true);
  assert.deepEqual(b.completedStages(), ['iter1/e-step']);
  assert.deepEqual(b.stageResult('iter1/e-step'), { samples: 10 });
  assert.deepEqual(b.recovery, { removed: [], restored: [], droppedMetrics: 0, staleLock: null });
  b.close();
});

test('resume with a different config names every differing key, nested ones by path', () => {
  const dir = freshDir();
  RunStore.open(dir, config, { resume: false }).close();
  const changed = { ...config, lr: 3e-4, sampling: { temperature: 0.7, topK: 40 }, seed: 1 };
  assert.throws(
    () => RunStore.open(dir, changed, { resume: true }),
    fails(/config\.json: --resume with a config that differs from the run's in lr: stored 0\.0001, given 0\.0003; sampling\.temperature: stored 1, given 0\.7; seed: stored \(absent\), given 1\. .*another --out/),
  );
  // Key order is not a difference.
  RunStore.open(dir, { sampling: { topK: 40, temperature: 1 }, lr: 1e-4, iterations: 2, method: 'rest-em' }, { resume: true }).close();
});

test('resumeMayChange lets listed keys change and config.json records the new values', () => {
  const dir = freshDir();
  RunStore.open(dir, config, { resume: false }).close();
  assert.throws(() => RunStore.open(dir, { ...config, iterations: 5, lr: 1 }, { resume: true, resumeMayChange: ['iterations'] }),
    fails(/differs from the run's in lr: stored 0\.0001, given 1\. .*\(a resume may change only: iterations\)/));
  const run = RunStore.open(dir, { ...config, iterations: 5, sampling: { temperature: 2 } }, { resume: true, resumeMayChange: ['iterations', 'sampling'] });
  assert.equal(run.config['iterations'], 5);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), { ...config, iterations: 5, sampling: { temperature: 2 } });
  run.close();
});

test('a directory with run files but no config.json cannot be resumed', () => {
  const dir = freshDir();
  mkdirSync(join(dir, 'samples'), { recursive: true });
  assert.throws(() => RunStore.open(dir, config, { resume: true }), fails(/holds run files \(samples\) but no config\.json/));
});

test('stage bookkeeping: done once, results kept, state.json written whole', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  assert.equal(run.isDone('iter1/e-step'), false);
  assert.throws(() => run.stageResult('iter1/e-step'), fails(/stage "iter1\/e-step" is not complete/));
  run.completeStage('iter1/e-step', { kept: 7, passAt1: 0.25 });
  run.completeStage('iter1/m-step');
  assert.equal(run.isDone('iter1/e-step'), true);
  assert.deepEqual(run.stageResult('iter1/e-step'), { kept: 7, passAt1: 0.25 });
  assert.equal(run.stageResult('iter1/m-step'), null);
  assert.throws(() => run.completeStage('iter1/e-step'), fails(/cannot complete stage "iter1\/e-step": it completed at .*isDone/));
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { version: number; completed: { stage: string; result: unknown; at: string }[] };
  assert.equal(state.version, 1);
  assert.deepEqual(state.completed.map((c) => [c.stage, c.result]), [['iter1/e-step', { kept: 7, passAt1: 0.25 }], ['iter1/m-step', null]]);
  assert.ok(state.completed.every((c) => !Number.isNaN(Date.parse(c.at))));
  // A result JSON cannot hold is refused and nothing is recorded.
  assert.throws(() => run.completeStage('iter1/eval', { loss: NaN }), fails(/state\.json: field "loss" is NaN/));
  assert.equal(run.isDone('iter1/eval'), false);
  for (const bad of ['', '/a', 'a/', 'a//b', '../x', 'a/../b', 'a__b', '.hidden', 'a b']) {
    assert.throws(() => run.isDone(bad), fails(/stage name .* is invalid/), bad);
  }
  run.close();
  assert.throws(() => run.completeStage('x'), fails(/the run store was closed/));
});

test('metrics: one line per record; fields stage and time are the store\'s; NaN is written visibly', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  run.logMetrics('iter1/m-step', { step: 1, loss: 2.5 });
  run.logMetrics('iter1/m-step', { step: 2, loss: NaN, note: 'a\nb' });
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n');
  assert.equal(lines.length, 3);
  const [a, b] = lines.map((l) => (l ? JSON.parse(l) : null)) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(a!), ['stage', 'time', 'step', 'loss']);
  assert.equal(b!['loss'], 'NaN');
  assert.throws(() => run.logMetrics('iter1/m-step', { stage: 'x' }), fails(/field "stage" is set by logMetrics/));
  run.completeStage('iter1/m-step');
  assert.throws(() => run.logMetrics('iter1/m-step', { step: 3 }), fails(/cannot log metrics for stage "iter1\/m-step": it completed/));
  run.close();
});

test('resume drops the metrics of stages that did not complete, and a torn last line', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  run.logMetrics('iter1/e-step', { n: 1 });
  run.completeStage('iter1/e-step');
  run.logMetrics('iter1/m-step', { step: 1 });
  run.logMetrics('iter1/m-step', { step: 2 });
  run.close();
  appendFileSync(join(dir, 'metrics.jsonl'), '{"stage":"iter1/m-step","time":"2025'); // killed mid-append
  const resumed = RunStore.open(dir, config, { resume: true });
  assert.equal(resumed.recovery.droppedMetrics, 3);
  const text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  assert.equal(text.split('\n').length, 2);
  assert.deepEqual(JSON.parse(text.split('\n')[0]!).n, 1);
  // The rerun logs again and nothing counts twice.
  resumed.logMetrics('iter1/m-step', { step: 1 });
  resumed.close();
  assert.deepEqual(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).stage), ['iter1/e-step', 'iter1/m-step']);
});

test('a complete but unterminated last metrics line of a completed stage is kept; a bad middle line is reported', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  run.completeStage('s1');
  run.close();
  const file = join(dir, 'metrics.jsonl');
  writeFileSync(file, '{"stage":"s1","x":1}\n{"stage":"s1","x":2}');
  RunStore.open(dir, config, { resume: true }).close();
  assert.equal(readFileSync(file, 'utf8'), '{"stage":"s1","x":1}\n{"stage":"s1","x":2}\n');
  writeFileSync(file, '{"stage":"s1"}\n{oops\n{"stage":"s1"}\n');
  assert.throws(() => RunStore.open(dir, config, { resume: true }), fails(/metrics\.jsonl:2: invalid JSON .*only an unterminated last line can come from a crash/));
});

test('samples are invisible until commit, then read back whole', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  const w = run.samples('iter1/e-step');
  w.write([sample(0), sample(1)]);
  w.write([]);
  w.write([sample(2)]);
  assert.equal(w.count, 3);
  assert.equal(run.hasSamples('iter1/e-step'), false);
  assert.throws(() => run.readSamples('iter1/e-step'), fails(/no committed samples for stage "iter1\/e-step" \(its writer has not committed\)/));
  assert.ok(existsSync(join(dir, 'samples', 'iter1__e-step.jsonl.tmp')));
  assert.equal(w.commit(), 3);
  assert.deepEqual(readdirSync(join(dir, 'samples')), ['iter1__e-step.jsonl']);
  assert.deepEqual(run.readSamples('iter1/e-step'), [sample(0), sample(1), sample(2)]);
  assert.throws(() => w.write([sample(3)]), fails(/cannot write, the writer was already committed/));
  assert.throws(() => w.commit(), fails(/cannot commit/));
  // An empty stage still commits a file, so "no samples" and "not run" differ.
  const empty = run.samples('iter1/none');
  empty.commit();
  assert.deepEqual(run.readSamples('iter1/none'), []);
  run.completeStage('iter1/e-step');
  assert.throws(() => run.samples('iter1/e-step'), fails(/cannot write samples for stage "iter1\/e-step": it completed/));
  assert.throws(() => run.readSamples('iter9/x'), fails(/no stage wrote any/));
  run.close();
});

test('a new writer for a stage starts over; abort drops what was written', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  const first = run.samples('grow');
  first.write([sample(0), sample(1)]);
  const second = run.samples('grow'); // the stage is retried after an exception
  second.write([sample(5)]);
  assert.throws(() => first.write([sample(2)]), fails(/cannot write, the writer was already replaced by a newer writer for the stage/));
  second.commit();
  assert.deepEqual(run.readSamples('grow'), [sample(5)]);
  const third = run.samples('grow2');
  third.write([sample(1)]);
  third.abort();
  assert.equal(existsSync(third.tmpFile), false);
  assert.equal(run.hasSamples('grow2'), false);
  run.close();
});

test('bad sample records are refused on write and reported with file:line on read', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  const w = run.samples('grow');
  const bad: [Partial<SampleRecord> | Record<string, unknown>, RegExp][] = [
    [{ reward: NaN }, /field "reward" must be a finite number, got NaN/],
    [{ promptId: 3 as unknown as string }, /field "promptId" must be a string, got 3/],
    [{ sampling: { temperature: -1 } }, /field "sampling\.temperature" must be a number ≥ 0/],
    [{ sampling: { temperature: 1, topK: 0 } }, /field "sampling\.topK" must be an integer ≥ 1/],
    [{ sampling: { temperature: 1, topP: 1.5 } }, /field "sampling\.topP" must be a number in \(0, 1\]/],
    [{ kept: { step1: 'yes' } as unknown as Record<string, boolean> }, /field "kept\.step1" must be a boolean/],
    [{ kept: undefined as unknown as boolean }, /field "kept" must be a boolean or an object/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => w.write([sample(0), { ...sample(1), ...patch } as SampleRecord]), fails(new RegExp(`grow\\.jsonl\\.tmp: stage "grow": record 1 \\(index 1 of this batch\\): ${re.source}`)));
  }
  assert.equal(w.count, 0, 'a batch with a bad record writes nothing');
  w.write([sample(0)]);
  w.commit();
  const file = join(dir, 'samples', 'grow.jsonl');
  appendFileSync(file, JSON.stringify({ ...sample(1), policy: null }) + '\n');
  assert.throws(() => run.readSamples('grow'), fails(/grow\.jsonl:2: field "policy" must be a string, got null/));
  writeFileSync(file, JSON.stringify(sample(0)) + '\n{"promptId":"p1","pro');
  assert.throws(() => run.readSamples('grow'), fails(/grow\.jsonl:2: invalid JSON/));
  run.close();
});

test('updateSamples rewrites a committed file atomically and validates what it writes', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  const w = run.samples('iter1/grow');
  w.write([0, 1, 2, 3].map((i) => sample(i, { kept: {} })));
  w.commit();
  run.completeStage('iter1/grow');
  const mark = (step: string, threshold: number) => (rs: SampleRecord[]) =>
    rs.map((r) => ({ ...r, kept: { ...(r.kept as Record<string, boolean>), [step]: r.reward >= threshold } }));
  assert.equal(run.updateSamples('iter1/grow', mark('improve1', 0)), 4);
  run.updateSamples('iter1/grow', mark('improve2', 1));
  run.updateSamples('iter1/grow', mark('improve2', 1)); // a rerun after a crash applies it again
  assert.deepEqual(run.readSamples('iter1/grow').map((r) => r.kept), [0, 1, 2, 3].map((i) => ({ improve1: true, improve2: i % 2 === 1 })));
  const before = readFileSync(join(dir, 'samples', 'iter1__grow.jsonl'), 'utf8');
  assert.throws(() => run.updateSamples('iter1/grow', (rs) => rs.map((r) => ({ ...r, reward: Infinity }))),
    fails(/updateSamples\("iter1\/grow"\): record 0: field "reward" must be a finite number, got Infinity; the file was left as it was/));
  assert.equal(readFileSync(join(dir, 'samples', 'iter1__grow.jsonl'), 'utf8'), before);
  assert.deepEqual(readdirSync(join(dir, 'samples')), ['iter1__grow.jsonl']);
  run.close();
});

test('checkpoints: written in a tmp directory, renamed into place, replacing the old one', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  assert.equal(run.checkpointPath('iter1'), join(dir, 'checkpoints', 'iter1'));
  assert.equal(run.hasCheckpoint('iter1'), false);
  let seen = '';
  const path = run.saveCheckpoint('iter1', (tmp) => {
    seen = tmp;
    writeFileSync(join(tmp, 'model.txt'), 'v1');
    writeFileSync(join(tmp, 'extra.txt'), 'only in v1');
  });
  assert.equal(seen, join(dir, 'checkpoints', 'iter1.tmp'));
  assert.equal(path, run.checkpointPath('iter1'));
  assert.equal(run.hasCheckpoint('iter1'), true);
  run.saveCheckpoint('iter1', (tmp) => writeFileSync(join(tmp, 'model.txt'), 'v2'));
  assert.deepEqual(readdirSync(path), ['model.txt'], 'the old copy is replaced whole, not merged');
  assert.equal(readFileSync(join(path, 'model.txt'), 'utf8'), 'v2');
  assert.throws(() => run.saveCheckpoint('iter1', () => { throw new Error('disk full'); }), fails(/disk full/));
  assert.equal(readFileSync(join(path, 'model.txt'), 'utf8'), 'v2', 'a failed save keeps the old checkpoint');
  assert.throws(() => run.saveCheckpoint('iter2', (async () => {}) as unknown as () => void), fails(/write returned a Promise/));
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')), ['iter1']);
  for (const bad of ['a/b', '..', 'x.tmp', '', '.x']) assert.throws(() => run.checkpointPath(bad), fails(/checkpoint name .* is invalid/), bad);
  run.close();
});

test('resume removes temporary leftovers and restores a checkpoint caught between its two renames', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  run.saveCheckpoint('latest', (tmp) => writeFileSync(join(tmp, 'w'), 'old'));
  run.saveCheckpoint('iter1', (tmp) => writeFileSync(join(tmp, 'w'), 'old'));
  run.samples('grow').write([sample(0)]); // never committed
  run.close();
  const ck = join(dir, 'checkpoints');
  // Killed inside saveCheckpoint("latest"): old copy stepped aside, new one not yet renamed in.
  rmSync(join(ck, 'latest'), { recursive: true });
  mkdirSync(join(ck, 'latest.old.tmp'));
  writeFileSync(join(ck, 'latest.old.tmp', 'w'), 'old');
  mkdirSync(join(ck, 'latest.tmp'));
  writeFileSync(join(ck, 'latest.tmp', 'w'), 'new, from the stage that did not complete');
  // Killed after the new iter1 went in but before the old copy was removed.
  mkdirSync(join(ck, 'iter1.old.tmp'));
  writeFileSync(join(dir, '.state.json.123.456.tmp'), '{"trunc');
  const resumed = RunStore.open(dir, config, { resume: true });
  assert.deepEqual(resumed.recovery.restored, ['checkpoints/latest']);
  assert.deepEqual(resumed.recovery.removed.sort(), ['.state.json.123.456.tmp', 'checkpoints/iter1.old.tmp', 'checkpoints/latest.tmp', 'samples/grow.jsonl.tmp']);
  assert.equal(readFileSync(join(ck, 'latest', 'w'), 'utf8'), 'old');
  assert.deepEqual(readdirSync(ck).sort(), ['iter1', 'latest']);
  assert.deepEqual(readdirSync(join(dir, 'samples')), []);
  resumed.close();
});

test('summary reports stages, sample counts, checkpoints, metrics and work in progress', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  const w = run.samples('iter1/grow');
  w.write([sample(0, { kept: { improve1: true, improve2: false } }), sample(1, { promptId: 'p0', kept: { improve1: true, improve2: true } }), sample(2, { kept: { improve1: false } })]);
  w.commit();
  run.logMetrics('iter1/grow', { n: 3 });
  run.completeStage('iter1/grow', { samples: 3 });
  const e = run.samples('iter1/e-step');
  e.write([sample(0), sample(1), sample(3)]);
  e.commit();
  run.saveCheckpoint('iter1', () => {});
  run.samples('iter2/grow').write([sample(0)]);
  const s = run.summary();
  assert.equal(s.dir, dir);
  assert.deepEqual(s.config, config);
  assert.deepEqual(s.stages.map((x) => [x.stage, x.result]), [['iter1/grow', { samples: 3 }]]);
  assert.deepEqual(s.samples, [
    { stage: 'iter1/e-step', file: 'samples/iter1__e-step.jsonl', records: 3, prompts: 3, kept: 2, keptBy: {}, meanReward: 2 / 3, stageDone: false },
    { stage: 'iter1/grow', file: 'samples/iter1__grow.jsonl', records: 3, prompts: 2, kept: 0, keptBy: { improve1: 2, improve2: 1 }, meanReward: 1 / 3, stageDone: true },
  ]);
  assert.deepEqual(s.checkpoints, ['iter1']);
  assert.deepEqual(s.metrics, { records: 1, byStage: { 'iter1/grow': 1 } });
  assert.deepEqual(s.inProgress, ['samples/iter2__grow.jsonl.tmp']);
  run.close();
});

test('a run held by a live process is refused; a dead holder\'s lock, or another host\'s, is taken over', () => {
  const dir = freshDir();
  RunStore.open(dir, config, { resume: false }).close();
  const lock = join(dir, 'run.lock');
  const host = hostname();
  // The process that started this test file is alive and is not us.
  writeFileSync(lock, JSON.stringify({ pid: process.ppid, host, since: 'earlier' }));
  assert.throws(() => RunStore.open(dir, config, { resume: true }), fails(new RegExp(`run\\.lock: the run is in use by process ${process.ppid} on .* since earlier; .*delete run\\.lock if that process is gone`)));
  const dead = spawnSync(process.execPath, ['-p', 'process.pid']);
  writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout.toString()), host, since: 'earlier' }));
  const run = RunStore.open(dir, config, { resume: true });
  assert.equal(run.recovery.staleLock, `process ${Number(dead.stdout.toString())} on ${host} since earlier`);
  assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid);
  run.close();
  assert.equal(existsSync(lock), false);
  // A preempted job resumes on a new machine, where the old pid means nothing.
  writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: `not-${host}`, since: 'earlier' }));
  const moved = RunStore.open(dir, config, { resume: true });
  assert.equal(moved.recovery.staleLock, `process ${process.ppid} on not-${host} since earlier`);
  moved.close();
});

test('errors are RunStoreErrors that name the file', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  try {
    run.stageResult('nope');
    assert.fail('expected a throw');
  } catch (e) {
    assert.ok(e instanceof RunStoreError);
    assert.equal(e.file, join(dir, 'state.json'));
  }
  run.close();
});

test('stage(): computes once, stores the result, and a resumed run gets the stored copy without computing', async () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  let calls = 0;
  const first = await run.stage('iter1/grow', (s) => {
    calls++;
    const w = s.samples();
    w.write([sample(1), sample(2)]);
    w.commit();
    s.log({ reward: 0.5 });
    return { samples: 2, mean: 0.5 };
  });
  assert.deepEqual(first, { samples: 2, mean: 0.5 });
  assert.deepEqual(await run.stage('iter1/grow', () => { calls++; return { samples: 0, mean: 0 }; }), first, 'a completed stage is not computed again');
  await assert.rejects(run.stage('iter1/improve', () => { calls++; throw new Error('killed'); }), /killed/);
  assert.equal(run.isDone('iter1/improve'), false, 'a stage whose compute throws does not complete');
  run.close();
  const again = RunStore.open(dir, config, { resume: true });
  assert.deepEqual(await again.stage('iter1/grow', () => { calls++; return null; }), first);
  assert.equal(calls, 2);
  assert.equal(again.readSamples('iter1/grow').length, 2);
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string; reward: number });
  assert.deepEqual(metrics.map((m) => [m.stage, m.reward]), [['iter1/grow', 0.5]]);
  again.close();
});

test('saveModel writes <out>/model atomically, and a resume restores it when a kill fell between its renames', () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  run.saveModel((d) => writeFileSync(join(d, 'weights'), 'v1'));
  assert.equal(readFileSync(join(run.modelPath, 'weights'), 'utf8'), 'v1');
  assert.throws(() => run.saveModel(() => { throw new Error('disk full'); }), /disk full/);
  assert.equal(readFileSync(join(dir, 'model', 'weights'), 'utf8'), 'v1', 'a failed save leaves the last model whole');
  run.close();
  // A kill between the two renames: the old copy stands aside, the new one is not yet in place.
  renameSync(join(dir, 'model'), join(dir, 'model.old.tmp'));
  mkdirSync(join(dir, 'model.tmp'));
  const again = RunStore.open(dir, config, { resume: true });
  assert.deepEqual(again.recovery.restored, ['model']);
  assert.equal(readFileSync(join(dir, 'model', 'weights'), 'utf8'), 'v1');
  assert.equal(existsSync(join(dir, 'model.tmp')), false);
  again.close();
  assert.throws(() => RunStore.open(dir, config, { resume: false }), fails(/already holds a run/));
});

test("the leftovers of a model save killed inside saveCheckpoint or saveModel (<name>.tmp.tmp-<pid>) are removed when the run is opened (issue 16)", () => {
  const dir = freshDir();
  const run = RunStore.open(dir, config, { resume: false });
  run.saveCheckpoint('step-1', (tmp) => writeFileSync(join(tmp, 'w'), 'kept'));
  run.close();
  // saveModelDir writes into `<dir>.tmp-<pid>` beside its target, here the store's `step-2.tmp`.
  for (const left of ['checkpoints/step-2.tmp.tmp-4242', 'checkpoints/step-2.tmp.old-4242', 'model.tmp.tmp-77', 'model.tmp']) {
    mkdirSync(join(dir, left), { recursive: true });
    writeFileSync(join(dir, left, 'model.safetensors'), 'half');
  }
  const resumed = RunStore.open(dir, config, { resume: true });
  assert.deepEqual(resumed.recovery.removed.sort(), ['checkpoints/step-2.tmp.old-4242', 'checkpoints/step-2.tmp.tmp-4242', 'model.tmp', 'model.tmp.tmp-77']);
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')), ['step-1']);
  resumed.close();
  // A run killed before its config.json was written is not a run; its opening cleans what that
  // run left, and nothing of a person's own.
  const fresh = freshDir();
  mkdirSync(join(fresh, 'model.tmp.tmp-9'), { recursive: true });
  writeFileSync(join(fresh, '.config.json.9.1700000000000.tmp'), '{"half');
  writeFileSync(join(fresh, 'notes.tmp'), 'mine');
  const opened = RunStore.open(fresh, config, { resume: false });
  assert.deepEqual(opened.recovery.removed.sort(), ['.config.json.9.1700000000000.tmp', 'model.tmp.tmp-9']);
  assert.deepEqual(readdirSync(fresh).sort(), ['config.json', 'notes.tmp', 'run.lock']);
  opened.close();
});
