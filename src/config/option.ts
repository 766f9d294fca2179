// One option of a trainer or a command, declared once: its type, default, help text and what a
// valid value is. The trainer's resolve, the command line (flags, --help, --config files) and
// the generated config file all read this declaration, so a default or a limit is written in
// exactly one place (README, "Options, config files and run directories").
import { z } from 'zod';

export type OptionType = 'number' | 'integer' | 'string' | 'boolean' | 'choice' | 'json';

export interface Option<T = unknown> {
  readonly kind: 'option';
  readonly type: OptionType;
  readonly default: T;
  /** One line for --help and the generated config file. */
  readonly help: string;
  /** A valid value in words ("a positive integer"): errors say "expected <this>". */
  readonly expected: string;
  /** Accepts exactly the valid values. */
  readonly schema: z.ZodType<T>;
  readonly choices?: readonly string[];
  /** Other names accepted on the command line and in config files, e.g. TRL's `learning_rate`. */
  readonly aliases?: readonly string[];
  /** Set when the option has no default: why it is needed, for the error that says it is missing. */
  readonly required?: string;
  /** An option that cannot be given together with this one (e.g. `steps` for `epochs`). */
  readonly excludes?: string;
  /** For a structured option: its value from a flag's text ("fixed:0.7,0.8"); throws naming `where`. */
  readonly fromText?: (text: string, where: string) => T;
  /**
   * 'model': the value names a model, a local directory or a Hugging Face Hub id
   * (org/name[@revision]), which a job turns into a directory of the cache before reading it
   * (src/hub, resolveModelOptions). 'dataset': a file or a Hub dataset split, which loadDataset
   * reads either way; the tag only says so in --help.
   */
  readonly hub?: 'model' | 'dataset';
}

export interface OptionExtras {
  aliases?: readonly string[];
  /** Overrides the generated wording of a valid value. */
  expected?: string;
  excludes?: string;
  hub?: 'model' | 'dataset';
}

/** What --help adds to the help of an option that takes a Hub id. */
const HUB_HELP = { model: ' (or a Hugging Face Hub id, org/name[@revision])', dataset: ' (or a Hub dataset, org/name[@revision][:[config/]split])' };

function make<T>(type: OptionType, def: T, help: string, schema: z.ZodType<T>, expected: string, x: OptionExtras = {}, more: Partial<Option<T>> = {}): Option<T> {
  return {
    kind: 'option', type, default: def, help: x.hub ? help + HUB_HELP[x.hub] : help, schema, expected: x.expected ?? expected,
    ...(x.aliases ? { aliases: x.aliases } : {}), ...(x.excludes ? { excludes: x.excludes } : {}), ...(x.hub ? { hub: x.hub } : {}), ...more,
  };
}

export interface IntBounds extends OptionExtras { min?: number; max?: number }

function intWords(min: number | undefined, max: number | undefined): string {
  if (max !== undefined) return `an integer in [${min ?? '-∞'}, ${max}]`;
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  return min === undefined ? 'an integer' : `an integer ≥ ${min}`;
}

/** An integer option. */
export function int(def: number, help: string, b: IntBounds = {}): Option<number> {
  let s = z.number().int();
  if (b.min !== undefined) s = s.min(b.min);
  if (b.max !== undefined) s = s.max(b.max);
  return make('integer', def, help, s, intWords(b.min, b.max), b);
}

export interface NumBounds extends OptionExtras { min?: number; max?: number; gt?: number; lt?: number }

function numWords(b: NumBounds): string {
  const lo = b.gt !== undefined ? `(${b.gt}` : b.min !== undefined ? `[${b.min}` : null;
  const hi = b.lt !== undefined ? `${b.lt})` : b.max !== undefined ? `${b.max}]` : null;
  if (lo && hi) return `a number in ${lo}, ${hi}`;
  if (b.gt === 0) return 'a positive number';
  if (b.gt !== undefined) return `a number > ${b.gt}`;
  if (b.min !== undefined) return `a finite number ≥ ${b.min}`;
  if (hi) return `a number ${b.lt !== undefined ? '<' : '≤'} ${b.lt ?? b.max}`;
  return 'a finite number';
}

