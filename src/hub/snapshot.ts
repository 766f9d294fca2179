// Some files of a repository at a revision, as a directory of the cache: the revision resolved to
// its commit, the commit's listing read, the wanted files fetched or found, checked by hash and
// linked under snapshots/<commit>/. Offline (HF_HUB_OFFLINE, or the Hub unreachable) the same
// comes from the cache alone, as huggingface_hub's snapshot_download does: refs/<revision> gives
// the commit, trees/<commit>.json the listing (else the snapshot directory as it is).
// Through @huggingface/hub: the revision's commit (modelInfo / datasetInfo, field sha) and the
// listing with each file's hashes (listFiles); the cache paths by its getRepoFolderName.
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetInfo, listFiles, modelInfo } from '@huggingface/hub';
import { hashKindOf, hashMismatch } from './blob-hash.js';
import { etagOf, lstatOrNull, RepoCache, tagCacheDir, type TreeEntry } from './cache-layout.js';
import { downloadBlob } from './download.js';
import { HubError, hubFailure } from './hub-error.js';
import { isCommit, showRef, type RepoRef } from './hub-id.js';
import type { HubSettings } from './settings.js';

/** Picks the files wanted from a commit's listing; may throw to say why none fit. */
export type Select = (entries: readonly TreeEntry[]) => TreeEntry[];

export interface Snapshot {
  ref: RepoRef;
  commit: string;
  /** snapshots/<commit> in the cache. */
  dir: string;
  /** The selected files: path in the repository, and where it is on disk. */
  files: { path: string; file: string }[];
  /** How many of them were transferred now (0: all from the cache). */
  downloaded: number;
  /** True when the Hub was not asked (offline, or unreachable). */
  offline: boolean;
}

export async function fetchSnapshot(ref: RepoRef, select: Select, s: HubSettings): Promise<Snapshot> {
  const cache = new RepoCache(s.cacheDir, ref);
  if (s.offline) return fromCache(ref, cache, select, 'HF_HUB_OFFLINE is set', s);
  let commit: string, entries: TreeEntry[];
  try {
    commit = isCommit(ref.revision) ? ref.revision : await commitOf(ref, s);
    entries = cache.readTree(commit) ?? await listTree(ref, commit, s, cache);
  } catch (err) {
    const e = hubFailure(err, ref, s);
    // As snapshot_download does: an unreachable or failing Hub leaves the cache to answer.
    if (!(e instanceof HubError && (e.code === 'network' || e.code === 'server'))) throw e;
    s.log(`${e.message}: reading the cache`);
    return fromCache(ref, cache, select, e.reason, s);
  }
  const chosen = select(entries);
  tagCacheDir(s.cacheDir);
  let downloaded = 0;
  for (const e of chosen) if (await ensureFile(cache, ref, commit, e, s)) downloaded++;
  if (ref.revision !== commit) cache.writeRef(ref.revision, commit);
  return done({ ref, commit, dir: cache.snapshot(commit), files: chosen.map((e) => fileOf(cache, commit, e)), downloaded, offline: false }, s);
}

function done(snap: Snapshot, s: HubSettings): Snapshot {
  const how = snap.offline ? 'from the cache, offline' : snap.downloaded ? `${snap.downloaded} downloaded` : 'all cached';
  s.log(`${showRef(snap.ref)}: commit ${snap.commit.slice(0, 12)}, ${snap.files.length} file(s) (${how}) in ${snap.dir}`);
  return snap;
}

const fileOf = (cache: RepoCache, commit: string, e: TreeEntry) => ({ path: e.path, file: join(cache.snapshot(commit), e.path) });

async function commitOf(ref: RepoRef, s: HubSettings): Promise<string> {
  const q = { name: ref.id, revision: ref.revision, hubUrl: s.endpoint, fetch: s.fetch, ...(s.token ? { accessToken: s.token } : {}) };
  const info = ref.type === 'model' ? await modelInfo({ ...q, additionalFields: ['sha'] }) : await datasetInfo({ ...q, additionalFields: ['sha'] });
  const sha = (info as { sha?: string }).sha;
  if (!sha || !isCommit(sha)) throw new HubError('server', `${showRef(ref)}: the Hub's answer for revision ${ref.revision} has no commit sha (got ${JSON.stringify(sha)})`);
  return sha;
}

