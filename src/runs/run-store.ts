// The run store every trainer writes through. A trainer is a sequence of named stages
// (`iter1/e-step`, `iter1/m-step`, `iter1/eval`, …); each stage commits its outputs (samples,
// checkpoints, metrics) and then completes, which is the single atomic commit point. So a
// kill -9 at any moment loses at most the stage in progress, and `--resume` reruns it from
// nothing: `open` removes its temporary files and drops its metrics first.
//
//   const run = RunStore.open(out, config, { resume, resumeMayChange: ['iterations'] });
//   for (let it = 1; it <= config.iterations; it++) {
//     const grown = await run.stage(`iter${it}/grow`, (s) => {
//       const w = s.samples();
//       for (const batch of prompts) { w.write(sampleAndScore(batch)); s.log({ … }); }
//       w.commit();
//       return { samples: w.count };              // the stage's result, stored with its completion
//     });                                         // a completed stage returns its stored result
//     …
//   }
//   run.saveModel((dir) => saveModelDir(dir, policy, { tokenizer }));   // <out>/model
//
// Rules a stage must keep for this to hold: write only through this store (or inside the tmp
// directory of `saveCheckpoint`); never read back a checkpoint name it also writes (a rerun
// after a crash would find its own half-finished output: name checkpoints per iteration); and
// make `updateSamples` on an earlier stage's file idempotent (a rerun applies it again).
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../io/checkpoint.js';
import { writeJsonl } from '../io/jsonl.js';
import { describeChange, diffConfig, mayChange } from './config-diff.js';
import {
  CHECKPOINTS_DIR, CONFIG_FILE, METRICS_FILE, MODEL_DIR, OLD_SUFFIX, RUN_FILES, RunStoreError, STATE_FILE, TMP_SUFFIX,
  checkCheckpointName, checkStageName, samplesFile,
} from './run-layout.js';
import { acquireRunLock, releaseRunLock } from './run-lock.js';
import { recoverRun, removeTemporaries, type Recovery } from './run-recovery.js';
import { STATE_VERSION, readRunState, writeRunState, type CompletedStage } from './run-state.js';
import { readRunSummary, type RunSummary } from './run-summary.js';
import { parseSampleRecords, sampleRecordProblem, type SampleRecord } from './sample-record.js';
import { SampleWriter } from './sample-writer.js';

export { RunStoreError } from './run-layout.js';
export type { Recovery } from './run-recovery.js';
export type { CompletedStage } from './run-state.js';
export type { RunSummary, SamplesSummary } from './run-summary.js';
export type { SampleRecord, SamplingSettings } from './sample-record.js';
export { SampleWriter } from './sample-writer.js';

/** What a stage's compute function may do: log its metrics and write its samples. */
export interface StageScope {
  readonly name: string;
  log(record: Record<string, unknown>): void;
  samples(): SampleWriter;
}

export interface RunStoreOptions {
  /** Continue the run already in the directory (the CLI's --resume). */
  resume: boolean;
  /**
   * Config keys (dotted paths; a parent covers its children) whose values a resume may change,
   * e.g. `['iterations']` so that a finished run can be extended. Every other key must match.
   */
  resumeMayChange?: readonly string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON.stringify that writes a non-finite number as the string "NaN"/"Infinity": a diverged loss is worth seeing, and null would hide it. */
function metricJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

export class RunStore {
  private readonly completed: CompletedStage[];
  private readonly done = new Map<string, CompletedStage>();
  private readonly writers = new Map<string, SampleWriter>();
  private closed = false;

  private constructor(
    /** The run directory (--out). */
    readonly dir: string,
    /** The config as stored in config.json (a JSON copy of what was passed). */
    readonly config: Record<string, unknown>,
    /** True when an existing run was opened, false when this call started one. */
    readonly resumed: boolean,
    /** What the resume cleaned up after a crash (nothing removed or dropped for a fresh run). */
    readonly recovery: Recovery,
    completed: CompletedStage[],
  ) {
    this.completed = completed;
    for (const c of completed) this.done.set(c.stage, c);
  }

