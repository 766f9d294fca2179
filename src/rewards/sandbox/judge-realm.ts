// The judge: a vm realm of its own where a task's tests run (worker.ts). The sample's code never
// runs here and never holds an object from here. A test that calls the sample's function calls a
// stub; the worker runs the real function in the sample's realm and hands back its result as a
// wire string (crossing.ts) that this realm decodes with code compiled before the sample loaded.
// So whatever a sample does to its own realm (replace Function.prototype.call, Object.is, Array
// iterators, toJSON, valueOf) the comparison below never sees it: issue 16, part 1.
import { DECODE_SOURCE } from './crossing.js';

/**
 * Script text of `assert` as tests use it: assert(cond), ok, equal/strictEqual (Object.is, or ===
 * so that 0 equals -0), notEqual, deepEqual/deepStrictEqual (own enumerable keys, same
 * prototypes; Map, Set, Date and RegExp by content), throws. `lastFailure` tells the worker that
 * an error came from an assertion rather than from the code under test.
 */
export const ASSERT_SOURCE = String.raw`const { assert, lastFailure } = (() => {
  const { freeze, keys, getPrototypeOf, is } = Object;
  const hasOwn = Object.prototype.hasOwnProperty, isArray = Array.isArray, stringify = JSON.stringify;
  let lastFailure = null;
  class AssertionError extends Error {}
  AssertionError.prototype.name = 'AssertionError';
  const show = (v) => {
    try {
      const s = typeof v === 'string' || (typeof v === 'object' && v !== null) ? stringify(v) : String(v);
      return typeof s === 'string' ? (s.length > 200 ? s.slice(0, 200) + '...' : s) : String(v);
    } catch { return '(unprintable)'; }
  };
  const fail = (msg, fallback) => {
    lastFailure = new AssertionError(typeof msg === 'string' ? msg : fallback);
    throw lastFailure;
  };
  const same = (a, b) => is(a, b) || a === b;
  const deepEqual = (a, b, depth) => {
    if (same(a, b)) return true;
    if (depth > 64 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (isArray(a) !== isArray(b) || getPrototypeOf(a) !== getPrototypeOf(b)) return false;
    if (a instanceof Date) return same(a.getTime(), b.getTime());
    if (a instanceof RegExp) return String(a) === String(b);
    if (a instanceof Map || a instanceof Set) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a.entries()) if (!b.has(k) || (a instanceof Map && !deepEqual(v, b.get(k), depth + 1))) return false;
      return true;
    }
    const ka = keys(a), kb = keys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i++) {
      const k = ka[i];
      if (!hasOwn.call(b, k) || !deepEqual(a[k], b[k], depth + 1)) return false;
    }
    return true;
  };
  function assert(cond, msg) { if (!cond) fail(msg, 'assertion failed'); }
  assert.ok = assert;
  assert.equal = assert.strictEqual = (actual, expected, msg) => {
    if (!same(actual, expected)) fail(msg, 'expected ' + show(expected) + ', got ' + show(actual));
  };
  assert.notEqual = assert.notStrictEqual = (actual, expected, msg) => {
    if (same(actual, expected)) fail(msg, 'expected anything but ' + show(expected));
  };
  assert.deepEqual = assert.deepStrictEqual = (actual, expected, msg) => {
    if (!deepEqual(actual, expected, 0)) fail(msg, 'expected ' + show(expected) + ', got ' + show(actual));
  };
  assert.throws = (fn, msg) => {
    try { fn(); } catch { return; }
    fail(msg, 'expected the call to throw');
  };
  return { assert: freeze(assert), lastFailure: () => lastFailure };
})();
// Non-writable and non-configurable: a test file cannot shadow it by accident.
Object.defineProperty(globalThis, 'assert', { value: assert, writable: false, enumerable: false, configurable: false });`;

/** What the worker keeps of the judge realm; tests never see it. */
export interface JudgeControl {
  lastFailure(): unknown;
  /** Every global name of the realm, so names a test uses can be told from the sample's. */
  globals(): string[];
  /** Makes `name` a stub that calls `hostCall(name, args)`: '=' + wire is a result, '!' + text a failure. */
  defineFunction(name: string, hostCall: (name: string, args: unknown[]) => string): void;
  /** Makes `name` the decoded wire value (a sample's constant that a test reads). */
  defineValue(name: string, wire: string): void;
}

export const JUDGE_BOOTSTRAP = `'use strict';
(() => {
  ${ASSERT_SOURCE}
  ${DECODE_SOURCE}
  const g = globalThis;
  const { defineProperty, freeze, getOwnPropertyNames } = Object;
  class SampleError extends Error {}
  SampleError.prototype.name = 'SampleError';
  const put = (name, value) => defineProperty(g, name, { value, writable: true, enumerable: false, configurable: true });
  return freeze({
    lastFailure,
    globals: () => getOwnPropertyNames(g),
    defineFunction(name, hostCall) {
      put(name, function (...args) {
        const r = hostCall(name, args);
        if (r[0] === '=') return decode(r.slice(1));
        throw new SampleError(r.slice(1));
      });
    },
    defineValue(name, wire) { put(name, decode(wire)); },
  });
})()`;
