// Where a run keeps its files, and the names a trainer may give its stages and checkpoints.
// Everything a run writes sits under one directory so that `--out` alone identifies the run:
//
//   config.json               the resolved config (atomic)
//   state.json                completed stages and their results (atomic)
//   metrics.jsonl             one JSON line per logged record
//   samples/<stage>.jsonl     Grow data a person can inspect; `/` in a stage becomes `__`
//   model/                    the final model (config.json, model.safetensors, tokenizer files)
//   checkpoints/<name>/       whatever the trainer writes there (weights, optimiser state)
//   run.lock                  which process holds the run
//
// Any `*.tmp` in the directory, samples/ or checkpoints/ is work in progress, as are the
// `*.tmp.tmp-<pid>` and `*.tmp.old-<pid>` of a model save inside one; opening the run removes them.
import { join } from 'node:path';

export class RunStoreError extends Error {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'RunStoreError';
  }
}

export const CONFIG_FILE = 'config.json';
export const STATE_FILE = 'state.json';
export const METRICS_FILE = 'metrics.jsonl';
export const SAMPLES_DIR = 'samples';
export const CHECKPOINTS_DIR = 'checkpoints';
/** Where every command leaves its final model. */
export const MODEL_DIR = 'model';
export const LOCK_FILE = 'run.lock';
export const TMP_SUFFIX = '.tmp';
/** What a checkpoint being replaced is renamed to until the new one is in place. */
export const OLD_SUFFIX = '.old.tmp';

/** Files whose presence means the directory already holds a run. */
export const RUN_FILES = [CONFIG_FILE, STATE_FILE, METRICS_FILE, SAMPLES_DIR, CHECKPOINTS_DIR, MODEL_DIR] as const;

// A segment starts with a letter or digit so that no name is hidden (`.x`) or a path step (`..`).
const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]*';
const STAGE_RE = new RegExp(`^${SEGMENT}(/${SEGMENT})*$`);
const CHECKPOINT_RE = new RegExp(`^${SEGMENT}$`);
const MAX_NAME = 200;

/**
 * Throws unless `stage` is `segment(/segment)*`. `__` is refused because a stage's samples file
 * replaces `/` by `__`, and that mapping must stay one-to-one for `summary()` to map files back.
 */
export function checkStageName(stage: string, dir: string): void {
  if (typeof stage !== 'string' || stage.length > MAX_NAME || !STAGE_RE.test(stage) || stage.includes('__')) {
    throw new RunStoreError(
      dir,
      `stage name ${JSON.stringify(stage)} is invalid: expected segments of letters, digits, '.', '_' or '-' joined by '/', ` +
        `each starting with a letter or digit, without '__', at most ${MAX_NAME} characters (e.g. "iter1/e-step")`,
    );
  }
}

export function checkCheckpointName(name: string, dir: string): void {
  if (typeof name !== 'string' || name.length > MAX_NAME || !CHECKPOINT_RE.test(name) || name.endsWith(TMP_SUFFIX)) {
    throw new RunStoreError(
      dir,
      `checkpoint name ${JSON.stringify(name)} is invalid: expected one path segment of letters, digits, '.', '_' or '-', ` +
        `starting with a letter or digit and not ending in ${TMP_SUFFIX} (e.g. "iter2")`,
    );
  }
}

export function stageSlug(stage: string): string {
  return stage.replaceAll('/', '__');
}

export function stageOfSlug(slug: string): string {
  return slug.replaceAll('__', '/');
}

export function samplesFile(dir: string, stage: string): string {
  return join(dir, SAMPLES_DIR, `${stageSlug(stage)}.jsonl`);
}
