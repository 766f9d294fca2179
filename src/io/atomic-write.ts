// Writes that never leave a half-written file behind: the bytes go to a temporary file in the
// same directory (so the rename stays on one file system), are flushed, and then renamed over
// the target. A crash at any moment leaves either the old file or the new one.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export function atomicWriteFile(path: string, data: string | Uint8Array): void {
  atomicWriteChunks(path, [typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
}

/**
 * The same, for a file written piece by piece: each chunk goes out as soon as it is produced, so a
 * file of gigabytes (a checkpoint's optimizer moments) never exists as one buffer in memory.
 */
export function atomicWriteChunks(path: string, chunks: Iterable<Uint8Array>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    for (const bytes of chunks) {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
