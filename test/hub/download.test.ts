// Hub ids against the loopback Hub (test/fixtures/hub/loopback-hub.ts): files land in the Hugging
// Face cache layout, a second run needs no network, HF_HUB_OFFLINE reads the cache alone, a cut
// transfer resumes with a Range request, a corrupted blob is caught by its hash, and every failure
// says what happened and what to do.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HubError, resolveModelPath, type HubOptions } from '../../src/hub/index.js';
import { loadModelDir } from '../../src/model/index.js';
import { closedEndpoint, loopbackHubForTests, type LoopbackHub } from '../fixtures/hub/loopback-hub.js';

const fixture = loopbackHubForTests();
let hub: LoopbackHub;
test.beforeEach(() => { hub = fixture.hub(); });

/** A fresh cache and the options that point at the loopback Hub; `lines` collects the log. */
function fresh(extra: HubOptions = {}): HubOptions & { cacheDir: string; lines: string[] } {
  const cacheDir = fixture.tempDir();
  const lines: string[] = [];
  return { endpoint: hub.url, cacheDir, quiet: true, log: (l) => lines.push(l), lines, ...extra };
}

const ID = 'alignkit-test/tiny-llama';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

test('a model id lands in the cache layout: blobs named by their hash, relative links, refs, the listing', async () => {
  const o = fresh();
  const before = hub.requests.length;
  const dir = await resolveModelPath(ID, o);
  const commit = hub.commit(ID);
  const root = join(o.cacheDir, 'models--alignkit-test--tiny-llama');
  assert.equal(dir, join(root, 'snapshots', commit));
  assert.equal(readFileSync(join(root, 'refs', 'main'), 'utf8'), commit);
  for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
    const link = join(dir, name);
    assert.ok(lstatSync(link).isSymbolicLink(), `${name} is a link`);
    const bytes = readFileSync(link);
    const etag = name.endsWith('.safetensors') ? sha256(bytes) : gitSha1(bytes);
    assert.equal(readlinkSync(link), `../../blobs/${etag}`, name);
  }
  assert.ok(!existsSync(join(dir, 'README.md')) && !existsSync(join(dir, 'onnx')), 'only the files a model directory needs');
  const tree = JSON.parse(readFileSync(join(root, 'trees', `${commit}.json`), 'utf8'));
  assert.equal(tree.format_version, 1);
  assert.deepEqual(Object.keys(tree.files), ['README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
  assert.ok(existsSync(join(o.cacheDir, 'CACHEDIR.TAG')));
  const { model, tokenizer } = loadModelDir(dir);
  assert.equal(model.config.dModel, 8);
  assert.ok(tokenizer);
  // The LFS file went through the CDN redirect, without the token following it there.
  const got = hub.requests.slice(before);
  assert.ok(got.some((r) => r.path.startsWith('/cdn/')), 'safetensors fetched from the CDN route');
  assert.ok(o.lines.some((l) => /commit [0-9a-f]{12}, 5 file\(s\) \(5 downloaded\)/.test(l)), o.lines.join('\n'));
});

test('a second run is served from the cache: one call to resolve the revision, no transfer; offline, no call', async () => {
  const o = fresh();
  const first = await resolveModelPath(ID, o);
  let n = hub.requests.length;
  assert.equal(await resolveModelPath(ID, o), first);
  assert.deepEqual(hub.requests.slice(n).map((r) => r.path), [`/api/models/${ID}/revision/main`]);
  n = hub.requests.length;
  assert.equal(await resolveModelPath(ID, { ...o, offline: true }), first);
  assert.equal(await resolveModelPath(`${ID}@${hub.commit(ID)}`, { ...o, offline: true }), first);
  assert.equal(hub.requests.length, n, 'offline asks nothing');
  loadModelDir(first);
});

test('HF_HUB_OFFLINE, HF_ENDPOINT and HF_HUB_CACHE are read from the environment', async () => {
  const o = fresh();
  const saved = { ...process.env };
  try {
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_HUB_CACHE = o.cacheDir;
    delete process.env.HF_HUB_OFFLINE;
    const dir = await resolveModelPath(ID, { quiet: true });
    assert.ok(dir.startsWith(o.cacheDir));
    process.env.HF_HUB_OFFLINE = '1';
    process.env.HF_ENDPOINT = await closedEndpoint(); // nothing listens: offline must not try
    assert.equal(await resolveModelPath(ID, { quiet: true }), dir);
    await assert.rejects(resolveModelPath('alignkit-test/tiny-rm', { quiet: true }), (e: unknown) => {
      assert.ok(e instanceof HubError && e.code === 'offline-miss');
      assert.match(e.message, /alignkit-test\/tiny-rm: HF_HUB_OFFLINE is set, and the cache has nothing of it \(.*models--alignkit-test--tiny-rm: no refs\/main\); run once with the Hub reachable/);
      return true;
    });
  } finally {
    for (const k of ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE']) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
});

test('a revision: a tag and a commit each get their snapshot; blobs they share are stored once', async () => {
  const o = fresh();
  const main = await resolveModelPath(ID, o);
  const v1 = await resolveModelPath(`${ID}@v1`, o);
  assert.equal(v1, join(o.cacheDir, 'models--alignkit-test--tiny-llama', 'snapshots', hub.commit(ID, 'v1')));
  assert.equal(readFileSync(join(o.cacheDir, 'models--alignkit-test--tiny-llama', 'refs', 'v1'), 'utf8'), hub.commit(ID, 'v1'));
  assert.equal(realpathSync(join(main, 'config.json')), realpathSync(join(v1, 'config.json')), 'one blob for the shared config');
  assert.notEqual(realpathSync(join(main, 'model.safetensors')), realpathSync(join(v1, 'model.safetensors')));
  assert.equal(await resolveModelPath(`${ID}@${hub.commit(ID, 'v1')}`, o), v1);
});

test('a local directory that exists wins over a Hub id of the same name', async () => {
  const o = fresh();
  const cwd = process.cwd();
  const here = fixture.tempDir('alignkit-local-');
  mkdirSync(join(here, 'alignkit-test', 'tiny-llama'), { recursive: true });
  try {
    process.chdir(here);
    const n = hub.requests.length;
    assert.equal(await resolveModelPath(ID, o), ID);
    assert.equal(hub.requests.length, n, 'the Hub is not asked');
  } finally {
    process.chdir(cwd);
  }
  assert.equal(await resolveModelPath('runs/sft/model', o), 'runs/sft/model', 'a path that is no Hub id is left to the loader');
});

test('errors: unknown repository, private or gated without and with a token, unknown revision, offline with nothing cached', async () => {
  const o = fresh();
  const failsWith = async (spec: string, opts: HubOptions, code: string, message: RegExp) => {
    await assert.rejects(resolveModelPath(spec, opts), (e: unknown) => {
      assert.ok(e instanceof HubError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, message);
      return true;
    });
  };
  await failsWith('alignkit-test/no-such-model', o, 'unauthorized', /^alignkit-test\/no-such-model \(model on http:\/\/127\.0\.0\.1:\d+\): not found, or private \(401: Repository not found\); for a private or gated repository set HF_TOKEN/);
  await failsWith('alignkit-test/no-such-model', { ...o, token: hub.token }, 'not-found', /no such repository \(404/);
  await failsWith('alignkit-test/private-llama', o, 'unauthorized', /not found, or private \(401.*set HF_TOKEN/);
  await failsWith('alignkit-test/private-llama', { ...o, token: 'hf_wrong' }, 'unauthorized', /the Hub refused the token \(401: Invalid credentials/);
  await failsWith(`${ID}@v9`, o, 'revision', /alignkit-test\/tiny-llama@v9 \(model on .*\): no revision "v9" \(404: Invalid rev id: v9/);
  await failsWith('alignkit-test/private-llama', { ...o, token: 'not-a-token' }, 'token', /^HF_TOKEN \(or the stored token\): expected a Hugging Face access token, which starts with hf_$/);
  await failsWith(ID, { ...fresh(), offline: true }, 'offline-miss', /HF_HUB_OFFLINE is set, and the cache has nothing of it/);
  await failsWith('alignkit-test/gated-llama', o, 'gated', /alignkit-test\/gated-llama\/config\.json: the Hub refused the file \(401\); a gated repository needs its conditions accepted on its page and HF_TOKEN set/);
  loadModelDir(await resolveModelPath('alignkit-test/gated-llama', { ...o, token: hub.token }));
  const dir = await resolveModelPath('alignkit-test/private-llama', { ...o, token: hub.token });
  loadModelDir(dir);
  assert.ok(hub.requests.filter((r) => r.path.startsWith('/cdn/')).every((r) => r.auth === null), 'the token never went to the CDN host');
});

test('the Hub unreachable or failing: the cache answers; nothing cached says both', async () => {
  const o = fresh();
  const dir = await resolveModelPath(ID, o);
  hub.faults.apiStatus = 503;
  try {
    assert.equal(await resolveModelPath(ID, o), dir);
    assert.ok(o.lines.some((l) => l.endsWith('the Hub answered 503 (Service Unavailable): reading the cache')), o.lines.join('\n'));
  } finally {
    hub.faults.apiStatus = null;
  }
  const down = { ...o, endpoint: await closedEndpoint() };
  assert.equal(await resolveModelPath(ID, down), dir);
  assert.ok(o.lines.some((l) => l.endsWith(`cannot reach ${down.endpoint} (ECONNREFUSED): reading the cache`)), o.lines.join('\n'));
  await assert.rejects(resolveModelPath('alignkit-test/tiny-rm', down), (e: unknown) => {
    assert.ok(e instanceof HubError && e.code === 'offline-miss');
    assert.equal(e.message.split(' (')[0], `alignkit-test/tiny-rm: cannot reach ${down.endpoint}`);
    assert.match(e.message, /\(ECONNREFUSED\), and the cache has nothing of it/);
    return true;
  });
});

test('a transfer cut halfway resumes from the partial file with a Range request, in the same run', async () => {
  const o = fresh();
  const bytes = readFileSync(new URL('../../../test/fixtures/hub/repos/tiny-llama-main/model.safetensors', import.meta.url));
  const etag = sha256(bytes), half = bytes.length >> 1;
  hub.faults.cutAfter.set(etag, half);
  const n = hub.requests.length;
  const dir = await resolveModelPath(ID, o);
  const cdn = hub.requests.slice(n).filter((r) => r.path === `/cdn/${etag}`);
  assert.deepEqual(cdn.map((r) => r.range), [null, `bytes=${half}-`]);
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), bytes);
  assert.ok(o.lines.some((l) => new RegExp(`transfer cut after ${half} of ${bytes.length} bytes.*resuming \\(attempt 2 of 3\\)`).test(l)), o.lines.join('\n'));
  assert.ok(!existsSync(join(o.cacheDir, 'models--alignkit-test--tiny-llama', 'blobs', `${etag}.incomplete`)));
});

test('a partial file a killed run left is continued by the next run, not fetched again', async () => {
  const o = fresh();
  const bytes = readFileSync(new URL('../../../test/fixtures/hub/repos/tiny-llama-main/model.safetensors', import.meta.url));
  const etag = sha256(bytes), kept = 1000;
  const blobs = join(o.cacheDir, 'models--alignkit-test--tiny-llama', 'blobs');
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(blobs, `${etag}.incomplete`), bytes.subarray(0, kept));
  const n = hub.requests.length;
  const dir = await resolveModelPath(ID, o);
  assert.deepEqual(hub.requests.slice(n).filter((r) => r.path === `/cdn/${etag}`).map((r) => r.range), [`bytes=${kept}-`]);
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), bytes);
});

test('corrupted bytes are caught by their hash: in transfer (nothing kept), in the cache (fetched again online, refused offline)', async () => {
  const o = fresh();
  const bytes = readFileSync(new URL('../../../test/fixtures/hub/repos/tiny-llama-main/model.safetensors', import.meta.url));
  const etag = sha256(bytes);
  const blob = join(o.cacheDir, 'models--alignkit-test--tiny-llama', 'blobs', etag);
  hub.faults.corrupt.add(etag);
  try {
    await assert.rejects(resolveModelPath(ID, o), new RegExp(`alignkit-test/tiny-llama/model.safetensors: the downloaded bytes have sha256 [0-9a-f]{64}, but the Hub lists ${etag}; the partial file was removed`));
  } finally {
    hub.faults.corrupt.delete(etag);
  }
  assert.ok(!existsSync(blob) && !existsSync(`${blob}.incomplete`));
  const dir = await resolveModelPath(ID, o);
  const bad = Buffer.from(bytes);
  bad[10]! ^= 1;
  writeFileSync(blob, bad);
  await assert.rejects(resolveModelPath(ID, { ...o, offline: true }), (e: unknown) => {
    assert.ok(e instanceof HubError && e.code === 'corrupt');
    assert.match(e.message, new RegExp(`model.safetensors \\(blob .*${etag}\\): sha256 [0-9a-f]{64}, but the Hub lists ${etag}; delete the blob and run with the Hub reachable`));
    return true;
  });
  assert.equal(await resolveModelPath(ID, o), dir);
  assert.ok(o.lines.some((l) => l.includes(`the cached blob ${blob} has sha256`)), o.lines.join('\n'));
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), bytes);
});
