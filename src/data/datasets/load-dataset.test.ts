import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, loadDataset, splitDataset } from './load-dataset.js';
import { writeParquetFixture } from '../../../test/fixtures/parquet.js';

const dir = mkdtempSync(join(tmpdir(), 'alignkit-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const jsonl = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function failsWith(p: Promise<unknown>, expected: string | RegExp): Promise<DatasetError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DatasetError, `expected a DatasetError, got ${String(err)}`);
    if (typeof expected === 'string') assert.equal(err.message, expected);
    else assert.match(err.message, expected);
    return err;
  }
  assert.fail('expected the load to fail');
}

test('reads JSONL, skipping blank lines and keeping each record\'s line', async () => {
  const p = file('pref.jsonl', jsonl({ prompt: 'Sky?', chosen: ' Blue.', rejected: ' Green.' }) + '\n' + jsonl({ prompt: 'Sea?', chosen: ' Wet.', rejected: ' Dry.' }));
  const ds = await loadDataset(p);
  assert.equal(ds.format, 'preference');
  assert.equal(ds.records.length, 2);
  assert.deepEqual(ds.lines, [1, 3]);
  assert.equal(ds.file, p);
});

test('an explicit format narrows the record type', async () => {
  const p = file('sft.jsonl', jsonl({ prompt: 'Q: 2+2?', completion: ' 4' }));
  const ds = await loadDataset(p, { format: 'prompt-completion' });
  assert.equal(ds.records[0]!.completion, ' 4');
});

test('reads a .json array and reports errors at the element\'s line', async () => {
  const good = file('chat.json', JSON.stringify([{ messages: [{ role: 'user', content: 'Hi' }] }, { messages: [{ role: 'assistant', content: 'Yo' }] }], null, 2));
  const ds = await loadDataset(good);
  assert.equal(ds.format, 'messages');
  assert.deepEqual(ds.lines, [2, 10]);
  const bad = file('bad.json', '[\n  {"text": "a"},\n  {"text": "b, with [brackets] and \\"quotes\\""},\n  {"text": 17}\n]\n');
  await failsWith(loadDataset(bad), `${bad}:4: field "text": expected a string, got number`);
  await failsWith(loadDataset(file('obj.json', '{"text": "a"}\n{"text": 5}\n')), `${join(dir, 'obj.json')}:2: field "text": expected a string, got number`);
});

test('invalid JSON names the line', async () => {
  const p = file('broken.jsonl', jsonl({ text: 'a' }, { text: 'b' }) + '{"text": "c",\n');
  const err = await failsWith(loadDataset(p), new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: invalid JSON`));
  assert.equal(err.line, 3);
  const e2 = await failsWith(loadDataset(file('broken.json', '[\n{"text": "a"},\n{"text" "b"}\n]')), /broken\.json:3: invalid JSON/);
  assert.equal(e2.line, 3);
});

test('the message reads like file:line: field "chosen": expected ..., got number', async () => {
  const records = Array.from({ length: 16 }, (_, i) => ({ prompt: `p${i}`, chosen: 'c', rejected: 'r' }));
  const p = file('train.jsonl', jsonl(...records, { prompt: 'p', chosen: 1, rejected: 'r' }));
  const err = await failsWith(loadDataset(p), `${p}:17: field "chosen": expected a string or a list of {role, content} messages, got number`);
  assert.deepEqual([err.file, err.line, err.field], [p, 17, 'chosen']);
});

test('missing, empty, directory and unsupported files are clear errors', async () => {
  await failsWith(loadDataset(join(dir, 'nope.jsonl')), `${join(dir, 'nope.jsonl')}: no such file`);
  await failsWith(loadDataset(file('empty.jsonl', '\n  \n')), `${join(dir, 'empty.jsonl')}: empty file (no records)`);
  await failsWith(loadDataset(file('empty.json', '[]')), `${join(dir, 'empty.json')}: empty dataset (no records)`);
  await failsWith(loadDataset(file('data.csv', 'a,b\n')), /data\.csv: unsupported file extension "\.csv"; expected one of \.jsonl, \.json, \.parquet$/);
  // A .json file that is not an array is read as JSON Lines, as HF datasets does.
  await failsWith(loadDataset(file('scalar.json', '42')), /scalar\.json:1: expected a JSON object per record, got number$/);
  const sub = join(dir, 'folder.jsonl');
  mkdirSync(sub);
  await failsWith(loadDataset(sub), `${sub}: is a directory; expected a .jsonl, .json, .parquet file`);
});

test('mixed formats are rejected at the first odd line', async () => {
  const p = file('mixed.jsonl', jsonl({ text: 'a' }, { text: 'b' }, { messages: [{ role: 'user', content: 'c' }] }));
  await failsWith(loadDataset(p), `${p}:3: record is in format "messages" but the file is "text" (from line 1); mixed formats are not allowed`);
});

test('parquet round trip: rows come back as validated records', async () => {
  const p = file('pref.parquet', writeParquetFixture([
    { name: 'prompt', type: 'string', values: ['Sky colour?', 'Whale?'] },
    { name: 'chosen', type: 'string', values: [' Blue.', ' Call me Ishmael. 🐋'] },
    { name: 'rejected', type: 'string', values: [' Green.', ' A fish.'] },
    { name: 'id', type: 'int32', values: [10, 11] },
  ]));
  const ds = await loadDataset(p);
  assert.equal(ds.format, 'preference');
  assert.deepEqual(ds.records, [
    { prompt: 'Sky colour?', chosen: ' Blue.', rejected: ' Green.' },
    { prompt: 'Whale?', chosen: ' Call me Ishmael. 🐋', rejected: ' A fish.' },
  ]);
  assert.deepEqual(ds.lines, [1, 2]);
});

test('parquet errors name the row and the field', async () => {
  const p = file('bad.parquet', writeParquetFixture([
    { name: 'text', type: 'string', values: ['fine'] },
  ]));
  assert.equal((await loadDataset(p)).format, 'text');
  const q = file('typed.parquet', writeParquetFixture([
    { name: 'prompt', type: 'string', values: ['a', 'b'] },
    { name: 'completion', type: 'int32', values: [1, 2] },
  ]));
  const err = await failsWith(loadDataset(q), `${q}: row 1: field "completion": expected a string or a list of {role, content} messages, got number`);
  assert.equal(err.row, 1);
  await failsWith(loadDataset(file('junk.parquet', 'not parquet at all')), /junk\.parquet: cannot read parquet \(.*PAR1/);
  await failsWith(loadDataset(file('none.parquet', writeParquetFixture([{ name: 'text', type: 'string', values: [] }]))), /none\.parquet: empty file/);
});

test('a loaded dataset splits the same way every time', async () => {
  const p = file('many.jsonl', jsonl(...Array.from({ length: 50 }, (_, i) => ({ text: `doc ${i}` }))));
  const ds = await loadDataset(p, { format: 'text' });
  const a = splitDataset(ds.records, { evalFraction: 0.2, seed: 1 });
  const b = splitDataset(ds.records, { evalFraction: 0.2, seed: 1 });
  assert.deepEqual(a, b);
  assert.equal(a.eval.length, 10);
});
