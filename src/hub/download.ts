// One file from the Hub into blobs/<etag>, as huggingface_hub's http_get does it: the bytes go to
// blobs/<etag>.incomplete, an interrupted transfer continues from that file's length with a Range
// request (here and in the next run alike), and the blob is renamed into place only once its hash
// is the one the Hub lists. Hand-written over fetch rather than @huggingface/hub's downloadFile:
// its ranged WebBlob stream neither says whether the server honoured the Range (a 200 with the
// whole file would be appended to the partial one) nor keeps the status of a failed request.
import { open, rename, rm, stat } from 'node:fs/promises';
import { Progress } from '../io/progress.js';
import { hashKindOf, hashMismatch } from './blob-hash.js';
import { HubError, isNetworkError } from './hub-error.js';
import type { HubSettings } from './settings.js';

export interface BlobRequest {
  /** The resolve URL of the file at its commit. */
  url: string;
  /** Where the blob goes, and the hash that names it. */
  blob: string;
  etag: string;
  size: number;
  /** `org/name/path`, for progress and errors. */
  label: string;
}

/** Transfers tried per call before the partial file is left for the next run. */
export const TRANSFER_ATTEMPTS = 3;

export async function downloadBlob(r: BlobRequest, s: HubSettings): Promise<void> {
  const partial = `${r.blob}.incomplete`;
  for (let attempt = 1; ; attempt++) {
    const start = await sizeOf(partial);
    if (start > r.size) await rm(partial);
    try {
      if (start !== r.size) await transfer(r, partial, start > r.size ? 0 : start, s);
      break;
    } catch (err) {
      if (!(err instanceof HubError && err.code === 'interrupted')) throw err;
      if (attempt >= TRANSFER_ATTEMPTS) throw new HubError('interrupted', `${r.label}: ${err.message}; ${TRANSFER_ATTEMPTS} attempts failed, run again to continue from there`);
      s.log(`${r.label}: ${err.message}; resuming (attempt ${attempt + 1} of ${TRANSFER_ATTEMPTS})`);
    }
  }
  const bad = await hashMismatch(partial, r.etag);
  if (bad) {
    await rm(partial, { force: true });
    throw new HubError('corrupt', `${r.label}: the downloaded bytes have ${bad.kind} ${bad.actual}, but the Hub lists ${r.etag}; the partial file was removed, run again to download it afresh`);
  }
  if (!hashKindOf(r.etag)) s.log(`${r.label}: the Hub's ETag ${r.etag} is not a hash; the file is kept unchecked`);
  await rename(partial, r.blob);
}

async function transfer(r: BlobRequest, partial: string, from: number, s: HubSettings): Promise<void> {
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (s.token) headers.Authorization = `Bearer ${s.token}`;
  if (from > 0) headers.Range = `bytes=${from}-`;
  let res: Response;
  try {
    res = await s.fetch(r.url, { headers });
  } catch (err) {
    if (isNetworkError(err)) throw new HubError('interrupted', `cannot reach ${new URL(r.url).origin} (${(err as { cause?: { code?: string } }).cause?.code ?? 'fetch failed'})`);
    throw err;
  }
  if (res.status === 416) { // the partial file no longer fits what the server has: start over
    await rm(partial, { force: true });
    throw new HubError('interrupted', `the server refused the range from byte ${from}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new HubError('gated', `${r.label}: the Hub refused the file (${res.status}); a gated repository needs its conditions accepted on its page and HF_TOKEN set to a token of that account`);
  }
  if (!res.ok || !res.body) throw new HubError('server', `${r.label}: the Hub answered ${res.status} ${res.statusText} for ${r.url}`);
  const resumed = from > 0 && res.status === 206 && contentRangeStart(res) === from;
  const fh = await open(partial, resumed ? 'a' : 'w');
  let done = resumed ? from : 0;
  const bar = new Progress({ label: `download ${r.label}`, total: r.size, quiet: s.quiet }, done);
  let shown = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      done += chunk.length;
      if (performance.now() - shown > 200 || done === r.size) {
        shown = performance.now();
        bar.update(done, { MB: +(done / 1e6).toFixed(1) });
      }
    }
  } catch (err) {
    throw new HubError('interrupted', `transfer cut after ${done} of ${r.size} bytes (${(err as Error).message}); the bytes so far are kept in ${partial}`);
  } finally {
    await fh.close();
    bar.finish();
  }
  if (done < r.size) throw new HubError('interrupted', `transfer ended after ${done} of ${r.size} bytes; the bytes so far are kept in ${partial}`);
}

function contentRangeStart(res: Response): number | null {
  const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return m ? Number(m[1]) : null;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