async function listTree(ref: RepoRef, commit: string, s: HubSettings, cache: RepoCache): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const files = listFiles({ repo: { type: ref.type, name: ref.id }, revision: commit, recursive: true, hubUrl: s.endpoint, fetch: s.fetch, ...(s.token ? { accessToken: s.token } : {}) });
  for await (const f of files) {
    if (f.type !== 'file') continue;
    if (!f.oid) throw new HubError('server', `${showRef(ref)}: the Hub listed ${f.path} with no blob id`);
    out.push({ path: checkedPath(ref, f.path), size: f.size, blobId: f.oid, ...(f.lfs ? { lfsSha256: f.lfs.oid } : {}), ...(f.xetHash ? { xetHash: f.xetHash } : {}) });
  }
  cache.writeTree(commit, out);
  return out;
}

// A listed path is joined onto the cache: nothing that climbs out of the snapshot (huggingface_hub#4540).
function checkedPath(ref: RepoRef, path: string): string {
  if (path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '' || p === '.') || path.includes('\\')) {
    throw new HubError('server', `${showRef(ref)}: the Hub listed the path ${JSON.stringify(path)}, which would leave the snapshot directory`);
  }
  return path;
}

/** Makes snapshots/<commit>/<path> a checked copy of the file; true when it had to be transferred. */
async function ensureFile(cache: RepoCache, ref: RepoRef, commit: string, e: TreeEntry, s: HubSettings): Promise<boolean> {
  const etag = etagOf(e), blob = cache.blob(etag), label = `${ref.id}/${e.path}`;
  if (existsSync(blob)) {
    const bad = await hashMismatch(blob, etag);
    if (!bad) {
      if (!pointsAt(join(cache.snapshot(commit), e.path), blob)) cache.link(commit, e.path, etag);
      return false;
    }
    s.log(`${label}: the cached blob ${blob} has ${bad.kind} ${bad.actual}, not ${etag}; downloading it again`);
    await rm(blob);
  }
  mkdirSync(join(cache.root, 'blobs'), { recursive: true });
  await downloadBlob({ url: resolveUrl(ref, commit, e.path, s), blob, etag, size: e.size, label }, s);
  cache.link(commit, e.path, etag);
  return true;
}

function pointsAt(pointer: string, blob: string): boolean {
  return lstatOrNull(pointer) !== null && existsSync(pointer) && realpathSync(pointer) === realpathSync(blob);
}

export function resolveUrl(ref: RepoRef, commit: string, path: string, s: Pick<HubSettings, 'endpoint'>): string {
  return `${s.endpoint}/${ref.type === 'dataset' ? 'datasets/' : ''}${ref.id}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

async function fromCache(ref: RepoRef, cache: RepoCache, select: Select, why: string, s: HubSettings): Promise<Snapshot> {
  const commit = isCommit(ref.revision) ? ref.revision : cache.readRef(ref.revision);
  if (!commit || !existsSync(cache.snapshot(commit))) {
    const lacks = commit ? `no snapshots/${commit}` : `no refs/${ref.revision}`;
    throw new HubError('offline-miss', `${showRef(ref)}: ${why}, and the cache has nothing of it (${cache.root}: ${lacks}); run once with the Hub reachable and HF_HUB_OFFLINE unset, or give a local directory`);
  }
  const listed = cache.readTree(commit);
  const entries = listed ?? cache.scanSnapshot(commit).map(({ path, file, etag }) => entryOf(path, file, etag));
  const chosen = select(entries);
  const missing = chosen.filter((e) => !existsSync(join(cache.snapshot(commit), e.path))).map((e) => e.path);
  if (missing.length) {
    throw new HubError('incomplete', `${showRef(ref)}: ${why}, and the cached snapshot ${cache.snapshot(commit)} lacks ${missing.join(', ')}; run once with the Hub reachable to complete it`);
  }
  for (const e of chosen) {
    const file = join(cache.snapshot(commit), e.path);
    const bad = await hashMismatch(file, etagOf(e));
    if (bad) throw new HubError('corrupt', `${file} (blob ${realpathSync(file)}): ${bad.kind} ${bad.actual}, but the Hub lists ${etagOf(e)}; delete the blob and run with the Hub reachable to download it again`);
  }
  return done({ ref, commit, dir: cache.snapshot(commit), files: chosen.map((e) => fileOf(cache, commit, e)), downloaded: 0, offline: true }, s);
}

// A file of a snapshot with no listing beside it: its blob's name is its hash, when it is one.
function entryOf(path: string, file: string, etag: string | null): TreeEntry {
  const size = existsSync(file) ? statSync(file).size : 0;
  const kind = etag ? hashKindOf(etag) : null;
  return kind === 'sha256' ? { path, size, blobId: '', lfsSha256: etag! } : { path, size, blobId: kind ? etag! : '' };
}
