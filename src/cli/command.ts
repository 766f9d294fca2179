// A command is a thin shell over one library call: its options are a declaration (config/), from
// which this file generates the flags, `--help`, `--config` (JSON or YAML) and `--print-config`;
// the resolved values go to `run`. Precedence: flags, then the config file, then the defaults.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ConfigError, ownerOf, type ConfigDecl, type Option, type Options, type ValuesOf } from '../config/index.js';
import type { Command } from './commands-type.js';
import { kebab, parseFlags, readConfigValues, sharedAliases, UsageError } from './flags.js';

export interface CommandDef<O extends Options> {
  name: string;
  summary: string;
  options: ConfigDecl<O>;
  examples?: string[];
  /** `given`: the options a flag or the config file set (the rest are defaults). */
  run(values: ValuesOf<O>, given: ReadonlySet<keyof O & string>): Promise<number>;
}

export interface DeclaredCommand<O extends Options = Options> extends Command {
  readonly options: ConfigDecl<O>;
  /** The values `run` would get for argv, without running it (tests, --print-config). */
  resolve(argv: string[]): { values: ValuesOf<O>; given: Set<string> } | null;
}

const flagOf = (key: string): string => `--${kebab(key)}`;

function typeLabel(o: Option): string {
  if (o.type === 'boolean') return '';
  if (o.type === 'choice') return ` <${o.choices!.join('|')}>`;
  return o.type === 'number' || o.type === 'integer' ? ' <n>' : ' <value>';
}

const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** --help, generated from the declaration; an option another trainer declared says whose it is. */
export function helpText(name: string, summary: string, options: Options, examples: readonly string[] = [], self?: string): string {
  const shared = sharedAliases(options); // an alias several options share answers to none of them
  const rows = Object.entries(options).map(([key, e]) => {
    const o = e as Option;
    const left = `${flagOf(key)}${typeLabel(o)}`;
    const note = o.required !== undefined ? ' (required)' : o.default !== undefined && o.default !== false ? ` (default: ${shown(o.default)})` : '';
    const aliases = (o.aliases ?? []).filter((a) => !shared.has(a)).map((a) => `--${a}`).join(', ');
    const off = o.type === 'boolean' && o.default === true ? ` (on by default; --no-${kebab(key)} turns it off)` : '';
    const owner = ownerOf(o);
    const whose = self !== undefined && owner !== undefined && owner !== self ? ` [${owner}]` : '';
    return `  ${left.padEnd(30)} ${o.help}${whose}${off || note}${aliases ? `; also ${aliases}` : ''}`;
  });
  return [`alignkit ${name} — ${summary}`, '', `Usage: alignkit ${name} [options]`, '', 'Options:', ...rows,
    `  ${'--config <file>'.padEnd(30)} JSON or YAML file of option values (flags override it)`,
    `  ${'--print-config'.padEnd(30)} print every option with its default as a YAML config file, and exit`,
    `  ${'--help'.padEnd(30)} show this help`,
    ...(examples.length ? ['', 'Examples:', ...examples.map((e) => `  ${e}`)] : [])].join('\n');
}

/** A YAML config file with every option at its default (required ones commented out), each under its help. */
export function configTemplate(name: string, options: Options): string {
  const lines = [`# alignkit ${name}: every option at its default. Edit, then run: alignkit ${name} --config <this file>`];
  for (const [key, e] of Object.entries(options)) {
    const o = e as Option;
    lines.push('', `# ${o.help}${o.required !== undefined ? ' (required)' : ''}`);
    const value = toYaml({ [kebab(key)]: o.default ?? null }).trimEnd();
    lines.push(o.required !== undefined || o.default === undefined ? `# ${value}` : value);
  }
  return lines.join('\n') + '\n';
}

/** A config file's values: YAML (and so JSON, its subset) mapping option names to values. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--config ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let data: unknown;
  try {
    data = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`--config ${file}: not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`--config ${file}: expected a mapping of option names to values, got ${Array.isArray(data) ? 'a list' : typeof data}`);
  return data as Record<string, unknown>;
}

/** A config error from the library, worded with flags: "labelSmoothing" becomes "--label-smoothing". */
function asUsageError(err: ConfigError, options: Options): UsageError {
  let msg = err.message.replace(/^[\w -]+ config: /, '');
  for (const key of Object.keys(options).sort((a, b) => b.length - a.length)) msg = msg.replace(new RegExp(`(?<![\\w-])${key}(?![\\w-])`, 'g'), flagOf(key));
  return new UsageError(msg);
}

export function defineCommand<O extends Options>(def: CommandDef<O>): DeclaredCommand<O> {
  const options = def.options.options;
  const resolve = (argv: string[]) => {
    const flags = parseFlags(argv, options);
    if (flags.help || flags.printConfig) return null;
    const fromFile = flags.config ? readConfigValues(readConfigFile(flags.config), options, flags.config) : {};
    const merged = { ...fromFile, ...flags.values };
    const given = new Set(Object.keys(merged));
    for (const key of given) {
      // Set to its default (a generated config file holds every option), it excludes nothing.
      const o = options[key] as Option;
      if (o.excludes && given.has(o.excludes) && merged[key] !== o.default) throw new UsageError(`give ${flagOf(key)} or ${flagOf(o.excludes)}, not both`);
    }
    for (const [key, e] of Object.entries(options)) {
      const o = e as Option;
      if (o.required !== undefined && merged[key] === undefined) throw new UsageError(`${flagOf(key)} is required: ${o.required}`);
    }
    try {
      return { values: def.options.resolve(merged as never), given };
    } catch (err) {
      throw err instanceof ConfigError ? asUsageError(err, options) : err;
    }
  };
  return {
    name: def.name,
    summary: def.summary,
    options: def.options,
    resolve,
    async run(argv) {
      const r = resolve(argv);
      if (r === null) {
        const flags = parseFlags(argv, options);
        console.log(flags.printConfig ? configTemplate(def.name, options) : helpText(def.name, def.summary, options, def.examples, def.options.name));
        return 0;
      }
      return def.run(r.values, r.given as ReadonlySet<keyof O & string>);
    },
  };
}
