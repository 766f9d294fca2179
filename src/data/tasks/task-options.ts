// Task options arrive from a CLI flag or a config file as loose key/values; each task checks them
// against one table of kinds, ranges and defaults, so a typo ("digit") or a bad value fails with
// the option's name and the accepted range instead of silently using a default.

export interface OptionSpec<T> {
  kind: 'integer' | 'number' | 'boolean' | 'string';
  default: T;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
}

export type OptionSpecs<T> = { [K in keyof T]-?: OptionSpec<T[K]> };

/** Validated options with defaults filled in; throws naming `owner`, the option, its value and what was expected. */
export function readOptions<T extends object>(owner: string, given: object | undefined, specs: OptionSpecs<T>): T {
  const out = {} as Record<string, unknown>;
  const known = Object.keys(specs);
  for (const key of Object.keys(given ?? {})) {
    if (!known.includes(key)) throw new Error(`${owner}: unknown option "${key}"; known options: ${known.join(', ')}`);
  }
  for (const key of known) {
    const spec = (specs as Record<string, OptionSpec<unknown>>)[key]!;
    const v = (given as Record<string, unknown> | undefined)?.[key];
    if (v === undefined) {
      out[key] = spec.default;
      continue;
    }
    const problem = check(v, spec);
    if (problem) throw new Error(`${owner}: option "${key}" must be ${problem}, got ${JSON.stringify(v) ?? String(v)}`);
    out[key] = v;
  }
  return out as T;
}

function check(v: unknown, spec: OptionSpec<unknown>): string | null {
  const range = spec.min !== undefined && spec.max !== undefined ? ` in [${spec.min}, ${spec.max}]`
    : spec.min !== undefined ? ` >= ${spec.min}` : spec.max !== undefined ? ` <= ${spec.max}` : '';
  switch (spec.kind) {
    case 'boolean':
      return typeof v === 'boolean' ? null : 'true or false';
    case 'string':
      if (typeof v !== 'string') return spec.oneOf ? `one of ${spec.oneOf.join(', ')}` : 'a string';
      return spec.oneOf && !spec.oneOf.includes(v) ? `one of ${spec.oneOf.join(', ')}` : null;
    case 'integer':
    case 'number': {
      const what = spec.kind === 'integer' ? `an integer${range}` : `a number${range}`;
      if (typeof v !== 'number' || !Number.isFinite(v) || (spec.kind === 'integer' && !Number.isInteger(v))) return what;
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return what;
      return null;
    }
  }
}
