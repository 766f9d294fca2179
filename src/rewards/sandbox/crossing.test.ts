import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import { CrossingError, DECODE_SOURCE, MAX_DEPTH, toWire } from './crossing.js';

// The decoder as a realm of its own compiles it: what it builds must belong to that realm.
const realm = vm.createContext(Object.create(null));
const decodeThere = vm.runInContext(`${DECODE_SOURCE}\ndecode`, realm) as (wire: string) => unknown;
// Compiled here too, so that round trips compare with assert's own deepStrictEqual.
const decodeHere = vm.runInThisContext(`(() => { ${DECODE_SOURCE}\nreturn decode; })()`) as (wire: string) => unknown;
const RealmArray = vm.runInContext('Array', realm) as ArrayConstructor;
const RealmObject = vm.runInContext('Object', realm) as ObjectConstructor;
const across = (v: unknown) => decodeHere(toWire(v));

test('plain data survives the round trip, including what JSON loses', () => {
  const values: unknown[] = [
    0, -0, 1.5, NaN, Infinity, -Infinity, 2n ** 70n, 'text', '', true, null, undefined,
    [1, [2, [3]]], [undefined, null], { a: 1, b: { c: [true] }, __proto__x: 2 },
    new Map<unknown, unknown>([[1, 'a'], ['k', [1]]]), new Set([1, 'x']), new Date(86_400_000), /a+b/gi,
  ];
  for (const v of values) assert.deepStrictEqual(across(v), v, String(v));
  // A class instance crosses as the data it holds, as structured clone defines.
  assert.deepStrictEqual(across(new (class Point { x = 1; })()), { x: 1 });
  const sparse = across([1, , 3]) as unknown[]; // eslint-disable-line no-sparse-arrays
  assert.equal(sparse.length, 3);
  assert.equal(1 in sparse, false, 'a hole stays a hole');
});

test('what is rebuilt belongs to the receiving realm, never to the sender', () => {
  const out = decodeThere(toWire({ xs: [1, 2] })) as { xs: unknown };
  const isA = (x: unknown, c: unknown): boolean => x instanceof (c as typeof Function);
  assert.ok(isA(out, RealmObject) && !isA(out, Object));
  assert.ok(isA(out.xs, RealmArray) && !isA(out.xs, Array));
});

test('what is not data is refused with the reason', () => {
  const cyclic: unknown[] = [1];
  cyclic.push(cyclic);
  let deep: unknown = [];
  for (let i = 0; i <= MAX_DEPTH + 1; i++) deep = [deep];
  const refused: [unknown, RegExp][] = [
    [() => 1, /a function is not data/],
    [Symbol('s'), /a symbol is not data/],
    [new Proxy([], {}), /a Proxy is not data/],
    [[1, () => 2], /not plain data/],
    [cyclic, /refers to itself/],
    [deep, /nested more than 200 deep/],
    [new Error('e'), /instance of Error/],
    [Object(1), /instance of Number/],
    [new Uint8Array(2), /not plain data/],
  ];
  for (const [v, why] of refused) assert.throws(() => toWire(v), (e: unknown) => e instanceof CrossingError && why.test(e.message), String(why));
});

test('an error thrown by a getter while copying is the value\'s own, not a CrossingError', () => {
  const boom = { get x() { throw 'from the getter'; } };
  assert.throws(() => toWire(boom), (e: unknown) => e === 'from the getter');
});