  /** Whether `dir` already holds a run (a config, state, metrics, samples or checkpoints). */
  static holdsRun(dir: string): boolean {
    return RUN_FILES.some((f) => existsSync(join(dir, f)));
  }

  /**
   * Starts a run in `dir`, or with `resume` continues the one there. A resume of a directory that
   * holds no run starts one, so a job that always passes --resume also works the first time;
   * `resumed` tells the two apart.
   */
  static open(dir: string, config: Record<string, unknown>, opts: RunStoreOptions): RunStore {
    const cfg = normaliseConfig(config, dir);
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new RunStoreError(dir, 'the run directory (--out) is a file, expected a directory');
    mkdirSync(dir, { recursive: true });
    const staleLock = acquireRunLock(dir);
    try {
      return RunStore.openLocked(dir, cfg, opts, staleLock);
    } catch (err) {
      releaseRunLock(dir);
      throw err;
    }
  }

  private static openLocked(dir: string, cfg: Record<string, unknown>, opts: RunStoreOptions, staleLock: string | null): RunStore {
    const configFile = join(dir, CONFIG_FILE);
    const present = RUN_FILES.filter((f) => existsSync(join(dir, f)));
    if (present.length > 0 && !opts.resume) {
      throw new RunStoreError(dir, `already holds a run (${present.join(', ')}); pass --resume to continue it, or choose another --out`);
    }
    if (present.length > 0 && !existsSync(configFile)) {
      throw new RunStoreError(dir, `holds run files (${present.join(', ')}) but no ${CONFIG_FILE}, so it cannot be resumed; choose another --out`);
    }
    if (present.length === 0) {
      const removed = removeTemporaries(dir);
      writeJsonAtomic(configFile, cfg);
      return new RunStore(dir, cfg, false, { removed, restored: [], droppedMetrics: 0, staleLock }, []);
    }

    const stored = readJson(configFile, 'run config');
    if (!isPlainObject(stored)) throw new RunStoreError(configFile, `expected a JSON object, got ${JSON.stringify(stored)}`);
    const allowed = opts.resumeMayChange ?? [];
    const changes = diffConfig(stored, cfg);
    const refused = changes.filter((c) => !mayChange(c.key, allowed));
    if (refused.length > 0) {
      throw new RunStoreError(
        configFile,
        `--resume with a config that differs from the run's in ${refused.map(describeChange).join('; ')}. ` +
          `Resume with the stored values, or start a new run with another --out` +
          (allowed.length ? ` (a resume may change only: ${allowed.join(', ')})` : ''),
      );
    }
    const state = existsSync(join(dir, STATE_FILE)) ? readRunState(dir) : { version: STATE_VERSION, completed: [] };
    const recovery = recoverRun(dir, new Set(state.completed.map((c) => c.stage)), staleLock);
    if (changes.length > 0) writeJsonAtomic(configFile, cfg); // the allowed changes, so config.json says what runs now
    return new RunStore(dir, cfg, true, recovery, state.completed);
  }

  // ---- stages -------------------------------------------------------------------------------

  isDone(stage: string): boolean {
    checkStageName(stage, this.dir);
    return this.done.has(stage);
  }

  /**
   * The stage `name`: when it completed before (this run or the one resumed), its stored result;
   * otherwise `compute` runs and its result is stored as the stage completes. Either way the
   * caller gets the JSON copy, so a fresh run and a resumed one read the same value.
   */
  async stage<R>(name: string, compute: (scope: StageScope) => R | Promise<R>): Promise<R> {
    if (this.isDone(name)) return this.stageResult<R>(name);
    const scope: StageScope = { name, log: (record) => this.logMetrics(name, record), samples: () => this.samples(name) };
    this.completeStage(name, await compute(scope));
    return this.stageResult<R>(name);
  }

  /** Completed stage names, in the order they completed. */
  completedStages(): string[] {
    return this.completed.map((c) => c.stage);
  }

