// `--report-to tensorboard` (issue 21): TensorBoard event files beside metrics.jsonl. The JSONL
// stays the source of truth: each time a run is opened its event file is written afresh from
// metrics.jsonl (which a resume has just cut back to its completed stages), so TensorBoard never
// shows figures of a stage that was dropped; then every logged record is appended as it comes.
// Tags are `<series>/<figure>` (seriesOf: `eval/testReward`, `improve/loss`, `step/kl`) and the
// step is the record's number within its series, as the dashboard's curves count it.
import { appendFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { metricNumber, readMetrics, seriesOf, type MetricRecord } from '../metrics-file.js';
import { fileVersionEvent, scalarEvent, tfRecord } from './event-encoding.js';

export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

export class TensorBoardWriter {
  private readonly steps = new Map<string, number>();

  private constructor(readonly file: string) {}

  /** Replaces the event files in `dir` by one holding every record of its metrics.jsonl. */
  static open(dir: string, now = Date.now()): TensorBoardWriter {
    const name = `${EVENT_FILE_PREFIX}${Math.floor(now / 1000)}.${hostname().replace(/[^\w.-]/g, '_')}.${process.pid}.alignkit`;
    const w = new TensorBoardWriter(join(dir, name));
    const frames = [tfRecord(fileVersionEvent(now / 1000))];
    for (const m of readMetrics(dir)) {
      const e = w.encode(m);
      if (e) frames.push(e);
    }
    const tmp = `${w.file}.tmp`;
    writeFileSync(tmp, Buffer.concat(frames));
    renameSync(tmp, w.file);
    for (const n of readdirSync(dir)) if (n.startsWith(EVENT_FILE_PREFIX) && n !== name) rmSync(join(dir, n), { force: true });
    return w;
  }

  write(record: MetricRecord): void {
    const e = this.encode(record);
    if (e) appendFileSync(this.file, e);
  }

  private encode(m: MetricRecord): Buffer | null {
    if (m['event'] !== undefined) return null; // a failure notice, not a figure
    const series = seriesOf(m.stage);
    const values: { tag: string; value: number }[] = [];
    for (const [k, v] of Object.entries(m)) {
      if (k === 'stage' || k === 'time' || k === 'step') continue;
      const x = metricNumber(v);
      if (x !== null) values.push({ tag: `${series}/${k}`, value: x });
    }
    if (values.length === 0) return null;
    const step = (this.steps.get(series) ?? 0) + 1;
    this.steps.set(series, step);
    const t = Date.parse(m.time);
    return tfRecord(scalarEvent(Number.isFinite(t) ? t / 1000 : Date.now() / 1000, step, values));
  }
}
