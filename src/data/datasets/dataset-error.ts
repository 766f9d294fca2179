// One error type for every problem with a dataset file, so a CLI can catch it and print the
// message as is: the message alone tells a person where to look (file, line or row, field) and
// what was expected there.

export interface DatasetErrorAt {
  /** 1-based line in a JSON Lines or JSON file. */
  line?: number;
  /** 1-based row in a parquet file (parquet has no lines). */
  row?: number;
  /** Path of the offending field inside the record, e.g. `messages[2].role`. */
  field?: string;
}

export class DatasetError extends Error {
  readonly line: number | undefined;
  readonly row: number | undefined;
  readonly field: string | undefined;

  constructor(readonly file: string, detail: string, at: DatasetErrorAt = {}) {
    const where = at.line !== undefined ? `${file}:${at.line}` : at.row !== undefined ? `${file}: row ${at.row}` : file;
    super(`${where}: ${at.field !== undefined ? `field "${at.field}": ` : ''}${detail}`);
    this.name = 'DatasetError';
    this.line = at.line;
    this.row = at.row;
    this.field = at.field;
  }
}
