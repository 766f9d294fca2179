// A trainer's (or a command's) whole set of options: declared once, resolved everywhere.
//
//   export const dpoConfig = declareConfig('dpo', { beta: num(0.1, 'β …', { gt: 0 }), … }, check);
//   export type DpoConfig = ConfigOf<typeof dpoConfig>;
//   dpoConfig.resolve({ beta: 0.2 })   // defaults filled in, every value checked
//
// A group nests another declaration (ReST's Improve settings inside ReST's); a partial group
// keeps only the values given, for a trainer that fills the rest itself at run time.
import type { Option } from './option.js';

export interface Group<O extends Options = Options, P extends boolean = boolean> {
  readonly kind: 'group';
  readonly config: ConfigDecl<O>;
  readonly partial: P;
}

export type Entry = Option<any> | Group<any, boolean>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Options = Record<string, Entry>;

type ValueOf<E> = E extends Option<infer T> ? T
  : E extends Group<infer O, infer P> ? (P extends true ? Partial<ValuesOf<O>> : ValuesOf<O>) : never;
export type ValuesOf<O extends Options> = { -readonly [K in keyof O]: ValueOf<O[K]> };

type OverrideOf<E> = E extends Group<infer O, boolean> ? Overrides<O> : ValueOf<E>;
export type Overrides<O extends Options> = { [K in keyof O]?: OverrideOf<O[K]> };

export type ConfigOf<D> = D extends ConfigDecl<infer O> ? ValuesOf<O> : never;
/** What a caller passes to a declaration's resolve: any subset of the options, nested groups too. */
export type ConfigInput<D> = D extends ConfigDecl<infer O> ? Overrides<O> : never;

export interface ConfigDecl<O extends Options = Options> {
  readonly name: string;
  readonly options: O;
  /** Every default; a fresh copy on each read. */
  readonly defaults: ValuesOf<O>;
  /** Defaults merged under `over` (undefined counts as not given) and every value checked. */
  resolve(over?: Overrides<O>): ValuesOf<O>;
  /** The same options with other defaults, as another trainer embeds this one. */
  withDefaults(name: string, defaults: Overrides<O>): ConfigDecl<O>;
}

export class ConfigError extends RangeError {
  constructor(message: string, readonly key: string | null = null) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const group = <O extends Options>(config: ConfigDecl<O>): Group<O, false> => ({ kind: 'group', config, partial: false });
export const partialGroup = <O extends Options>(config: ConfigDecl<O>): Group<O, true> => ({ kind: 'group', config, partial: true });



/** A value as an error shows it: strings quoted, NaN and Infinity as such. */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || v === undefined) return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** The value as its schema reads it (a schema may normalise, as a list of reward modules given as text); throws naming the key. */
function checkEntry(name: string, key: string, e: Option, v: unknown): unknown {
  if (v === undefined && e.required !== undefined) throw new ConfigError(`${name} config: ${key} is required: ${e.required}`, key);
  const r = e.schema.safeParse(v);
  if (!r.success) throw new ConfigError(`${name} config: ${key} = ${showValue(v)}, expected ${e.expected}`, key);
  return r.data;
}

function unknownKeys(name: string, options: Options, over: Record<string, unknown>): void {
  for (const k of Object.keys(over)) {
    if (!(k in options)) throw new ConfigError(`${name} config: unknown field "${k}"; known: ${Object.keys(options).join(', ')}`, k);
  }
}

function defaultsOf<O extends Options>(options: O): ValuesOf<O> {
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(options)) {
    out[k] = e.kind === 'group' ? (e.partial ? {} : e.config.defaults) : structuredClone(e.default);
  }
  return out as ValuesOf<O>;
}

function resolveWith<O extends Options>(name: string, options: O, over: Record<string, unknown>, check?: (c: ValuesOf<O>) => void): ValuesOf<O> {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) throw new ConfigError(`${name} config: expected an object of options, got ${showValue(over)}`);
  unknownKeys(name, options, over);
  const out: Record<string, unknown> = {};
  for (const [k, e] of Object.entries(options)) {
    const given = over[k];
    if (e.kind === 'group') {
      const sub = (given ?? {}) as Record<string, unknown>;
      if (e.partial) {
        unknownKeys(`${name} ${k}`, e.config.options, sub);
        out[k] = Object.fromEntries(Object.entries(sub).filter(([, v]) => v !== undefined).map(([sk, sv]) => [sk, checkEntry(`${name} ${k}`, sk, e.config.options[sk] as Option, sv)]));
      } else {
        out[k] = e.config.resolve(sub as never);
      }
      continue;
    }
    out[k] = checkEntry(name, k, e, given === undefined ? structuredClone(e.default) : given);
  }
  const c = out as ValuesOf<O>;
  check?.(c);
  return c;
}

/**
 * Declares a config. `check` runs after every value passed its own test and throws (a
 * ConfigError naming the fields) when values disagree with each other.
 */
const owners = new WeakMap<Option, string>();

/** The config that first declared an option (a command spreads in options of several trainers). */
export const ownerOf = (o: Option): string | undefined => owners.get(o);

export function declareConfig<O extends Options>(name: string, options: O, check?: (c: ValuesOf<O>) => void): ConfigDecl<O> {
  for (const e of Object.values(options)) if (e.kind === 'option' && !owners.has(e)) owners.set(e, name);
  return {
    name,
    options,
    get defaults() { return defaultsOf(options); },
    resolve: (over = {}) => resolveWith(name, options, over as Record<string, unknown>, check),
    withDefaults(newName, defaults) {
      const changed: Record<string, Entry> = { ...options };
      for (const [k, v] of Object.entries(defaults as Record<string, unknown>)) {
        const e = options[k];
        if (!e) throw new ConfigError(`${newName} config: unknown field "${k}" in its defaults for ${name}`, k);
        changed[k] = e.kind === 'group' ? { ...e, config: e.config.withDefaults(`${newName} ${k}`, v as never) } : { ...e, default: v };
      }
      return declareConfig(newName, changed as O, check);
    },
  };
}

/** The entries of `options` named in `keys`, for a command that exposes only part of a trainer. */
export function pickOptions<O extends Options, K extends keyof O>(options: O, keys: readonly K[]): Pick<O, K> {
  return Object.fromEntries(keys.map((k) => [k, options[k]])) as Pick<O, K>;
}

/** The values of `values` that belong to `config` (by its option names). */
export function valuesFor<O extends Options>(config: ConfigDecl<O>, values: Record<string, unknown>): Overrides<O> {
  return Object.fromEntries(Object.keys(config.options).filter((k) => k in values).map((k) => [k, values[k]])) as Overrides<O>;
}

/** A check for a declaration that spreads in other configs' options: each of those configs checks its own values. */
export function checkEach(...configs: readonly ConfigDecl[]): (values: Record<string, unknown>) => void {
  return (values) => { for (const c of configs) c.resolve(valuesFor(c, values)); };
}
