// What the Hub cache costs over the loopback Hub (test/fixtures/hub/loopback-hub.ts), for one file of
// --mb megabytes: a bare fetch of its bytes (the peer), alignkit's download into the cache (the
// transfer, the .incomplete file, the sha256 check, the link), a cached run (the check alone) and
// an offline one. Not a test: it prints seconds and ratios.
//   npx tsc -p tsconfig.json && node dist/bench/hub-cache.js [--mb 512]
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSnapshot, hubSettings, parseModelRef } from '../src/hub/index.js';
import { LoopbackHub, type HubRepo } from '../test/fixtures/hub/loopback-hub.js';

const i = process.argv.indexOf('--mb');
const mb = i > 0 ? Number(process.argv[i + 1]) : 512;
const bytes = randomBytes(mb * 1e6);
const sha = createHash('sha256').update(bytes).digest('hex');
const commit = 'b'.repeat(40);
const repo: HubRepo = {
  type: 'model', id: 'bench/big', private: false,
  revisions: new Map([['main', { commit, files: [{ path: 'model.safetensors', bytes, oid: 'a'.repeat(40), lfs: { sha256: sha, pointerSize: 130 } }] }]]),
};
const hub = await LoopbackHub.start({ repos: [repo], token: 'hf_bench' });
const cacheDir = mkdtempSync(join(tmpdir(), 'alignkit-bench-hub-'));
const ref = parseModelRef('bench/big')!;
const all = (e: readonly { path: string }[]) => [...e] as never;

async function seconds(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

try {
  const bare = await seconds(async () => {
    let n = 0;
    for await (const chunk of (await fetch(`${hub.url}/cdn/${sha}`)).body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
    if (n !== bytes.length) throw new Error(`bare fetch: ${n} bytes`);
  });
  const hashOnly = await seconds(async () => createHash('sha256').update(bytes).digest('hex'));
  const s = hubSettings({ endpoint: hub.url, cacheDir, quiet: true });
  const download = await seconds(() => fetchSnapshot(ref, all, s));
  const cached = await seconds(() => fetchSnapshot(ref, all, s));
  const offline = await seconds(() => fetchSnapshot(ref, all, { ...s, offline: true }));
  const rate = (sec: number) => `${(mb / sec).toFixed(0)} MB/s`;
  console.log(`one ${mb} MB file over the loopback Hub`);
  console.log(`  bare fetch, bytes dropped   ${bare.toFixed(2)} s  ${rate(bare)}`);
  console.log(`  sha256 of it in memory      ${hashOnly.toFixed(2)} s  ${rate(hashOnly)}`);
  console.log(`  download into the cache     ${download.toFixed(2)} s  ${rate(download)}  (${(download / bare).toFixed(2)}× the bare fetch: + writing, + sha256)`);
  console.log(`  second run, cached          ${cached.toFixed(2)} s  ${rate(cached)}  (${(cached / hashOnly).toFixed(2)}× the sha256 in memory: reading + hashing the blob)`);
  console.log(`  offline                     ${offline.toFixed(2)} s  ${rate(offline)}`);
} finally {
  await hub.close();
  rmSync(cacheDir, { recursive: true, force: true });
}
