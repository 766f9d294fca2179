// What every training command shares as a library call: where its run goes (--out, --resume,
// --quiet), and one output layout — the final model in <out>/model, resume points in
// <out>/checkpoints/, the run store's config.json, state.json, metrics.jsonl and samples/ beside.
import { bool, text } from '../../config/index.js';
import type { HubOptions } from '../../hub/index.js';
import { loadModelDir, saveModelDir } from '../../model/index.js';
import type { RunStore } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';

export function runOptions(defaultOut: string) {
  return {
    out: text(defaultOut, 'run directory: the final model in <out>/model, checkpoints/, metrics.jsonl, samples/', { aliases: ['output_dir'] }),
    resume: bool(false, 'continue the run in --out from its last completed stage'),
    quiet: bool(false, 'no progress display'),
  };
}

/** Where a job reports what it is doing, a line at a time (the CLI prints them to stderr). */
export interface JobHooks {
  log?: (line: string) => void;
}

export const noLog = (): void => {};

/** How a job fetches Hub inputs: its --quiet silences the download progress, its log hears what was resolved. */
export function hubOf(o: { quiet?: boolean }, hooks: JobHooks): HubOptions {
  return { quiet: o.quiet === true, ...(hooks.log ? { log: hooks.log } : {}) };
}

/**
 * Copies the run's last policy, checkpoint `checkpoint`, to <out>/model in stage `final/<name>`:
 * named by the checkpoint, so a resume that adds iterations writes the new last policy.
 */
export async function saveLastPolicy(store: RunStore, checkpoint: string, tokenizer: Tokenizer): Promise<void> {
  await store.stage(`final/${checkpoint}`, () => {
    store.saveModel((d) => saveModelDir(d, loadModelDir(store.checkpointPath(checkpoint), { tokenizer: false }).model, { tokenizer }));
    return { policy: checkpoint };
  });
}
