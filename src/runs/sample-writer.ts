// Appends a stage's samples to `<file>.tmp` and publishes them with one rename, so a reader (or a
// resumed run) sees either every sample of the stage or none: a kill mid-stage leaves only a .tmp,
// which the resume removes before the stage runs again.
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RunStoreError, TMP_SUFFIX } from './run-layout.js';
import { sampleRecordProblem, type SampleRecord } from './sample-record.js';

export class SampleWriter {
  readonly tmpFile: string;
  private written = 0;
  private state: 'open' | 'committed' | 'aborted' | 'replaced by a newer writer for the stage' = 'open';

  /** Starts an empty `.tmp`, discarding one left by an earlier attempt at the same stage. */
  constructor(readonly stage: string, readonly file: string) {
    this.tmpFile = file + TMP_SUFFIX;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(this.tmpFile, '');
  }

  /** Records written so far. */
  get count(): number {
    return this.written;
  }

  /** Validates every record first, then appends them all in one write. */
  write(records: readonly SampleRecord[]): void {
    this.checkOpen('write');
    if (records.length === 0) return;
    const lines: string[] = [];
    for (let i = 0; i < records.length; i++) {
      const problem = sampleRecordProblem(records[i]);
      if (problem) throw new RunStoreError(this.tmpFile, `stage "${this.stage}": record ${this.written + i} (index ${i} of this batch): ${problem}`);
      lines.push(JSON.stringify(records[i]));
    }
    appendFileSync(this.tmpFile, lines.join('\n') + '\n');
    this.written += records.length;
  }

  /** Flushes the samples to disk and renames them into place; returns how many there are. */
  commit(): number {
    this.checkOpen('commit');
    const fd = openSync(this.tmpFile, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.tmpFile, this.file);
    this.state = 'committed';
    return this.written;
  }

  /** Drops what was written (a stage that failed and will be retried). */
  abort(): void {
    if (this.state !== 'open') return;
    rmSync(this.tmpFile, { force: true });
    this.state = 'aborted';
  }

  /** Called by the store when a retry of the stage opens a new writer on the same file. */
  markReplaced(): void {
    if (this.state === 'open') this.state = 'replaced by a newer writer for the stage';
  }

  private checkOpen(what: string): void {
    if (this.state !== 'open') throw new RunStoreError(this.tmpFile, `stage "${this.stage}": cannot ${what}, the writer was already ${this.state}`);
  }
}
