// `--data org/dataset[@revision][:[config/]split]` against the loopback Hub: a dataset's own Parquet
// files, the Hub's conversion on refs/convert/parquet for one published as JSON Lines, configs and
// splits named or refused with the ones there are, and the same data offline from the cache.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import type { HubOptions } from '../../src/hub/index.js';
import { loopbackHubForTests, type LoopbackHub } from '../fixtures/hub/loopback-hub.js';

const fixture = loopbackHubForTests();
let hub: LoopbackHub;
test.beforeEach(() => { hub = fixture.hub(); });

function fresh(): HubOptions & { cacheDir: string } {
  const cacheDir = fixture.tempDir();
  return { endpoint: hub.url, cacheDir, quiet: true };
}

/** The pairs make_fixtures.py wrote: 15 things × 2 templates, the first 24 for train. */
const jsonl = (split: string) => readFileSync(new URL(`../../../test/fixtures/hub/repos/prefs-jsonl/${split}.jsonl`, import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test("a dataset's own Parquet files: the split asked for, and only its files, in the cache layout", async () => {
  const hubOpts = fresh();
  const train = await loadDataset('alignkit-test/prefs', { hub: hubOpts });
  assert.equal(train.format, 'preference');
  assert.deepEqual(train.records, jsonl('train'));
  assert.equal(train.file, 'alignkit-test/prefs');
  const snap = join(hubOpts.cacheDir, 'datasets--alignkit-test--prefs', 'snapshots', hub.commit('alignkit-test/prefs'));
  assert.ok(lstatSync(join(snap, 'data', 'train-00000-of-00001.parquet')).isSymbolicLink());
  assert.ok(!existsSync(join(snap, 'data', 'test-00000-of-00001.parquet')), 'the test split is not fetched for train');
  const test_ = await loadDataset('alignkit-test/prefs:test', { hub: hubOpts });
  assert.deepEqual(test_.records, jsonl('test'));
  assert.deepEqual(test_.lines, [1, 2, 3, 4, 5, 6]);
});

test('a dataset published as JSON Lines is read from the Hub\'s Parquet conversion (refs/convert/parquet)', async () => {
  const hubOpts = fresh();
  const ds = await loadDataset('alignkit-test/prefs-jsonl', { hub: hubOpts });
  assert.deepEqual(ds.records, jsonl('train'));
  const root = join(hubOpts.cacheDir, 'datasets--alignkit-test--prefs-jsonl');
  const conv = hub.commit('alignkit-test/prefs-jsonl', 'refs/convert/parquet');
  assert.equal(readFileSync(join(root, 'refs', 'refs', 'convert', 'parquet'), 'utf8'), conv);
  assert.ok(existsSync(join(root, 'snapshots', conv, 'default', 'train', '0000.parquet')));
});

test('configs: several with the split are refused by name; a named one is read', async () => {
  const hubOpts = fresh();
  await assert.rejects(loadDataset('alignkit-test/two-configs', { hub: hubOpts }),
    /alignkit-test\/two-configs: several configs have a "train" split \(main, socratic\); name one, e\.g\. alignkit-test\/two-configs:main\/train/);
  const main = await loadDataset('alignkit-test/two-configs:main/train', { hub: hubOpts });
  const socratic = await loadDataset('alignkit-test/two-configs:socratic/train', { hub: hubOpts });
  assert.equal(main.format, 'prompt-completion');
  assert.deepEqual(main.records[0], { prompt: '1+1', completion: ' = 2' });
  assert.deepEqual(socratic.records[0], { prompt: '1+1', completion: ' is 2' });
  await assert.rejects(loadDataset('alignkit-test/two-configs:plain/train', { hub: hubOpts }), /no config "plain" with a "train" split in revision main; configs: main, socratic/);
});

test('an unknown split names the splits there are; an unknown dataset, the Hub\'s answer', async () => {
  const hubOpts = fresh();
  await assert.rejects(loadDataset('alignkit-test/prefs:validation', { hub: hubOpts }), /alignkit-test\/prefs: no Parquet files of split "validation" in revision main; its splits: test, train/);
  await assert.rejects(loadDataset('alignkit-test/nothing-here', { hub: hubOpts }), /alignkit-test\/nothing-here \(dataset on http:\/\/127\.0\.0\.1:\d+\): not found, or private \(401/);
});

test('offline, the same splits come from the cache; a missing local file is still a missing file', async () => {
  const hubOpts = fresh();
  await loadDataset('alignkit-test/prefs', { hub: hubOpts });
  await loadDataset('alignkit-test/prefs-jsonl', { hub: hubOpts });
  const n = hub.requests.length;
  const offline = { ...hubOpts, offline: true };
  assert.deepEqual((await loadDataset('alignkit-test/prefs', { hub: offline })).records, jsonl('train'));
  assert.deepEqual((await loadDataset('alignkit-test/prefs-jsonl', { hub: offline })).records, jsonl('train'));
  assert.equal(hub.requests.length, n);
  await assert.rejects(loadDataset('alignkit-test/prefs:test', { hub: offline }), /the cached snapshot .* lacks data\/test-00000-of-00001\.parquet; run once with the Hub reachable/);
  await assert.rejects(loadDataset('data/prefs.jsonl', { hub: hubOpts }), /data\/prefs\.jsonl: no such file/);
});
