// A Hugging Face checkpoint directory of random bf16 weights in the shape a config.json describes:
// what the benchmarks load when the figure depends on the shape, not on what the weights say
// (bench/half-weights.ts, `alignkit bench --configs C,D`).
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fromHfConfig } from './config.js';
import { expectedShapes } from '../weights.js';

/**
 * Writes `dir`/config.json (`raw`) and `dir`/model.safetensors: every tensor the config expects,
 * bf16, random with |w| about 0.004–0.06 (exponents 119–122, random sign and mantissa) from a
 * fixed xorshift stream, so two runs write the same bytes.
 */
export function writeRandomCheckpoint(dir: string, raw: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  const shapes = [...expectedShapes(fromHfConfig(raw, 'config.json').config)].sort(([a], [b]) => (a < b ? -1 : 1));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, d) => a * d, 1);
    header[name] = { dtype: 'BF16', shape, data_offsets: [at, at + 2 * n] };
    at += 2 * n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, len);
    writeSync(fd, json);
    let x = 0x9e3779b9;
    for (const [, shape] of shapes) {
      const n = shape.reduce((a, d) => a * d, 1), chunk = new Uint16Array(Math.min(n, 1 << 22));
      for (let done = 0; done < n; done += chunk.length) {
        const m = Math.min(chunk.length, n - done);
        for (let i = 0; i < m; i++) {
          x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
          chunk[i] = (x & 0x8000) | ((119 + ((x >>> 8) & 3)) << 7) | (x & 0x7f);
        }
        writeSync(fd, chunk.subarray(0, m));
      }
    }
  } finally {
    closeSync(fd);
  }
}
