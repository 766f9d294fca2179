// The Hugging Face cache as huggingface_hub lays it out (docs: "Understand caching"), so that a
// cache either side filled is the other's:
//   <cache>/models--org--name/            (datasets--org--name/ for a dataset)
//     blobs/<etag>                        each file once, named by its hash: the sha256 of an LFS
//                                         file, the git blob sha1 of any other
//     snapshots/<commit>/<path>           a relative symlink to ../../blobs/<etag>
//     refs/<revision>                     the commit a branch or tag pointed at, no newline
//     trees/<commit>.json                 the commit's file listing (huggingface_hub >= 1.x,
//                                         _tree_cache.py, format_version 1)
//   <cache>/CACHEDIR.TAG                  marks the folder as a cache for backup tools (bford.info/cachedir)
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { atomicWriteFile } from '../io/atomic-write.js';
import type { RepoRef } from './hub-id.js';

/** One file of a commit, as the Hub's tree listing describes it. */
export interface TreeEntry {
  path: string;
  size: number;
  /** The git blob sha1 (of the LFS pointer, for an LFS file). */
  blobId: string;
  lfsSha256?: string;
  xetHash?: string;
}

/** What names a file's blob: the LFS sha256 when there is one, else the git blob id (the Hub's ETag). */
export const etagOf = (e: TreeEntry): string => e.lfsSha256 ?? e.blobId;

const TREE_FORMAT = 1;
// Byte for byte huggingface_hub's (_local_folder.py), so that either side finds its own.
const CACHEDIR_TAG = 'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by huggingface_hub.\n# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n';

export function tagCacheDir(cacheDir: string): void {
  if (!existsSync(join(cacheDir, 'CACHEDIR.TAG'))) atomicWriteFile(join(cacheDir, 'CACHEDIR.TAG'), CACHEDIR_TAG);
}

export class RepoCache {
  readonly root: string;

  constructor(readonly cacheDir: string, readonly repo: Pick<RepoRef, 'type' | 'id'>) {
    this.root = join(cacheDir, getRepoFolderName({ type: repo.type, name: repo.id }));
  }

  blob(etag: string): string {
    return join(this.root, 'blobs', etag);
  }

  snapshot(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }

  /** The commit `revision` pointed at when last resolved online; null when never. */
  readRef(revision: string): string | null {
    const p = join(this.root, 'refs', revision);
    return existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8').trim() || null : null;
  }

  writeRef(revision: string, commit: string): void {
    if (this.readRef(revision) !== commit) atomicWriteFile(join(this.root, 'refs', revision), commit);
  }

  /** The commit's listing if a download (Python's or ours) kept it; null otherwise. */
  readTree(commit: string): TreeEntry[] | null {
    const p = join(this.root, 'trees', `${commit}.json`);
    if (!existsSync(p)) return null;
    try {
      const data = JSON.parse(readFileSync(p, 'utf8')) as { format_version?: number; files?: Record<string, { size: number; blob_id: string; lfs_sha256?: string; xet_hash?: string }> };
      if (data.format_version !== TREE_FORMAT || !data.files) return null;
      return Object.entries(data.files).map(([path, f]) => ({
        path, size: f.size, blobId: f.blob_id, ...(f.lfs_sha256 ? { lfsSha256: f.lfs_sha256 } : {}), ...(f.xet_hash ? { xetHash: f.xet_hash } : {}),
      }));
    } catch {
      return null; // as huggingface_hub does with a tree file it cannot read: list again
    }
  }

  writeTree(commit: string, entries: readonly TreeEntry[]): void {
    const files: Record<string, Record<string, unknown>> = {};
    for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
      files[e.path] = {
        size: e.size, blob_id: e.blobId,
        ...(e.lfsSha256 ? { lfs_sha256: e.lfsSha256, lfs_size: e.size } : {}), ...(e.xetHash ? { xet_hash: e.xetHash } : {}),
      };
    }
    atomicWriteFile(join(this.root, 'trees', `${commit}.json`), JSON.stringify({ format_version: TREE_FORMAT, files }, null, 1));
  }

  /** Points snapshots/<commit>/<path> at the blob, relatively; a copy where links are refused. */
  link(commit: string, path: string, etag: string): string {
    const pointer = join(this.snapshot(commit), path);
    const blob = this.blob(etag);
    mkdirSync(dirname(pointer), { recursive: true });
    if (lstatOrNull(pointer)) rmSync(pointer, { force: true });
    try {
      symlinkSync(relative(dirname(pointer), blob), pointer);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      copyFileSync(blob, pointer); // what huggingface_hub does on Windows without developer mode
    }
    return pointer;
  }

  /**
   * The files of a snapshot with the blobs they name, for a cache that kept no listing (older
   * huggingface_hub): a link's target name is its etag; a plain file stands for itself.
   */
  scanSnapshot(commit: string): { path: string; file: string; etag: string | null }[] {
    const out: { path: string; file: string; etag: string | null }[] = [];
    const walk = (dir: string, prefix: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name), rel = prefix ? `${prefix}/${name}` : name;
        const st = lstatSync(full);
        if (st.isDirectory()) walk(full, rel);
        else if (st.isSymbolicLink()) out.push({ path: rel, file: full, etag: existsSync(full) ? basename(realpathSync(full)) : basename(readlinkSync(full)) });
        else out.push({ path: rel, file: full, etag: null });
      }
    };
    if (existsSync(this.snapshot(commit))) walk(this.snapshot(commit), '');
    return out;
  }
}

export function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
