// Command-line flags generated from an option declaration (config/): `--kebab-case` of each
// option's name, plus its aliases (TRL's names such as --learning_rate, and older flags); values
// converted to the option's type and checked against it, with errors that name the flag.
import { parseArgs } from 'node:util';
import { showValue, type Option, type Options } from '../config/index.js';

export class UsageError extends Error {}

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Every name an option answers to on the command line and in a config file: its key, its flag,
 * its snake_case form (as TRL and Python configs write names), and its aliases in both spellings.
 */
export function namesOf(key: string, o: Option): string[] {
  const names = [key, kebab(key), snake(key), ...(o.aliases ?? []).flatMap((a) => [a, kebab(a.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))])];
  return [...new Set(names)];
}

/**
 * name (key, flag or alias) → option key. Two options claiming one key or flag is a declaration
 * bug; an alias that several options share is left out here and listed by `sharedAliases` (SER's
 * --lr, --dpo-lr and --ppo-lr are the reward model's, DPO's and PPO's own options, and each of
 * them is TRL's learning_rate).
 */
export function nameTable(options: Options): Map<string, string> {
  const table = new Map<string, string>();
  const shared = sharedAliases(options);
  for (const [key, e] of Object.entries(options)) {
    if (e.kind !== 'option') throw new Error(`option "${key}" is a group; a command's options must be flat`);
    for (const n of namesOf(key, e)) {
      if (shared.has(n)) continue;
      const other = table.get(n);
      if (other !== undefined && other !== key) throw new Error(`options "${other}" and "${key}" both answer to "${n}"`);
      table.set(n, key);
    }
  }
  return table;
}

/** Alias → the option keys that share it, for aliases that are no option's own key or flag and belong to several. */
export function sharedAliases(options: Options): Map<string, string[]> {
  const own = new Set(Object.keys(options).flatMap((k) => [k, kebab(k)]));
  const owners = new Map<string, string[]>();
  for (const [key, e] of Object.entries(options)) {
    if (e.kind !== 'option') continue;
    for (const n of namesOf(key, e)) if (!own.has(n)) owners.set(n, [...new Set([...(owners.get(n) ?? []), key])]);
  }
  return new Map([...owners].filter(([, keys]) => keys.length > 1));
}

function ambiguous(name: string, keys: readonly string[]): UsageError {
  return new UsageError(`${name} is ambiguous here: it could be ${keys.map((k) => `--${kebab(k)}`).join(', ')}; give one of those`);
}

/**
 * A raw value (a flag's string, or what a config file holds) as the option's type; `where`
 * names its source in the error ("--lr abc", "run.yaml: lr").
 */
export function convert(o: Option, raw: unknown, where: string): unknown {
  let v = raw;
  if (typeof raw === 'string') {
    if (o.type === 'number' || o.type === 'integer') v = raw.trim() === '' ? NaN : Number(raw);
    else if (o.type === 'boolean' && (raw === 'true' || raw === 'false')) v = raw === 'true';
    else if (o.type === 'json' && o.fromText) v = o.fromText(raw, where);
  }
  const r = o.schema.safeParse(v);
  if (!r.success) throw new UsageError(`${where}: expected ${o.expected}`);
  return r.data;
}

export interface ParsedFlags {
  /** Option key → converted value, for the flags that were given. */
  values: Record<string, unknown>;
  help: boolean;
  printConfig: boolean;
  config: string | undefined;
}

/** Parses argv against the declared options (unknown flags and positionals are errors). */
export function parseFlags(argv: string[], options: Options): ParsedFlags {
  const table = nameTable(options);
  const spec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' }, config: { type: 'string' }, 'print-config': { type: 'boolean' },
  };
  const negated = new Map<string, string>();
  for (const [name, key] of table) {
    if (name === key && kebab(key) !== key) continue; // camelCase keys are for config files, not flags
    const o = options[key] as Option;
    spec[name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
    // A switch that is on by default is turned off with --no-<flag>.
    if (o.type === 'boolean' && o.default === true && name === kebab(key) && !table.has(`no-${name}`)) {
      spec[`no-${name}`] = { type: 'boolean' };
      negated.set(`no-${name}`, key);
    }
  }
  const shared = sharedAliases(options);
  for (const name of shared.keys()) spec[name] = { type: 'string' };
  let parsed: { values: Record<string, string | boolean | undefined> };
  try {
    parsed = parseArgs({ args: argv, options: spec, allowPositionals: false, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values: Record<string, unknown> = {}, by: Record<string, string> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    if (raw === undefined || name === 'help' || name === 'config' || name === 'print-config') continue;
    if (shared.has(name)) throw ambiguous(`--${name}`, shared.get(name)!);
    const key = table.get(name) ?? negated.get(name)!;
    if (by[key] !== undefined) throw new UsageError(`--${by[key]} and --${name} set the same option; give one`);
    by[key] = name;
    values[key] = negated.has(name) ? false : convert(options[key] as Option, raw, `--${name} ${typeof raw === 'string' ? raw : ''}`.trimEnd());
  }
  return { values, help: parsed.values['help'] === true, printConfig: parsed.values['print-config'] === true, config: parsed.values['config'] as string | undefined };
}

/** A config file's keys mapped to option keys and their values converted; `file` names it in errors. */
export function readConfigValues(fileValues: Record<string, unknown>, options: Options, file: string): Record<string, unknown> {
  const table = nameTable(options), shared = sharedAliases(options);
  const out: Record<string, unknown> = {}, by: Record<string, string> = {};
  for (const [name, raw] of Object.entries(fileValues)) {
    const key = table.get(name);
    if (key === undefined && shared.has(name)) throw ambiguous(`${file}: ${name}`, shared.get(name)!);
    if (key === undefined) throw new UsageError(`${file}: unknown option "${name}"; known: ${Object.keys(options).map(kebab).join(', ')}`);
    if (by[key] !== undefined) throw new UsageError(`${file}: "${by[key]}" and "${name}" set the same option; give one`);
    by[key] = name;
    out[key] = convert(options[key] as Option, raw, `${file}: ${name} = ${showValue(raw)}`);
  }
  return out;
}
