// Which config values differ between the run on disk and a resume. A resumed run must be the
// same experiment: a changed learning rate or verifier halfway through would leave samples and
// metrics that no single config explains. Only keys the trainer names (e.g. `iterations`, to
// extend a run) may change.

export interface ConfigChange {
  /** Dotted path of the key, e.g. "sampling.temperature". */
  key: string;
  stored: unknown;
  given: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text with object keys sorted, so that key order never counts as a change. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** Differences between two JSON configs, descending into nested objects (arrays compare whole). */
export function diffConfig(stored: Record<string, unknown>, given: Record<string, unknown>, prefix = ''): ConfigChange[] {
  const out: ConfigChange[] = [];
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(given)])].sort();
  for (const k of keys) {
    const key = prefix + k;
    const a = stored[k], b = given[k];
    if (isPlainObject(a) && isPlainObject(b)) out.push(...diffConfig(a, b, `${key}.`));
    else if (canonical(a) !== canonical(b)) out.push({ key, stored: a, given: b });
  }
  return out;
}

/** True when `key` or one of its parents (`sampling` for `sampling.topK`) is in `allowed`. */
export function mayChange(key: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => key === a || key.startsWith(`${a}.`));
}

export function describeChange(c: ConfigChange): string {
  const show = (v: unknown) => {
    if (v === undefined) return '(absent)';
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  };
  return `${c.key}: stored ${show(c.stored)}, given ${show(c.given)}`;
}
