// `--data org/dataset[@revision][:[config/]split]`: the Parquet files of one split, in the cache.
// The dataset's own Parquet files at the revision come first; a dataset published in another form
// (JSON Lines, CSV) is read from the Parquet conversion the Hub keeps on its refs/convert/parquet
// branch (of main). Which split and config a file holds is read from its path as the Hub writes
// them: train-00000-of-00001.parquet or imdb-train.parquet (the name's last '-' part before the
// shard number), default/train/0000.parquet or default/partial-train/0000.parquet (the folder); the
// config is the first folder, data/ counting as the default one.
import { existsSync } from 'node:fs';
import type { TreeEntry } from './cache-layout.js';
import { HubError } from './hub-error.js';
import { DEFAULT_REVISION, parseDatasetRef, showRef, type DatasetRef } from './hub-id.js';
import { hubSettings, type HubOptions } from './settings.js';
import { fetchSnapshot, type Select, type Snapshot } from './snapshot.js';

export const PARQUET_BRANCH = 'refs/convert/parquet';
const DEFAULT_CONFIG = 'default';

export interface DatasetFiles {
  ref: DatasetRef;
  /** The Parquet files of the split, in order, in the cache. */
  files: string[];
  /** Where they came from: the dataset's own files, or the Hub's conversion. */
  source: 'repository' | 'parquet-branch';
  commit: string;
}

/** Config and split of a Parquet file, from its path. */
export function splitOfPath(path: string): { config: string; split: string } {
  const segs = path.split('/');
  const dirs = segs.slice(0, -1);
  const base = segs[segs.length - 1]!.replace(/\.parquet$/, '').replace(/-\d{5}-of-\d{5}$/, '');
  const config = dirs.length && dirs[0] !== 'data' ? dirs[0]! : DEFAULT_CONFIG;
  if (/^(?:\d+|part-\d+)$/.test(base) && dirs.length) {
    const split = dirs[dirs.length - 1]!.replace(/^partial-/, '');
    return { config: dirs.length >= 2 ? config : DEFAULT_CONFIG, split };
  }
  return { config, split: base.split('-').pop()! };
}

const unique = (xs: string[]) => [...new Set(xs)].sort();

function splitFiles(ref: DatasetRef, where: string): Select {
  return (entries) => {
    const parquet = entries.filter((e) => e.path.endsWith('.parquet')).map((e: TreeEntry) => ({ e, ...splitOfPath(e.path) }));
    if (!parquet.length) return [];
    const inSplit = parquet.filter((t) => t.split === ref.split);
    if (!inSplit.length) throw new HubError('no-files', `${showRef(ref)}: no Parquet files of split "${ref.split}" in ${where}; its splits: ${unique(parquet.map((t) => t.split)).join(', ')}`);
    const configs = unique(inSplit.map((t) => t.config));
    const mine = ref.config ? inSplit.filter((t) => t.config === ref.config) : inSplit;
    if (ref.config && !mine.length) throw new HubError('no-files', `${showRef(ref)}: no config "${ref.config}" with a "${ref.split}" split in ${where}; configs: ${configs.join(', ')}`);
    if (!ref.config && configs.length > 1) {
      throw new HubError('no-files', `${showRef(ref)}: several configs have a "${ref.split}" split (${configs.join(', ')}); name one, e.g. ${showRef(ref)}:${configs[0]}/${ref.split}`);
    }
    return mine.map((t) => t.e).sort((a, b) => (a.path < b.path ? -1 : 1));
  };
}

/** The split's files for `spec`; null when `spec` exists locally or names no Hub dataset. */
export async function resolveDatasetFiles(spec: string, opts: HubOptions = {}): Promise<DatasetFiles | null> {
  if (existsSync(spec)) return null;
  const ref = parseDatasetRef(spec);
  // A path such as data/prefs.jsonl that does not exist is a missing file, not a repository.
  if (!ref || /\.(?:jsonl|json|parquet|csv|gz)$/i.test(ref.id)) return null;
  const s = hubSettings(opts);
  const own = await attempt(() => fetchSnapshot(ref, splitFiles(ref, `revision ${ref.revision}`), s), ['offline-miss']);
  if (own.snap?.files.length) return filesOf(ref, own.snap, 'repository');
  if (ref.revision !== DEFAULT_REVISION) {
    throw own.err ?? new HubError('no-files', `${showRef(ref)}: no Parquet files at revision ${ref.revision}, and the Hub's conversion (${PARQUET_BRANCH}) is of ${DEFAULT_REVISION} only`);
  }
  const conv = await attempt(() => fetchSnapshot({ ...ref, revision: PARQUET_BRANCH }, splitFiles(ref, PARQUET_BRANCH), s), ['offline-miss', 'revision']);
  if (conv.snap?.files.length) return filesOf(ref, conv.snap, 'parquet-branch');
  throw own.err ?? new HubError('no-files', `${showRef(ref)}: no Parquet files, neither the dataset's own nor the Hub's conversion (${PARQUET_BRANCH})`);
}

const filesOf = (ref: DatasetRef, snap: Snapshot, source: DatasetFiles['source']): DatasetFiles => ({ ref, files: snap.files.map((f) => f.file), source, commit: snap.commit });

// A place that holds nothing of the dataset is not yet a failure: the other place may have it.
async function attempt(f: () => Promise<Snapshot>, tolerated: HubError['code'][]): Promise<{ snap?: Snapshot; err?: HubError }> {
  try {
    return { snap: await f() };
  } catch (err) {
    if (err instanceof HubError && tolerated.includes(err.code)) return { err };
    throw err;
  }
}
