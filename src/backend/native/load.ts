// Finds and loads the compiled addon: build/Release/alignkit.node under the package root, or the
// file named by ALIGNKIT_NATIVE_PATH. This directory is the only place that touches the addon
// (README, "Layers"); a failure is returned with its reason, never thrown, so that the
// selection in ../index.ts can fall back to the JS backend and say why.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type LoadResult<T> = { ok: true; addon: T; path: string } | { ok: false; reason: string };

/** The directory of alignkit's package.json, found upwards from this file (src/ or dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'alignkit') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`alignkit: no package.json of alignkit above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function addonPath(): string {
  const env = process.env.ALIGNKIT_NATIVE_PATH;
  return env ? resolve(env) : join(packageRoot(), 'build', 'Release', 'alignkit.node');
}

export function loadAddon<T>(): LoadResult<T> {
  let path: string;
  try {
    path = addonPath();
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  if (!existsSync(path)) return { ok: false, reason: `${path} not found; "npm rebuild alignkit" builds it` };
  try {
    return { ok: true, addon: createRequire(import.meta.url)(path) as T, path };
  } catch (e) {
    return { ok: false, reason: `${path} did not load: ${String((e as Error).message).split('\n')[0]}` };
  }
}