/** A finite number option. */
export function num(def: number, help: string, b: NumBounds = {}): Option<number> {
  let s = z.number().finite();
  if (b.min !== undefined) s = s.min(b.min);
  if (b.max !== undefined) s = s.max(b.max);
  if (b.gt !== undefined) s = s.gt(b.gt);
  if (b.lt !== undefined) s = s.lt(b.lt);
  return make('number', def, help, s, numWords(b), b);
}

export function bool(def: boolean, help: string, x: OptionExtras = {}): Option<boolean> {
  return make('boolean', def, help, z.boolean(), 'true or false', x);
}

/** "a or b", "a or b or c", "one of a, b, c, d": short lists read better as alternatives. */
export function choiceWords(values: readonly string[]): string {
  return values.length <= 3 ? values.join(' or ') : `one of ${values.join(', ')}`;
}

export function choice<const C extends string>(values: readonly C[], def: C, help: string, x: OptionExtras = {}): Option<C> {
  const s = z.string().refine((v) => (values as readonly string[]).includes(v)) as unknown as z.ZodType<C>;
  return make('choice', def, help, s, choiceWords(values), x, { choices: values });
}

/** A choice that may be left out (its default then depends on other options); undefined when not given. */
export function optionalChoice<const C extends string>(values: readonly C[], help: string, x: OptionExtras = {}): Option<C | undefined> {
  const c = choice(values, values[0]!, help, x);
  return { ...c, default: undefined, schema: c.schema.optional() };
}

/** A string option with a default. */
export function text(def: string, help: string, x: OptionExtras = {}): Option<string> {
  return make('string', def, help, z.string(), 'a string', x);
}

/** A string option that may be left out (a path, a name); undefined when not given. */
export function optionalText(help: string, x: OptionExtras = {}): Option<string | undefined> {
  return make('string', undefined, help, z.string().min(1).optional(), 'a non-empty string', x);
}

/** A number option that may be left out; undefined when not given. */
export function optionalNum(help: string, b: NumBounds & { integer?: boolean } = {}): Option<number | undefined> {
  const base = b.integer ? int(0, help, b) : num(0, help, b);
  return make(base.type, undefined, help, base.schema.optional(), base.expected, b);
}

/** A string option without a default: `why` says what it is for when it is missing. */
export function requiredText(help: string, why: string, x: OptionExtras = {}): Option<string> {
  return make('string', undefined as unknown as string, help, z.string().min(1), 'a non-empty string', x, { required: why });
}

/**
 * Any JSON-shaped value checked by its own schema (a schedule, a list of numbers); `fromText`
 * reads it from a flag's text, and from a string in a config file.
 */
export function json<T>(def: T, help: string, schema: z.ZodType<T>, expected: string, fromText?: (text: string, where: string) => T, x: OptionExtras = {}): Option<T> {
  return make('json', def, help, schema, expected, x, fromText ? { fromText } : {});
}

/** The same option with another default or help: a trainer that embeds another sets its own defaults in one place. */
export function withDefault<T>(o: Option<T>, def: T, help?: string): Option<T> {
  return { ...o, default: def, ...(help !== undefined ? { help } : {}) };
}

/** Words of a comma- or space-separated list, for a list option's flag ("sigmoid,sft"). */
const words = (text: string): string[] => text.split(/[\s,]+/).filter((w) => w !== '');

/**
 * One of `values`, or several as a list (TRL's list-valued options such as DPO's loss_type); a
 * flag gives several comma-separated. The value keeps the shape it was given in.
 */
export function choiceList<const C extends string>(values: readonly C[], def: C | readonly C[], help: string, x: OptionExtras = {}): Option<C | C[]> {
  const one = z.string().refine((v) => (values as readonly string[]).includes(v)) as unknown as z.ZodType<C>;
  const schema = z.union([one, z.array(one).min(1)]) as unknown as z.ZodType<C | C[]>;
  const expected = `${choiceWords(values)} (several: comma-separated)`;
  return make('json', (typeof def === 'string' ? def : [...def]) as C | C[], help, schema, expected, x, { fromText: (t) => words(t) as C[] });
}

/** A list of finite numbers that may be left out; a flag gives them comma-separated ("0.8,0.2"). */
export function optionalNumList(help: string, x: OptionExtras = {}): Option<number[] | undefined> {
  const schema = z.array(z.number().finite()).min(1).optional();
  return make('json', undefined, help, schema, 'a list of finite numbers (comma-separated)', x, { fromText: (t) => words(t).map(Number) });
}
