// A fake ReST-like loop for run-store-crash.test.ts: three iterations of Grow (samples written in
// batches), two Improve steps (marking per-step `kept` flags on the Grow samples, saving a
// checkpoint slowly and replacing `latest`) and an eval that reads the checkpoint back. Run as a
// script it prints `point <name>` at every interesting moment and then pauses, so that the test
// can SIGKILL it exactly there; imported, it runs the same loop in-process.
//
//   node dist/src/runs/run-store-crash-fixture.js <run dir> <pause ms> [point to hold at]
//
// At the hold point it blocks for a minute, so the test's kill lands there however loaded the
// machine is.
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunStore, type SampleRecord } from './run-store.js';

export const FIXTURE_CONFIG = { method: 'fake-rest', iterations: 3, batches: 3, batchSize: 4 } as const;
const { iterations, batches, batchSize } = FIXTURE_CONFIG;
const thresholds = [0.3, 0.6];

export const stagesOf = (it: number): string[] => [`iter${it}/grow`, `iter${it}/improve1`, `iter${it}/improve2`, `iter${it}/eval`];

/** Every point the loop passes, in order, when it runs uninterrupted. */
export function fixturePoints(): string[] {
  const out: string[] = [];
  for (let it = 1; it <= iterations; it++) {
    const [grow, ...rest] = stagesOf(it);
    out.push(`${grow}:start`, ...Array.from({ length: batches }, (_, b) => `${grow}:batch${b}`), `${grow}:committed`, `${grow}:done`);
    for (const s of rest.slice(0, 2)) out.push(`${s}:marked`, `${s}:logged`, `${s}:ckpt-half`, `${s}:ckpt-saved`, `${s}:latest-saved`, `${s}:done`);
    out.push(`${rest[2]}:logged`, `${rest[2]}:done`);
  }
  return out;
}

/** The Grow samples of an iteration as its stage writes them, before any Improve step marks them. */
export function grownSamples(it: number, b: number): SampleRecord[] {
  return Array.from({ length: batchSize }, (_, j) => {
    const n = b * batchSize + j;
    return {
      promptId: `p${n}`, prompt: `prompt ${n}`, sample: `iter${it} answer ${n}`, reward: ((n * 7) % 12) / 11,
      verifier: { parsed: n }, policy: it === 1 ? 'base' : `iter${it - 1}/improve2`,
      sampling: { temperature: 0.8, topK: 20, seed: it * 1000 + n }, kept: {},
    };
  });
}

/** Improve step k keeps what step k−1 kept and clears its (higher) threshold: ReST's rising filter. */
export function keptBy(r: SampleRecord, step: number): boolean {
  const kept = r.kept as Record<string, boolean>;
  return (step === 1 || kept[`improve${step - 1}`] === true) && r.reward >= thresholds[step - 1]!;
}

export const weightsOf = (it: number, step: number) => `weights after iter${it} improve${step}\n`;

const sleep = (ms: number) => {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

export function fakeLoop(dir: string, point: (name: string) => void = () => {}): RunStore {
  const run = RunStore.open(dir, { ...FIXTURE_CONFIG }, { resume: true });
  const r = run.recovery;
  point(`opened resumed=${run.resumed} removed=${r.removed.length} restored=${r.restored.length} dropped=${r.droppedMetrics}`);
  for (let it = 1; it <= iterations; it++) {
    const [grow, improve1, improve2, evalStage] = stagesOf(it) as [string, string, string, string];
    if (!run.isDone(grow)) {
      const w = run.samples(grow);
      point(`${grow}:start`);
      for (let b = 0; b < batches; b++) {
        const batch = grownSamples(it, b);
        w.write(batch);
        run.logMetrics(grow, { batch: b, meanReward: batch.reduce((s, x) => s + x.reward, 0) / batch.length });
        point(`${grow}:batch${b}`);
      }
      w.commit();
      point(`${grow}:committed`);
      run.completeStage(grow, { samples: w.count });
      point(`${grow}:done`);
    }
    for (const [step, stage] of [[1, improve1], [2, improve2]] as const) {
      if (run.isDone(stage)) continue;
      let kept = 0;
      run.updateSamples(grow, (rs) => rs.map((x) => {
        const k = keptBy(x, step);
        kept += k ? 1 : 0;
        return { ...x, kept: { ...(x.kept as Record<string, boolean>), [`improve${step}`]: k } };
      }));
      point(`${stage}:marked`);
      run.logMetrics(stage, { kept });
      point(`${stage}:logged`);
      const write = (tmp: string) => {
        writeFileSync(join(tmp, 'weights.txt'), weightsOf(it, step));
        point(`${stage}:ckpt-half`);
        writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify({ it, step }));
      };
      run.saveCheckpoint(`iter${it}-improve${step}`, write);
      point(`${stage}:ckpt-saved`);
      run.saveCheckpoint('latest', (tmp) => writeFileSync(join(tmp, 'weights.txt'), weightsOf(it, step)));
      point(`${stage}:latest-saved`);
      run.completeStage(stage, { kept });
      point(`${stage}:done`);
    }
    if (!run.isDone(evalStage)) {
      const weights = readFileSync(join(run.checkpointPath(`iter${it}-improve2`), 'weights.txt'), 'utf8');
      if (weights !== weightsOf(it, 2)) throw new Error(`${evalStage}: checkpoint holds ${JSON.stringify(weights)}`);
      run.logMetrics(evalStage, { score: it / 10 });
      point(`${evalStage}:logged`);
      run.completeStage(evalStage, { score: it / 10 });
      point(`${evalStage}:done`);
    }
  }
  return run;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, pause, holdAt] = process.argv.slice(2);
  if (!dir) throw new Error('usage: run-store-crash-fixture.js <run dir> [pause ms] [point to hold at]');
  const pauseMs = Number(pause ?? 0);
  // writeSync: the test reads these lines to time its kill, so they must leave before the pause.
  const run = fakeLoop(dir, (name) => {
    writeSync(1, `point ${name}\n`);
    sleep(name === holdAt ? 60_000 : pauseMs);
  });
  run.close();
  writeSync(1, 'finished\n');
}
