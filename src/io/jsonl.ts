// JSON Lines: one JSON value a line. Reading reports the file and the 1-based line of any bad
// record; appending writes whole lines only, so a reader after a crash sees complete records
// (a torn last line, if the process died mid-write, is reported by `readJsonl` with its line).
import { appendFileSync, readFileSync } from 'node:fs';
import { atomicWriteFile } from './atomic-write.js';

export class JsonlError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'JsonlError';
  }
}

export interface JsonlRecord { line: number; value: unknown }

/** Parses a JSONL text; blank lines are skipped. `file` is used only in error messages. */
export function parseJsonl(text: string, file = '<input>'): JsonlRecord[] {
  const out: JsonlRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      throw new JsonlError(file, i + 1, `invalid JSON (${(err as Error).message})`);
    }
  }
  return out;
}

export function readJsonl(file: string): JsonlRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read JSONL file (${(err as Error).message})`);
  }
  return parseJsonl(text, file);
}

/** Appends records as whole lines in one write call. */
export function appendJsonl(file: string, records: readonly unknown[]): void {
  if (records.length === 0) return;
  appendFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Replaces the file atomically with exactly these records. */
export function writeJsonl(file: string, records: readonly unknown[]): void {
  atomicWriteFile(file, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
}
