// Writes rows as a dataset file TRL reads: JSON Lines (one object a line) or Parquet, chosen by the
// extension. Parquet columns are UTF-8 strings, or, for conversational rows, lists of
// {role, content} structs — the schema of TRL's conversational datasets on the Hub, so that
// `datasets.load_dataset('parquet', …)` gives back message lists (hyparquet-writer, pinned). Both
// are written to a temporary file and renamed, so an existing file is replaced whole or not at all.
import { extname } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { atomicWriteFile } from '../../io/atomic-write.js';

export interface Message { role: string; content: string }
export type Cell = string | Message[];
export type Row = Record<string, Cell>;

const STRING = (name: string) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const });

/** One column's schema elements: a string, or a list of message structs. */
function columnSchema(name: string, messages: boolean) {
  if (!messages) return [STRING(name)];
  return [
    { name, repetition_type: 'REQUIRED' as const, num_children: 1, converted_type: 'LIST' as const },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    { name: 'element', repetition_type: 'REQUIRED' as const, num_children: 2 },
    STRING('role'), STRING('content'),
  ];
}

/** The columns of `rows`, each all strings or all message lists; `where` names the export in errors. */
function columnsOf(rows: readonly Row[], where: string): { name: string; messages: boolean }[] {
  const names = Object.keys(rows[0]!);
  return names.map((name) => {
    const messages = Array.isArray(rows[0]![name]);
    rows.forEach((r, i) => {
      if (!(name in r) || Array.isArray(r[name]) !== messages) throw new Error(`${where}: row ${i + 1} has ${name} as ${Array.isArray(r[name]) ? 'messages' : typeof r[name]}, row 1 as ${messages ? 'messages' : 'text'}; a dataset's column holds one kind`);
    });
    return { name, messages };
  });
}

export function parquetBytes(rows: readonly Row[], where: string): Uint8Array {
  const cols = columnsOf(rows, where);
  const schema = [{ name: 'root', num_children: cols.length }, ...cols.flatMap((c) => columnSchema(c.name, c.messages))];
  const columnData = cols.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) }));
  return new Uint8Array(parquetWriteBuffer({ schema, columnData } as unknown as Parameters<typeof parquetWriteBuffer>[0]));
}

/** Writes `rows` to `file` (.jsonl or .parquet), atomically. */
export function writeDatasetFile(file: string, rows: readonly Row[], where: string): void {
  if (rows.length === 0) throw new Error(`${where}: no rows to write`);
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl') atomicWriteFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  else if (ext === '.parquet') atomicWriteFile(file, parquetBytes(rows, where));
  else throw new Error(`--out ${file}: expected a .jsonl or .parquet file name`);
}
