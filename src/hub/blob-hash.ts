// A blob is checked against the hash that names it: the sha256 of the content for an LFS file
// (64 hex digits), git's blob id for any other (40 hex: sha1 of "blob <size>\0" + content, as
// `git hash-object` computes). Both are what the Hub lists for the file, so a cached blob can be
// checked with no network and no listing: its name is its hash.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

export type HashKind = 'sha256' | 'git-sha1';

/** How `etag` was computed, or null for a name that is neither (a weak or foreign ETag). */
export function hashKindOf(etag: string): HashKind | null {
  if (/^[0-9a-f]{64}$/.test(etag)) return 'sha256';
  if (/^[0-9a-f]{40}$/.test(etag)) return 'git-sha1';
  return null;
}

export async function hashFile(path: string, kind: HashKind): Promise<string> {
  let h: Hash;
  if (kind === 'sha256') h = createHash('sha256');
  else {
    h = createHash('sha1');
    h.update(`blob ${statSync(path).size}\0`);
  }
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The hash of `path` when it differs from `etag`; null when it matches or `etag` names no hash. */
export async function hashMismatch(path: string, etag: string): Promise<{ kind: HashKind; actual: string } | null> {
  const kind = hashKindOf(etag);
  if (!kind) return null;
  const actual = await hashFile(path, kind);
  return actual === etag ? null : { kind, actual };
}
