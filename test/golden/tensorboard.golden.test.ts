// The event encoder against bytes the real tensorboard package wrote for the same events
// (make_tensorboard.py), and the test reader against them too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileVersionEvent, scalarEvent, tfRecord } from '../../src/runs/tensorboard/event-encoding.js';
import { readEvents } from '../../src/runs/tensorboard/read-events.test.js';

interface GoldenEvent { wallTime: number; fileVersion?: string; step?: number; values?: { tag: string; value: number | 'NaN' }[] }
const golden = JSON.parse(readFileSync(new URL('../../../test/golden/tensorboard.json', import.meta.url), 'utf8')) as { cases: { name: string; events: GoldenEvent[]; hex: string }[] };
const num = (v: number | 'NaN') => (v === 'NaN' ? NaN : v);

for (const c of golden.cases) {
  test(`tensorboard golden "${c.name}": the same bytes as tensorboard's RecordWriter, read back by the test reader`, () => {
    const frames = c.events.map((e) => tfRecord(e.fileVersion
      ? fileVersionEvent(e.wallTime)
      : scalarEvent(e.wallTime, e.step!, e.values!.map((v) => ({ tag: v.tag, value: num(v.value) })))));
    assert.equal(Buffer.concat(frames).toString('hex'), c.hex);
    const read = readEvents(Buffer.from(c.hex, 'hex'));
    assert.deepEqual(read.map((e) => [e.wallTime, e.step, e.fileVersion ?? null]), c.events.map((e) => [e.wallTime, e.step ?? 0, e.fileVersion ?? null]));
    read.forEach((e, i) => assert.deepEqual(e.values, (c.events[i]!.values ?? []).map((v) => ({ tag: v.tag, value: Math.fround(num(v.value)) }))));
  });
}
