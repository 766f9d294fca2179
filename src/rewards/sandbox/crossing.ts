// How a value crosses between the realms of a sandbox worker (worker.ts): the sample's realm, the
// judge's realm where the tests run, and the worker's own. Issue 16: a sample that was handed the
// checker's expected value (it replaced Function.prototype.call, which the checker's deepEqual
// called) returned a Proxy that read it back, and a wrong answer passed. Now nothing live crosses.
// A value is structured-cloned here (v8.serialize refuses proxies, functions and symbols, and
// reads getters only as data), written as a tagged JSON string, and rebuilt on the other side by
// DECODE_SOURCE, which that realm compiled before any sample code ran. Only a string reaches the
// other realm, so neither side ever holds an object of the other.
//
// The wire format is JSON in which strings, booleans, null and finite numbers other than -0 stand
// for themselves and everything else is an array whose first element is a tag:
//   ['u'] undefined · ['n', 'NaN' | 'Infinity' | '-Infinity' | '-0'] · ['i', digits] bigint ·
//   ['a', items] array (['h'] for a hole) · ['o', [[key, value], ...]] plain object ·
//   ['m', [[key, value], ...]] Map · ['s', items] Set · ['d', ms] Date · ['r', source, flags] RegExp
import { isProxy } from 'node:util/types';
import { deserialize, serialize } from 'node:v8';

/** Why a value could not cross, in words a verdict can show ("a function", "a Proxy"). */
export class CrossingError extends Error {
  override name = 'CrossingError';
}

/** Deeper structures are refused: the judge compares data, not linked lists 10,000 deep. */
export const MAX_DEPTH = 200;

/**
 * The wire form of `value`. Throws CrossingError when it is not plain data; any other exception
 * comes from the value's own getters (a sample's code) and is the caller's to report.
 */
export function toWire(value: unknown): string {
  let copy: unknown;
  try {
    copy = deserialize(serialize(value));
  } catch (err) {
    // The serializer's own errors ("[object Array] could not be cloned.") are this realm's; what
    // a sample's getter throws belongs to the sample's realm and propagates as it is.
    if (err instanceof Error) throw new CrossingError(cloneReason(value, err.message));
    throw err;
  }
  return JSON.stringify(encode(copy, 0, new Set()));
}

function cloneReason(value: unknown, message: string): string {
  if (typeof value === 'function') return 'a function is not data';
  if (typeof value === 'symbol') return 'a symbol is not data';
  if (isProxy(value)) return 'a Proxy is not data';
  return `it is not plain data (${message.slice(0, 120)})`;
}

type Wire = string | boolean | null | number | Wire[];

// `copy` is the worker's own structured clone, so reading it runs no foreign code.
function encode(v: unknown, depth: number, path: Set<object>): Wire {
  if (depth > MAX_DEPTH) throw new CrossingError(`it is nested more than ${MAX_DEPTH} deep`);
  switch (typeof v) {
    case 'string': case 'boolean': return v;
    case 'undefined': return ['u'];
    case 'bigint': return ['i', v.toString()];
    case 'number':
      if (Number.isNaN(v)) return ['n', 'NaN'];
      if (!Number.isFinite(v)) return ['n', v > 0 ? 'Infinity' : '-Infinity'];
      return Object.is(v, -0) ? ['n', '-0'] : v;
    case 'object': break;
    default: throw new CrossingError(`a ${typeof v} is not data`);
  }
  if (v === null) return null;
  if (path.has(v)) throw new CrossingError('it refers to itself (a cycle)');
  path.add(v);
  try {
    const inner = (x: unknown) => encode(x, depth + 1, path);
    if (Array.isArray(v)) return ['a', Array.from({ length: v.length }, (_, i) => (i in v ? inner(v[i]) : ['h']))];
    if (v instanceof Map) return ['m', [...v].map(([k, x]) => [inner(k), inner(x)])];
    if (v instanceof Set) return ['s', [...v].map(inner)];
    if (v instanceof Date) return ['d', v.getTime()];
    if (v instanceof RegExp) return ['r', v.source, v.flags];
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw new CrossingError(`an instance of ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'a class'} is not plain data`);
    }
    return ['o', Object.keys(v).map((k) => [k, inner((v as Record<string, unknown>)[k])])];
  } finally {
    path.delete(v);
  }
}

/**
 * Script text defining `decode(text)` in the realm that runs it. Every intrinsic it uses is
 * captured when the script runs, so it must run before any sample code in that realm; a sample
 * that later patches Map.prototype.set or Array.prototype setters changes nothing it does.
 * Properties are defined, never assigned, so no setter on a prototype sees them.
 */
export const DECODE_SOURCE = String.raw`const decode = (() => {
  const parse = JSON.parse, isArray = Array.isArray, define = Object.defineProperty, apply = Reflect.apply;
  const MapC = Map, SetC = Set, DateC = Date, RegExpC = RegExp, BigIntF = BigInt;
  const mapSet = Map.prototype.set, setAdd = Set.prototype.add;
  const put = (o, k, v) => define(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  const NUMBERS = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
  const build = (x) => {
    if (!isArray(x)) return x;
    const tag = x[0], body = x[1];
    if (tag === 'u' || tag === 'h') return undefined;
    if (tag === 'n') return NUMBERS[body];
    if (tag === 'i') return BigIntF(body);
    if (tag === 'd') return new DateC(body);
    if (tag === 'r') return new RegExpC(body, x[2]);
    if (tag === 'a') {
      const out = [];
      for (let i = 0; i < body.length; i++) {
        const item = body[i];
        if (!(isArray(item) && item[0] === 'h')) put(out, i, build(item));
      }
      define(out, 'length', { value: body.length });
      return out;
    }
    if (tag === 'o') {
      const out = {};
      for (let i = 0; i < body.length; i++) put(out, body[i][0], build(body[i][1]));
      return out;
    }
    if (tag === 'm') {
      const out = new MapC();
      for (let i = 0; i < body.length; i++) apply(mapSet, out, [build(body[i][0]), build(body[i][1])]);
      return out;
    }
    if (tag === 's') {
      const out = new SetC();
      for (let i = 0; i < body.length; i++) apply(setAdd, out, [build(body[i])]);
      return out;
    }
    throw new Error('unknown wire tag ' + tag);
  };
  return (text) => build(parse(text));
})();`;
