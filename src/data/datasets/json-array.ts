// A `.json` dataset is a JSON array of records. JSON.parse loses positions, and an error that says
// "record 4132" makes a person count; so the start line of each top-level element is found by a
// small scan that only tracks strings and nesting depth.
import { DatasetError } from './dataset-error.js';
import type { SourcedValue } from './formats.js';

/** Parses `[rec, rec, ...]` and pairs each element with the 1-based line it starts on. */
export function parseJsonArray(text: string, file: string): SourcedValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? { line: lineOf(text, Number(pos[1])) } : {};
    throw new DatasetError(file, `invalid JSON (${msg})`, at);
  }
  if (!Array.isArray(parsed)) {
    throw new DatasetError(file, `expected a JSON array of records (or one record per line), got ${parsed === null ? 'null' : typeof parsed}`);
  }
  const lines = elementLines(text);
  return parsed.map((value, i) => ({ line: lines[i] ?? 1, value }));
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Start lines of the elements of the outermost array; assumes `text` is valid JSON. */
function elementLines(text: string): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (depth === 1 && expectElement && c !== ']') {
      out.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectElement = true;
  }
  return out;
}
