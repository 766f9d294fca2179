// Reads a dataset file in any of the formats TRL uses (see format-schemas.ts) from JSON Lines, a
// JSON array, or parquet (what HF datasets stores on the hub), and validates every record. A Hub
// dataset id, `org/name[@revision][:[config/]split]`, that is not a local path reads the split's
// Parquet files from the Hugging Face cache, fetched first when needed (src/hub).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { HubError, resolveDatasetFiles, type HubOptions } from '../../hub/index.js';
import { parseJsonl, JsonlError } from '../../io/jsonl.js';
import { DatasetError } from './dataset-error.js';
import { parseJsonArray } from './json-array.js';
import { validateRecords, type DatasetFormat, type FormatRecords, type SourcedValue } from './formats.js';

export { DatasetError } from './dataset-error.js';
export { splitDataset, type Split, type SplitOptions } from '../split-dataset.js';

export interface LoadDatasetOptions<F extends DatasetFormat = DatasetFormat> {
  /** Skip detection and read every record as this format. */
  format?: F;
  /** For a Hub dataset id: endpoint, token, cache, offline, progress (the environment's by default). */
  hub?: HubOptions;
  /** Also return each record's other fields (ids, answers, tests…), which validation drops. */
  keepFields?: boolean;
}

/** A validated dataset; `lines[i]` is where `records[i]` came from (line, or row for parquet). */
export type Dataset<F extends DatasetFormat = DatasetFormat> = {
  [K in F]: { file: string; format: K; records: FormatRecords[K][]; lines: number[]; fields?: Record<string, unknown>[] };
}[F];

const EXTENSIONS = ['.jsonl', '.json', '.parquet'];

export async function loadDataset<F extends DatasetFormat = DatasetFormat>(
  path: string,
  opts: LoadDatasetOptions<F> = {},
): Promise<Dataset<F>> {
  const hub = await resolveDatasetFiles(path, opts.hub).catch((err: unknown) => {
    if (!(err instanceof HubError)) throw err;
    throw new HubError(err.code, `${path}: no local file of that name, and from the Hub: ${err.message}`, err.reason);
  });
  if (hub) return readShards(path, hub.files, opts.format);
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.includes(ext)) {
    throw new DatasetError(path, `unsupported file extension "${ext}"; expected one of ${EXTENSIONS.join(', ')}`);
  }
  if (!existsSync(path)) throw new DatasetError(path, 'no such file');
  if (statSync(path).isDirectory()) throw new DatasetError(path, `is a directory; expected a ${EXTENSIONS.join(', ')} file`);

  const unit = ext === '.parquet' ? 'row' : 'line';
  const values = ext === '.parquet' ? await readParquet(path) : readJsonText(path, ext);
  const { format, records } = validateRecords(values, { file: path, unit }, opts.format);
  const fields = opts.keepFields
    ? values.map((v, i) => Object.fromEntries(Object.entries(v.value as Record<string, unknown>).filter(([k]) => !(k in (records[i] as object)))))
    : undefined;
  return { file: path, format, records, lines: values.map((v) => v.line), ...(fields ? { fields } : {}) } as Dataset<F>;
}

/** A split stored as several Parquet files: one dataset, rows numbered across the files in order. */
async function readShards<F extends DatasetFormat>(name: string, files: readonly string[], format: F | undefined): Promise<Dataset<F>> {
  let fmt: DatasetFormat | undefined = format;
  const records: unknown[] = [], lines: number[] = [];
  for (const file of files) {
    const values = await readParquet(file);
    const v = validateRecords(values, { file, unit: 'row' }, fmt);
    fmt = v.format;
    for (let i = 0; i < v.records.length; i++) lines.push(lines.length + 1);
    records.push(...v.records);
  }
  return { file: name, format: fmt, records, lines } as Dataset<F>;
}

function readJsonText(path: string, ext: string): SourcedValue[] {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new DatasetError(path, 'empty file (no records)');
  // HF datasets reads a `.json` file as either a JSON array or JSON Lines; so does this.
  if (ext === '.json' && text.trimStart().startsWith('[')) return parseJsonArray(text, path);
  try {
    return parseJsonl(text, path);
  } catch (err) {
    if (!(err instanceof JsonlError)) throw err;
    const prefix = `${err.file}:${err.line}: `;
    const detail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    throw new DatasetError(path, detail, { line: err.line });
  }
}

async function readParquet(path: string): Promise<SourcedValue[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  } catch (err) {
    throw new DatasetError(path, `cannot read parquet (${(err as Error).message})`);
  }
  if (rows.length === 0) throw new DatasetError(path, 'empty file (no records)');
  return rows.map((value, i) => ({ line: i + 1, value: dropNulls(value) }));
}

// Parquet has no "absent": a column missing from a row reads as null. Treating null as absent
// lets a table with an all-null `prompt` column be the implicit-prompt preference form.
function dropNulls(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
