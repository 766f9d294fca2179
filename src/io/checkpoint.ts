// Files of a checkpoint directory: JSON written atomically (so a crash mid-save never leaves a
// half-written config or trainer state), and model weights as Hugging Face lays them out —
// `model.safetensors`, or for large models `model.safetensors.index.json` whose `weight_map`
// names the shard file of every tensor (transformers' SAFE_WEIGHTS_NAME / SAFE_WEIGHTS_INDEX_NAME).
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { atomicWriteFile } from './atomic-write.js';
import { readSafetensors, type ReadSafetensorsOptions, type SafetensorsContents, type SafetensorsData, type SafetensorsDataOrHalf, type SafetensorsTensor } from './safetensors.js';

export class CheckpointError extends Error {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'CheckpointError';
  }
}

export const MODEL_FILE = 'model.safetensors';
export const MODEL_INDEX_FILE = 'model.safetensors.index.json';

/**
 * Writes `value` as 2-space-indented JSON plus a newline, atomically. Non-finite numbers are
 * refused: JSON.stringify would quietly turn a NaN loss into null and the state would lie.
 * Integral values of `floatKeys` are written with ".0": readers with typed fields (transformers
 * 5's strict configs) refuse 30 where a float is declared, and JavaScript has one number type.
 */
export function writeJsonAtomic(file: string, value: unknown, floatKeys: readonly string[] = []): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(
      value,
      (key, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) {
          throw new CheckpointError(file, `field ${JSON.stringify(key)} is ${v}, which JSON cannot represent`);
        }
        return v;
      },
      2,
    );
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(file, `value is not JSON-serialisable (${(err as Error).message})`, { cause: err });
  }
  if (text === undefined) throw new CheckpointError(file, `value is not JSON-serialisable (got ${typeof value})`);
  for (const k of floatKeys) text = text.replace(new RegExp(`("${k}": )(-?\\d+)(?=,?\n)`, 'g'), '$1$2.0');
  try {
    atomicWriteFile(file, text + '\n');
  } catch (err) {
    throw new CheckpointError(file, `cannot write (${(err as Error).message})`, { cause: err });
  }
}

/** Reads and parses a JSON file; `what` (e.g. "trainer state") says in errors what the file is. */
export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CheckpointError(file, `cannot read ${what} (${(err as Error).message})`, { cause: err });
  }
  // Editors on Windows may prepend a byte-order mark, which JSON.parse rejects.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(file, `${what} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

export interface ShardedContents<D = SafetensorsData> extends SafetensorsContents<D> {
  /** The safetensors files read, in the order read. */
  files: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates an index file's weight_map: tensor name → shard file name in the same directory. */
function weightMap(index: unknown, file: string): Map<string, string> {
  const wm = isObject(index) ? index['weight_map'] : undefined;
  if (!isObject(wm)) throw new CheckpointError(file, 'expected an object with "weight_map": {tensor name: shard file}');
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm)) {
    // Shards live beside the index; a path elsewhere is a broken or hostile index.
    if (typeof shard !== 'string' || shard === '' || shard === '.' || shard === '..' || basename(shard) !== shard) {
      throw new CheckpointError(
        file,
        `weight_map[${JSON.stringify(name)}] must be a file name in the same directory, got ${JSON.stringify(shard)}`,
      );
    }
    out.set(name, shard);
  }
  if (out.size === 0) throw new CheckpointError(file, 'weight_map is empty');
  return out;
}

/**
 * Reads the weights of a checkpoint directory: `model.safetensors` if present, else the shards
 * listed by `model.safetensors.index.json`. Each shard must hold exactly the tensors the index
 * assigns to it. Metadata is the union of the files' `__metadata__` (the first file read wins).
 */
export function readSafetensorsShards(dir: string): ShardedContents;
export function readSafetensorsShards(dir: string, opts: ReadSafetensorsOptions): ShardedContents<SafetensorsDataOrHalf>;
export function readSafetensorsShards(dir: string, opts: ReadSafetensorsOptions = {}): ShardedContents<SafetensorsDataOrHalf> {
  const single = join(dir, MODEL_FILE);
  if (existsSync(single)) return { ...readSafetensors(single, opts), files: [single] };

  const indexFile = join(dir, MODEL_INDEX_FILE);
  if (!existsSync(indexFile)) {
    const pickle = existsSync(join(dir, 'pytorch_model.bin')) ? '; pytorch_model.bin (pickle) is not supported, convert it to safetensors' : '';
    throw new CheckpointError(dir, `no model weights: expected ${MODEL_FILE} or ${MODEL_INDEX_FILE}${pickle}`);
  }
  const map = weightMap(readJson(indexFile, 'safetensors index'), indexFile);

  const byShard = new Map<string, string[]>();
  for (const [name, shard] of map) {
    const names = byShard.get(shard);
    if (names) names.push(name);
    else byShard.set(shard, [name]);
  }
  const found = new Map<string, SafetensorsTensor<SafetensorsDataOrHalf>>();
  const metadata = new Map<string, string>();
  const files: string[] = [];
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    if (!existsSync(path)) {
      throw new CheckpointError(indexFile, `shard ${JSON.stringify(shard)} (holding ${JSON.stringify(names[0])}) is missing from ${dir}`);
    }
    const contents = readSafetensors(path, opts);
    files.push(path);
    for (const [name, t] of contents.tensors) {
      if (map.get(name) !== shard) {
        const listed = map.has(name) ? `weight_map places it in ${JSON.stringify(map.get(name))}` : 'weight_map does not list it';
        throw new CheckpointError(indexFile, `shard ${JSON.stringify(shard)} holds tensor ${JSON.stringify(name)} but ${listed}`);
      }
      found.set(name, t);
    }
    for (const name of names) {
      if (!contents.tensors.has(name)) {
        throw new CheckpointError(indexFile, `weight_map places tensor ${JSON.stringify(name)} in ${JSON.stringify(shard)}, which does not hold it`);
      }
    }
    for (const [k, v] of Object.entries(contents.metadata)) if (!metadata.has(k)) metadata.set(k, v);
  }
  // Index order, so the result does not depend on how tensors were spread over shards.
  const tensors = new Map<string, SafetensorsTensor<SafetensorsDataOrHalf>>();
  for (const name of map.keys()) tensors.set(name, found.get(name)!);
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return { tensors, metadata: Object.fromEntries(metadata), files };
}
