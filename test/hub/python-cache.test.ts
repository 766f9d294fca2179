// A cache is shared with Python both ways. test/fixtures/hub/python-cache/ is what Python's
// huggingface_hub 1.33 wrote (make_fixtures.py: snapshot_download against the loopback Hub): it is
// read as it is, offline and online without a transfer; the cache alignkit fills with the same
// downloads holds the same files, links, refs and listings; and where a Python with
// huggingface_hub is at hand, it reads alignkit's cache offline (skipped, saying so, without one).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { resolveModelPath, type HubOptions } from '../../src/hub/index.js';
import { loadModelDir } from '../../src/model/index.js';
import { HUB_FIXTURES, loopbackHubForTests, type LoopbackHub } from '../fixtures/hub/loopback-hub.js';
import { referencePython } from '../fixtures/reference-python.js';

const fixture = loopbackHubForTests();
let hub: LoopbackHub;
test.beforeEach(() => { hub = fixture.hub(); });
const tempDir = () => fixture.tempDir('alignkit-pycache-');

/** A copy of Python's cache, links kept as links, so that no test can change the fixture. */
function pythonCache(): string {
  const d = tempDir();
  cpSync(join(HUB_FIXTURES, 'python-cache'), d, { recursive: true, verbatimSymlinks: true });
  return d;
}

const ID = 'alignkit-test/tiny-llama';
const fixtureFile = (dir: string, name: string) => readFileSync(join(HUB_FIXTURES, 'repos', dir, name));

test("Python's cache is read as it is, offline: models at two revisions, a reward model, two datasets", async () => {
  const cacheDir = pythonCache();
  const o: HubOptions = { cacheDir, offline: true, quiet: true };
  const main = await resolveModelPath(ID, o);
  assert.equal(main, join(cacheDir, 'models--alignkit-test--tiny-llama', 'snapshots', hub.commit(ID)));
  assert.deepEqual(readFileSync(join(main, 'model.safetensors')), fixtureFile('tiny-llama-main', 'model.safetensors'));
  const v1 = await resolveModelPath(`${ID}@v1`, o);
  assert.deepEqual(readFileSync(join(v1, 'model.safetensors')), fixtureFile('tiny-llama-v1', 'model.safetensors'));
  const a = loadModelDir(main).model, b = loadModelDir(v1).model;
  assert.notDeepEqual(a.params.get('lm_head.weight')!.data, b.params.get('lm_head.weight')!.data);
  assert.ok(loadModelDir(await resolveModelPath('alignkit-test/tiny-rm', o)).model.params.has('score.weight'));
  const prefs = await loadDataset('alignkit-test/prefs', { hub: o });
  const conv = await loadDataset('alignkit-test/prefs-jsonl', { hub: o });
  assert.equal(prefs.records.length, 24);
  assert.deepEqual(conv.records, prefs.records);
});

test("online against Python's cache: the revision is asked, nothing is transferred", async () => {
  const cacheDir = pythonCache();
  const n = hub.requests.length;
  await resolveModelPath(ID, { endpoint: hub.url, cacheDir, quiet: true });
  await loadDataset('alignkit-test/prefs', { hub: { endpoint: hub.url, cacheDir, quiet: true } });
  assert.deepEqual(hub.requests.slice(n).map((r) => r.path), [`/api/models/${ID}/revision/main`, '/api/datasets/alignkit-test/prefs/revision/main']);
});

/** Every entry under `root`: a link's target, a file's bytes (as text, for the diff), a folder's name. */
function layout(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n), rel = relative(root, p).split(sep).join('/');
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else if (st.isDirectory()) { out.set(rel, 'dir'); walk(p); }
      else out.set(rel, rel.includes('/trees/') ? `tree ${JSON.stringify(JSON.parse(readFileSync(p, 'utf8')))}` : `file ${readFileSync(p).toString('base64')}`);
    }
  };
  walk(root);
  return out;
}

test('the cache alignkit fills is the cache Python fills: same blobs, links, refs, listings', async () => {
  const ours = tempDir();
  const o: HubOptions = { endpoint: hub.url, cacheDir: ours, quiet: true };
  await resolveModelPath(ID, o);
  await resolveModelPath(`${ID}@v1`, o);
  await resolveModelPath('alignkit-test/tiny-rm', o);
  await loadDataset('alignkit-test/prefs', { hub: o });
  await loadDataset('alignkit-test/prefs-jsonl', { hub: o });
  const py = layout(join(HUB_FIXTURES, 'python-cache')), mine = layout(ours);
  for (const [p, v] of py) assert.equal(mine.get(p), v, p);
  // alignkit also looked at prefs-jsonl's main branch (no Parquet there) before its conversion.
  const extra = [...mine.keys()].filter((p) => !py.has(p)).sort();
  assert.deepEqual(extra, ['datasets--alignkit-test--prefs-jsonl/refs/main', `datasets--alignkit-test--prefs-jsonl/trees/${hub.commit('alignkit-test/prefs-jsonl')}.json`]);
});

const pythonWithHub = (): string | null => referencePython(['huggingface_hub']);

test("Python's huggingface_hub reads the cache alignkit filled, offline", async (t) => {
  const py = pythonWithHub();
  if (!py) return t.skip('no Python with huggingface_hub (set ALIGNKIT_PYTHON): the layout test above compares against its cache instead');
  const ours = tempDir();
  const o: HubOptions = { endpoint: hub.url, cacheDir: ours, quiet: true };
  const dir = await resolveModelPath(ID, o);
  await loadDataset('alignkit-test/prefs', { hub: o });
  const patterns = ['config.json', 'generation_config.json', '*.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
  const script = [
    'import hashlib, json, sys',
    'from huggingface_hub import hf_hub_download, snapshot_download',
    `cache = ${JSON.stringify(ours)}`,
    `model = snapshot_download(${JSON.stringify(ID)}, cache_dir=cache, allow_patterns=${JSON.stringify(patterns)})`,
    `weights = hf_hub_download(${JSON.stringify(ID)}, "model.safetensors", cache_dir=cache)`,
    'data = snapshot_download("alignkit-test/prefs", repo_type="dataset", cache_dir=cache, allow_patterns=["data/train-*"])',
    'print(json.dumps({"model": model, "sha256": hashlib.sha256(open(weights, "rb").read()).hexdigest(), "data": data}))',
  ].join('\n');
  const r = spawnSync(py, ['-c', script], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', HF_HOME: tempDir(), HF_ENDPOINT: hub.url } });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(got.model, dir);
  assert.equal(got.sha256, readlinkSync(join(dir, 'model.safetensors')).split('/').pop());
  assert.equal(got.data, join(ours, 'datasets--alignkit-test--prefs', 'snapshots', hub.commit('alignkit-test/prefs')));
});
