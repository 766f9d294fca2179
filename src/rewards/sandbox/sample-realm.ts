// The realm where a model-written program runs (worker.ts): a vm context whose globals are only
// what SAMPLE_BOOTSTRAP leaves, with no handle on the worker's `process`, `require` or `import`.
// The bootstrap runs before any sample code, so every name it captures is the realm's original.
// Names that would hand out a capability throw and are remembered even when the caller catches,
// so a sample that probes and recovers still ends as 'forbidden'. Nothing here judges: the tests
// run in the judge's realm (judge-realm.ts); `assert` exists only so that a sample's own
// self-checks run.
import { DECODE_SOURCE } from './crossing.js';
import { ASSERT_SOURCE } from './judge-realm.js';

/** What the worker keeps of the sample's realm; the sample never gets a reference to it. */
export interface SampleControl {
  /** The first capability the sample reached for, or null. */
  forbidden(): unknown;
  /** Rebuilds a wire string (crossing.ts) as this realm's values: the arguments of a call. */
  decode(wire: string): unknown;
}

export const SAMPLE_BOOTSTRAP = `'use strict';
(() => {
  const g = globalThis;
  const { defineProperty, freeze, getPrototypeOf } = Object;
  let forbidden = null;
  class ForbiddenError extends Error {}
  ForbiddenError.prototype.name = 'ForbiddenError';

  const deny = (what) => {
    if (forbidden === null) forbidden = what;
    throw new ForbiddenError(what + ' is not available in the sandbox');
  };
  for (const name of ['require', 'process', 'fetch', 'WebSocket', 'XMLHttpRequest', 'Deno', 'Bun']) {
    defineProperty(g, name, { get: () => deny(name), configurable: true });
  }
  // codeGeneration: {strings: false} already makes these throw; the stand-ins only record the try.
  const denyFunction = function Function() { deny('Function'); };
  denyFunction.prototype = Function.prototype;
  defineProperty(g, 'Function', { value: denyFunction, writable: true, configurable: true });
  defineProperty(g, 'eval', { value: function evaluate() { deny('eval'); }, writable: true, configurable: true });
  for (const sample of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    const proto = getPrototypeOf(sample);
    const what = proto.constructor.name;
    const stand = proto === Function.prototype ? denyFunction : function () { deny(what); };
    if (stand !== denyFunction) stand.prototype = proto;
    defineProperty(proto, 'constructor', { value: stand, writable: true, configurable: true });
  }
  // Memory outside the V8 heap escapes --max-old-space-size; the parent's RSS watchdog is the
  // backstop, and without these constructors a sample cannot reach such memory at all.
  for (const name of ['ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Atomics', 'WebAssembly',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    delete g[name];
  }

  ${ASSERT_SOURCE}
  ${DECODE_SOURCE}
  const noop = () => {};
  const stub = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop, trace: noop, dir: noop, table: noop });
  defineProperty(g, 'console', { value: stub, writable: true, configurable: true });
  // Harmless CommonJS habits ("module.exports = add") should not cost a correct sample.
  const mod = { exports: {} };
  defineProperty(g, 'module', { value: mod, writable: true, configurable: true });
  defineProperty(g, 'exports', { value: mod.exports, writable: true, configurable: true });

  return freeze({ forbidden: () => forbidden, decode });
})()`;