  /**
   * Marks `stage` done, with an optional JSON result (finite numbers only). Everything the stage
   * produced must be committed before this call: after it, the stage never runs again.
   */
  completeStage(stage: string, result?: unknown): void {
    this.checkWritable(stage, 'complete');
    // appendFileSync leaves metric lines in the page cache; flush them before the commit record
    // so that a power cut cannot keep the record and lose the metrics.
    const metrics = join(this.dir, METRICS_FILE);
    if (existsSync(metrics)) {
      const fd = openSync(metrics, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    const entry: CompletedStage = { stage, result: result === undefined ? null : result, at: new Date().toISOString() };
    writeRunState(this.dir, { version: STATE_VERSION, completed: [...this.completed, entry] });
    // Keep the JSON copy so that a result reads the same before and after a resume.
    const stored: CompletedStage = JSON.parse(JSON.stringify(entry)) as CompletedStage;
    this.completed.push(stored);
    this.done.set(stage, stored);
  }

  /** What a completed stage passed to `completeStage` (null when nothing). */
  stageResult<T = unknown>(stage: string): T {
    checkStageName(stage, this.dir);
    const c = this.done.get(stage);
    if (!c) throw new RunStoreError(join(this.dir, STATE_FILE), `stage "${stage}" is not complete, so it has no result`);
    return c.result as T;
  }

  // ---- metrics ------------------------------------------------------------------------------

  /** Appends `{stage, time, ...record}` as one line. Non-finite numbers are written as "NaN" / "Infinity". */
  logMetrics(stage: string, record: Record<string, unknown>): void {
    this.checkWritable(stage, 'log metrics for');
    if (!isPlainObject(record)) throw new RunStoreError(join(this.dir, METRICS_FILE), `stage "${stage}": a metrics record must be an object, got ${JSON.stringify(record)}`);
    for (const k of ['stage', 'time']) {
      if (k in record) throw new RunStoreError(join(this.dir, METRICS_FILE), `stage "${stage}": field "${k}" is set by logMetrics; rename it in the record`);
    }
    appendFileSync(join(this.dir, METRICS_FILE), metricJson({ stage, time: new Date().toISOString(), ...record }) + '\n');
  }

  // ---- samples ------------------------------------------------------------------------------

  /** A writer for the samples of a stage in progress; nothing is visible until its `commit()`. */
  samples(stage: string): SampleWriter {
    this.checkWritable(stage, 'write samples for');
    // A retry of a failed stage starts over; the old writer must not append into the new file.
    this.writers.get(stage)?.markReplaced();
    const w = new SampleWriter(stage, samplesFile(this.dir, stage));
    this.writers.set(stage, w);
    return w;
  }

  /** Whether `stage` has a committed samples file. */
  hasSamples(stage: string): boolean {
    checkStageName(stage, this.dir);
    return existsSync(samplesFile(this.dir, stage));
  }

  readSamples(stage: string): SampleRecord[] {
    checkStageName(stage, this.dir);
    const file = samplesFile(this.dir, stage);
    if (!existsSync(file)) {
      const why = existsSync(file + TMP_SUFFIX) ? 'its writer has not committed' : 'no stage wrote any';
      throw new RunStoreError(file, `no committed samples for stage "${stage}" (${why})`);
    }
    return parseSampleRecords(readFileSync(file, 'utf8'), file);
  }

  /**
   * Rewrites a committed samples file atomically with what `fn` returns (it may edit the records
   * in place and return them), e.g. ReST marking `kept[improveStep]` on its Grow samples. A rerun
   * after a crash calls it again, so `fn` must give the same file when applied twice.
   */
  updateSamples(stage: string, fn: (records: SampleRecord[]) => SampleRecord[]): number {
    if (this.closed) throw new RunStoreError(this.dir, 'the run store was closed');
    const records = this.readSamples(stage);
    const file = samplesFile(this.dir, stage);
    const out = fn(records);
    if (!Array.isArray(out)) throw new RunStoreError(file, `updateSamples("${stage}"): the update must return the array of records, got ${typeof out}`);
    out.forEach((r, i) => {
      const problem = sampleRecordProblem(r);
      if (problem) throw new RunStoreError(file, `updateSamples("${stage}"): record ${i}: ${problem}; the file was left as it was`);
    });
    writeJsonl(file, out);
    return out.length;
  }

  // ---- checkpoints --------------------------------------------------------------------------

  checkpointPath(name: string): string {
    checkCheckpointName(name, this.dir);
    return join(this.dir, CHECKPOINTS_DIR, name);
  }

  hasCheckpoint(name: string): boolean {
    const p = this.checkpointPath(name);
    return existsSync(p) && statSync(p).isDirectory();
  }

  /**
   * Calls `write` on an empty `checkpoints/<name>.tmp`, then renames it to `checkpoints/<name>`,
   * replacing an older one. Directories cannot be renamed over each other, so the old copy steps
   * aside to `<name>.old.tmp` first; a resume puts it back if the kill fell between the renames.
   * `write` must be synchronous: the rename must not overtake its writes.
   */
  saveCheckpoint(name: string, write: (tmpDir: string) => void): string {
    return this.replaceDir(this.checkpointPath(name), write, 'saveCheckpoint');
  }

  /** `<out>/model`: where every command leaves its final model. */
  get modelPath(): string {
    return join(this.dir, MODEL_DIR);
  }

  /** Writes the final model as saveCheckpoint writes a checkpoint: into `model.tmp`, then renamed to `model`. */
  saveModel(write: (tmpDir: string) => void): string {
    return this.replaceDir(this.modelPath, write, 'saveModel');
  }

  private replaceDir(final: string, write: (tmpDir: string) => void, what: string): string {
    if (this.closed) throw new RunStoreError(final, 'the run store was closed');
    const tmp = final + TMP_SUFFIX, old = final + OLD_SUFFIX;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      const ret: unknown = write(tmp);
      if (ret instanceof Promise) {
        ret.catch(() => {}); // reported below, not as an unhandled rejection
        throw new RunStoreError(final, `${what}: write returned a Promise; it must write synchronously before the directory is renamed`);
      }
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    if (existsSync(final)) {
      rmSync(old, { recursive: true, force: true });
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, final);
    }
    return final;
  }

  // ---- the whole run ------------------------------------------------------------------------

  /** Stages done, sample counts, checkpoints and metrics, for `alignkit inspect`. */
  summary(): RunSummary {
    return readRunSummary(this.dir);
  }

  /** Releases the run for another process. The store refuses writes afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    releaseRunLock(this.dir);
  }

  private checkWritable(stage: string, what: string): void {
    checkStageName(stage, this.dir);
    if (this.closed) throw new RunStoreError(this.dir, `cannot ${what} stage "${stage}": the run store was closed`);
    const c = this.done.get(stage);
    if (c) {
      throw new RunStoreError(
        join(this.dir, STATE_FILE),
        `cannot ${what} stage "${stage}": it completed at ${c.at}; a loop that reaches it again should skip it when isDone("${stage}")`,
      );
    }
  }
}

/** A JSON copy of the config, refusing what JSON cannot hold (a NaN would be stored as null and then "differ" on every resume). */
function normaliseConfig(config: Record<string, unknown>, dir: string): Record<string, unknown> {
  const file = join(dir, CONFIG_FILE);
  if (!isPlainObject(config)) throw new RunStoreError(file, `the run config must be an object, got ${JSON.stringify(config)}`);
  const text = JSON.stringify(config, (key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RunStoreError(file, `config field "${key}" is ${v}, which JSON cannot represent`);
    if (typeof v === 'bigint') throw new RunStoreError(file, `config field "${key}" is a bigint, which JSON cannot represent`);
    return v;
  });
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * `store.stage(name, compute)`, or `compute` alone for a trainer called without a run store
 * (its scope logs nowhere and has no samples file).
 */
export async function stageOf<R>(store: RunStore | undefined, name: string, compute: (scope: StageScope) => R | Promise<R>): Promise<R> {
  if (store) return store.stage(name, compute);
  return compute({
    name,
    log: () => {},
    samples: () => { throw new RunStoreError('(no run store)', `stage "${name}" has no run store to write samples to`); },
  });
}
