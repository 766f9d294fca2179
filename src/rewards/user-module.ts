// A function from a person's own JavaScript module (a verifier, a reward), imported once and found
// by name: a named export, the default export, or a method of a default-exported object (how a
// CommonJS module's exports arrive). Errors name the module and what was looked for.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface UserFunction<F> {
  fn: F;
  /** The module's `name` export, else `module:<file name>`. */
  name: string;
  /** "verifier module <path>": how errors name the module. */
  where: string;
}

/** Imports `path` (relative to the working directory) and finds `exportName`; `what` and `signature` word the errors. */
export async function loadUserFunction<F>(path: string, what: string, exportName: string, signature: string): Promise<UserFunction<F>> {
  const where = `${what} module ${path}`;
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${where}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: failed to load (${(err as Error).message})`);
  }
  const def = mod.default;
  const fn = typeof mod[exportName] === 'function' ? mod[exportName]
    : typeof def === 'function' ? def
    : def !== null && typeof def === 'object' && typeof (def as Record<string, unknown>)[exportName] === 'function'
      ? ((def as Record<string, (...a: unknown[]) => unknown>)[exportName]!).bind(def)
      : null;
  if (!fn) {
    const found = Object.keys(mod).map((k) => `${k} (${typeof mod[k]})`).join(', ') || '(no exports)';
    throw new Error(`${where}: expected an export "${exportName}(${signature})", named or default; found ${found}`);
  }
  return { fn: fn as F, name: typeof mod.name === 'string' ? mod.name : `module:${basename(path)}`, where };
}
