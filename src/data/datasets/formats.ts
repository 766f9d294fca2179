// Decides which TRL format a dataset is in and checks every record against it. The format comes
// from the caller or from the first record's keys (as TRL does); every later record must then
// have the same shape, so a file that mixes formats fails at the first odd line instead of
// training on half of it.
import { z } from 'zod';
import { DatasetError } from './dataset-error.js';
import {
  DATASET_FORMATS, ROLES, TURNS_MESSAGES_BRANCH, recordSchemas,
  type DatasetFormat, type FormatRecords, type Message, type PreferenceRecord, type Turns,
} from './format-schemas.js';

export * from './format-schemas.js';

/** A raw value and where it came from: a 1-based line (JSON, JSONL) or row (parquet). */
export interface SourcedValue { line: number; value: unknown }
export interface Source { file: string; unit: 'line' | 'row' }

export interface ValidatedRecords<F extends DatasetFormat = DatasetFormat> {
  format: F;
  records: FormatRecords[F][];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The format a record's keys announce, or a reason why none fits. Order follows TRL: a record
 * with `messages` is conversational whatever else it holds; `chosen`/`rejected` mean preference.
 */
export function detectFormat(record: unknown): { format: DatasetFormat } | { reason: string } {
  if (!isObject(record)) return { reason: `expected a JSON object per record, got ${typeName(record)}` };
  const has = (k: string) => Object.prototype.hasOwnProperty.call(record, k);
  if (has('messages')) return { format: 'messages' };
  if (has('chosen') || has('rejected')) return { format: 'preference' };
  if (has('prompt') && has('completion') && has('label')) return { format: 'unpaired-preference' };
  if (has('prompt') && has('completion')) return { format: 'prompt-completion' };
  if (has('text')) return { format: 'text' };
  if (has('prompt')) return { format: 'prompt' };
  const keys = Object.keys(record);
  return {
    reason:
      `cannot tell the dataset format from keys ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : '(none)'}; ` +
      'expected {text}, {prompt}, {prompt, completion}, {messages} or {prompt?, chosen, rejected}',
  };
}

/**
 * Validates every value against one format (given, or detected from the first value) and returns
 * the parsed records; unknown extra keys (ids, scores, sources) are dropped. Throws a
 * DatasetError naming the file, the line or row, the field and what was expected.
 */
export function validateRecords<F extends DatasetFormat = DatasetFormat>(
  values: readonly SourcedValue[],
  source: Source,
  format?: F,
): ValidatedRecords<F> {
  if (format !== undefined && !DATASET_FORMATS.includes(format)) {
    throw new DatasetError(source.file, `unknown format "${String(format)}"; expected one of ${DATASET_FORMATS.join(', ')}`);
  }
  if (values.length === 0) throw new DatasetError(source.file, 'empty dataset (no records)');
  const at = (line: number, field?: string) => ({ [source.unit]: line, ...(field !== undefined ? { field } : {}) });

  let chosen: DatasetFormat | undefined = format;
  const firstLine = values[0]!.line;
  if (chosen === undefined) {
    const d = detectFormat(values[0]!.value);
    if ('reason' in d) throw new DatasetError(source.file, d.reason, at(firstLine));
    chosen = d.format;
  }
  const schema = recordSchemas[chosen] as z.ZodType<FormatRecords[F]>;
  const records: FormatRecords[F][] = [];
  for (const { line, value } of values) {
    const d = detectFormat(value);
    if ('reason' in d && !isObject(value)) throw new DatasetError(source.file, d.reason, at(line));
    // Only an auto-detected format is compared: an explicit one may deliberately read a subset
    // (format 'prompt' on a prompt/completion file keeps the prompts).
    if (format === undefined && 'format' in d && d.format !== chosen) {
      throw new DatasetError(
        source.file,
        `record is in format "${d.format}" but the file is "${chosen}" (from ${source.unit} ${firstLine}); mixed formats are not allowed`,
        at(line),
      );
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      const { field, detail } = describeIssue(r.error.issues[0]!, value);
      throw new DatasetError(source.file, detail, at(line, field));
    }
    records.push(r.data);
  }
  return { format: chosen as F, records };
}

/** `["messages", 2, "role"]` → `messages[2].role` */
function fieldPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const p of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string | number, unknown>)[p];
  return v;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const EXPECTED: Record<string, string> = {
  string: 'a string', number: 'a number', boolean: 'a boolean', array: 'a list', object: 'an object',
};

function describeIssue(issue: z.ZodIssue, record: unknown): { field: string; detail: string } {
  const field = fieldPath(issue.path);
  const got = valueAt(record, issue.path);
  switch (issue.code) {
    case z.ZodIssueCode.invalid_union: {
      // A list is meant as messages: explain what is wrong inside it rather than "not a string".
      const inner = issue.unionErrors[TURNS_MESSAGES_BRANCH]?.issues[0];
      if (Array.isArray(got) && inner) return describeIssue(inner, record);
      const expected = 'a string or a list of {role, content} messages';
      return { field, detail: got === undefined ? `missing, expected ${expected}` : `expected ${expected}, got ${typeName(got)}` };
    }
    case z.ZodIssueCode.invalid_type: {
      const inList = typeof issue.path[issue.path.length - 1] === 'number';
      const expected = inList && issue.expected === 'object' ? 'a message {role, content}' : EXPECTED[issue.expected] ?? issue.expected;
      if (got === undefined) return { field, detail: `missing, expected ${expected}` };
      return { field, detail: `expected ${expected}, got ${typeName(got)}` };
    }
    case z.ZodIssueCode.invalid_enum_value:
      return { field, detail: `expected one of ${ROLES.map((r) => `"${r}"`).join(', ')}, got ${JSON.stringify(got)}` };
    case z.ZodIssueCode.too_small:
      return { field, detail: 'expected a non-empty list of messages, got an empty list' };
    default:
      return { field, detail: issue.message };
  }
}

/** True when the record's text fields are chat messages rather than plain strings. */
export function isConversational(record: object): boolean {
  return Object.values(record).some((v) => Array.isArray(v));
}

/**
 * Turns an implicit-prompt preference record into an explicit one: the prompt is the longest
 * shared prefix of chosen and rejected (whole messages for chats, characters for text, backing off
 * a trailing space so it stays with the answers). Same rule as TRL's `extract_prompt`.
 */
export function extractPrompt(record: PreferenceRecord): Required<PreferenceRecord> {
  if (record.prompt !== undefined) return record as Required<PreferenceRecord>;
  const { chosen, rejected } = record;
  const n = commonPrefixLength(chosen, rejected);
  return { prompt: chosen.slice(0, n) as Turns, chosen: chosen.slice(n) as Turns, rejected: rejected.slice(n) as Turns };
}

function commonPrefixLength(a: Turns, b: Turns): number {
  const max = Math.min(a.length, b.length);
  const same = (i: number) =>
    typeof a === 'string' ? a[i] === b[i] : a[i]!.role === (b[i] as Message).role && a[i]!.content === (b[i] as Message).content;
  let i = 0;
  while (i < max && same(i)) i++;
  if (typeof a === 'string' && i > 0 && i < max && a[i - 1] === ' ') i--;
  return i;
}
