// Test helper: writes the smallest valid parquet file (one row group, flat REQUIRED columns, PLAIN
// encoding, no compression) so the parquet loader is tested without pyarrow, which this machine
// lacks. hyparquet reading the file back is the check that the bytes are right.
// Layout: "PAR1" · per column [PageHeader, values] · FileMetaData · u32 length · "PAR1".
// Ref: https://github.com/apache/parquet-format (parquet.thrift), Thrift compact protocol spec.

export type FixtureColumn = { name: string; type: 'string'; values: string[] } | { name: string; type: 'int32'; values: number[] };

// Thrift compact protocol type ids.
const I32 = 5, I64 = 6, BINARY = 8, LIST = 9, STRUCT = 12;

type Field = [id: number, type: number, value: unknown];

class Compact {
  bytes: number[] = [];
  varint(n: number): void {
    let v = BigInt(n);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      this.bytes.push(b);
    } while (v);
  }
  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  value(type: number, v: unknown): void {
    if (type === I32 || type === I64) this.zigzag(v as number);
    else if (type === BINARY) {
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array);
      this.varint(b.length);
      this.bytes.push(...b);
    } else if (type === STRUCT) this.struct(v as Field[]);
    else if (type === LIST) {
      const [elemType, items] = v as [number, unknown[]];
      this.bytes.push(items.length < 15 ? (items.length << 4) | elemType : 0xf0 | elemType);
      if (items.length >= 15) this.varint(items.length);
      for (const item of items) this.value(elemType, item);
    } else throw new Error(`parquet-fixture: thrift type ${type} not needed`);
  }
  struct(fields: Field[]): void {
    let last = 0;
    for (const [id, type, v] of fields) {
      if (v === undefined) continue;
      this.bytes.push(((id - last) << 4) | type); // field ids here always ascend by < 16
      this.value(type, v);
      last = id;
    }
    this.bytes.push(0);
  }
}

function encode(fields: Field[]): number[] {
  const c = new Compact();
  c.struct(fields);
  return c.bytes;
}

function plainValues(col: FixtureColumn): Buffer {
  if (col.type === 'int32') {
    const b = Buffer.alloc(4 * col.values.length);
    col.values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
    return b;
  }
  return Buffer.concat(col.values.map((s) => {
    const data = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(data.length);
    return Buffer.concat([len, data]);
  }));
}

/** Bytes of a parquet file holding `columns` (all the same length) as one table. */
export function writeParquetFixture(columns: FixtureColumn[]): Uint8Array {
  const numRows = columns[0]?.values.length ?? 0;
  const parts: number[][] = [[...Buffer.from('PAR1')]];
  let offset = 4;
  const chunks: Field[][] = [];
  for (const col of columns) {
    if (col.values.length !== numRows) throw new Error(`parquet-fixture: column "${col.name}" has ${col.values.length} values, expected ${numRows}`);
    const values = plainValues(col);
    const header = encode([
      [1, I32, 0], // type: DATA_PAGE
      [2, I32, values.length],
      [3, I32, values.length],
      [5, STRUCT, [[1, I32, numRows], [2, I32, 0 /* PLAIN */], [3, I32, 3 /* RLE */], [4, I32, 3 /* RLE */]]],
    ]);
    const size = header.length + values.length;
    chunks.push([
      [2, I64, offset],
      [3, STRUCT, [
        [1, I32, col.type === 'int32' ? 1 : 6], // INT32 | BYTE_ARRAY
        [2, LIST, [I32, [0]]], // encodings: PLAIN
        [3, LIST, [BINARY, [col.name]]],
        [4, I32, 0], // codec: UNCOMPRESSED
        [5, I64, numRows],
        [6, I64, size],
        [7, I64, size],
        [9, I64, offset],
      ]],
    ]);
    parts.push(header, [...values]);
    offset += size;
  }
  const schema: Field[][] = [
    [[4, BINARY, 'schema'], [5, I32, columns.length]],
    ...columns.map((c): Field[] => [
      [1, I32, c.type === 'int32' ? 1 : 6],
      [3, I32, 0], // REQUIRED
      [4, BINARY, c.name],
      [6, I32, c.type === 'string' ? 0 : undefined], // converted type UTF8: read back as strings
    ]),
  ];
  const meta = encode([
    [1, I32, 1],
    [2, LIST, [STRUCT, schema]],
    [3, I64, numRows],
    [4, LIST, [STRUCT, [[[1, LIST, [STRUCT, chunks]], [2, I64, offset - 4], [3, I64, numRows]]]]],
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(meta.length);
  parts.push(meta, [...len], [...Buffer.from('PAR1')]);
  return Uint8Array.from(parts.flat());
}
