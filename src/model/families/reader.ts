// Typed reads of config.json keys for the family adapters: a key missing (or null) takes the
// class default, as from_pretrained does; a bad value throws a CheckpointError naming the key,
// its value and what was expected.
import { CheckpointError } from '../../io/checkpoint.js';

export type HfConfigJson = Record<string, unknown>;

export function hfReader(j: HfConfigJson, defaults: Record<string, unknown>, file: string) {
  const bad = (key: string, value: unknown, expected: string): never => {
    throw new CheckpointError(file, `${key} = ${JSON.stringify(value)}, expected ${expected}`);
  };
  // A key set to null takes the default too, as HF's `x or default` idioms mostly do.
  const get = (key: string): unknown => j[key] ?? defaults[key] ?? null;
  return {
    j, bad, get,
    int: (key: string): number => {
      const v = get(key);
      return Number.isInteger(v) && (v as number) > 0 ? (v as number) : bad(key, v, 'a positive integer');
    },
    num: (key: string, ok: (v: number) => boolean, what: string): number => {
      const v = get(key);
      return typeof v === 'number' && ok(v) ? v : bad(key, v, what);
    },
    flag: (key: string): boolean => {
      const v = get(key);
      return typeof v === 'boolean' ? v : bad(key, v, 'true or false');
    },
    /** Throws when the key is present with a value `ok` rejects. */
    refuse: (key: string, ok: (v: unknown) => boolean, expected: string): void => {
      if (key in j && !ok(j[key])) bad(key, j[key], expected);
    },
  };
}

export type HfReader = ReturnType<typeof hfReader>;
export const positive = (v: number): boolean => v > 0;
export const rate = (v: number): boolean => v >= 0 && v < 1;
export const std = (v: number): boolean => v >= 0 && v <= 1;
