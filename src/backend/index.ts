// Which backend runs the kernels. Everything above this layer calls `backend()` and never
// knows which implementation answered.
// Choice: ALIGNKIT_BACKEND=js|native picks one (native asked for but not loadable is an error);
// unset, native is used when its addon loads, and otherwise the JS reference, with one line on
// stderr that says why. The choice is made on first use, once per process.
import type { Backend } from './kernels.js';
import { jsBackend } from './js/index.js';
import { loadNative, type Native } from './native/index.js';

export type { Backend, BinaryOp, F32, I32, Strides, U16, UnaryOp } from './kernels.js';
export { contiguousLayout } from './kernels.js';
export { jsBackend } from './js/index.js';
export { rotateHead } from './js/rotary.js';
export type { DecodeLayerFn, Isa, Native, NativeConfig } from './native/index.js';

export type BackendName = 'js' | 'native';

/** The native backend and its controls, or why it is not available. */
export function nativeStatus(): { ok: true; native: Native } | { ok: false; reason: string } {
  return loadNative();
}

/** A backend by name, whatever the current choice (for conformance tests and benchmarks). */
export function getBackend(name: BackendName): Backend {
  if (name === 'js') return jsBackend;
  if (name === 'native') {
    const r = loadNative();
    if (!r.ok) throw new Error(`alignkit: the native backend is not available (${r.reason})`);
    return r.native.backend;
  }
  throw new Error(`alignkit: unknown backend '${String(name)}', expected 'js' or 'native'`);
}

function choose(): Backend {
  const want = process.env.ALIGNKIT_BACKEND;
  if (want === 'js') return jsBackend;
  if (want === 'native') {
    const r = loadNative();
    if (!r.ok) throw new Error(`alignkit: ALIGNKIT_BACKEND=native, but the native backend could not load (${r.reason})`);
    return r.native.backend;
  }
  if (want) throw new Error(`alignkit: ALIGNKIT_BACKEND is '${want}', expected 'js' or 'native' (or unset)`);
  const r = loadNative();
  if (r.ok) return r.native.backend;
  process.stderr.write(`alignkit: native backend unavailable (${r.reason}); using the JS backend\n`);
  return jsBackend;
}

let current: Backend | undefined;

export function backend(): Backend {
  return (current ??= choose());
}

export function setBackend(b: Backend): void {
  current = b;
}
