// Flag parsing shared by every command: typed options with defaults and help text, an optional
// JSON config file (--config) whose keys are the flag names, and flags that win over the file.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type Parsed = Record<string, string | number | boolean | undefined>;

import { UsageError } from './flags.js';

export { UsageError };

export function helpText(command: string, summary: string, specs: OptionSpecs, examples: string[] = []): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = `--${name}${s.type === 'boolean' ? '' : ` <${s.type === 'number' ? 'n' : 'value'}>`}`;
    const def = s.default !== undefined ? ` (default: ${s.default})` : '';
    return `  ${flag.padEnd(28)} ${s.help}${def}`;
  });
  return [`alignkit ${command} — ${summary}`, '', `Usage: alignkit ${command} [options]`, '', 'Options:', ...rows,
    `  ${'--config <file>'.padEnd(28)} JSON file of option values (flags override it)`, `  ${'--help'.padEnd(28)} show this help`,
    ...(examples.length ? ['', 'Examples:', ...examples.map((e) => `  ${e}`)] : [])].join('\n');
}

/** Parses argv against specs; returns null when --help was asked (the caller prints help). */
export function parseCommand(argv: string[], specs: OptionSpecs): Parsed | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' }, config: { type: 'string' } };
  for (const [name, s] of Object.entries(specs)) options[name] = { type: s.type === 'boolean' ? 'boolean' : 'string', ...(s.short ? { short: s.short } : {}) };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true }) as { values: Record<string, string | boolean | undefined> });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values['help']) return null;
  let fromFile: Record<string, unknown> = {};
  const cfg = values['config'];
  if (typeof cfg === 'string') {
    try {
      fromFile = JSON.parse(readFileSync(cfg, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--config ${cfg}: cannot read a JSON object (${(err as Error).message})`);
    }
    for (const k of Object.keys(fromFile)) if (!(k in specs)) throw new UsageError(`${cfg}: unknown option "${k}"; known: ${Object.keys(specs).join(', ')}`);
  }
  const out: Parsed = {};
  for (const [name, s] of Object.entries(specs)) {
    const raw = values[name] ?? fromFile[name] ?? s.default;
    if (raw === undefined) continue;
    if (s.type === 'number') {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got ${JSON.stringify(raw)}`);
      out[name] = n;
    } else if (s.type === 'boolean') {
      if (typeof raw !== 'boolean') throw new UsageError(`--${name}: expected true or false, got ${JSON.stringify(raw)}`);
      out[name] = raw;
    } else {
      if (typeof raw !== 'string') throw new UsageError(`--${name}: expected a string, got ${JSON.stringify(raw)}`);
      out[name] = raw;
    }
  }
  return out;
}

export const str = (p: Parsed, k: string): string | undefined => p[k] as string | undefined;
export const num = (p: Parsed, k: string): number => p[k] as number;
export const flag = (p: Parsed, k: string): boolean => Boolean(p[k]);

export function required(p: Parsed, k: string, why: string): string {
  const v = p[k];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${k} is required: ${why}`);
  return v;
}
