// The conformance harness: one kernel call, run on the JS reference (the definition) and on the
// native backend with copies of the same seeded buffers, once per SIMD path this CPU has, and
// every buffer compared afterwards, so outputs, in-place updates and "untouched" all count.
// Tolerance, as in test/golden: |got − want| ≤ tol·max(|want|, 1), 1e-5 by default and 1e-4 for
// long reductions; NaN must meet NaN and ±∞ the same infinity.
import assert from 'node:assert/strict';
import { getBackend, nativeStatus, type Backend, type Isa } from '../../src/backend/index.js';
import { Rng } from '../../src/tensor/rng.js';

export type Buf = Float32Array | Int32Array | Uint16Array | null;
export type Bufs = Record<string, Buf>;

const status = nativeStatus();

/** false when the native half runs, else the reason shown as the skip message. */
export const skipNative: string | false = status.ok ? false : `native addon not built: ${status.reason}`;

const ORDER: Isa[] = ['avx512', 'avx2', 'generic'];
/** Every SIMD path the CPU supports, widest first: each is held to the same definition. */
export const isas: Isa[] = status.ok ? ORDER.slice(ORDER.indexOf(status.native.config().bestIsa)) : [];

export function native(): Backend {
  return getBackend('native');
}

/** Sets the native thread count for the duration of `fn` (to reach the serial and split paths). */
export function withThreads(n: number, fn: () => void): void {
  if (!status.ok) return;
  const before = status.native.config().threads;
  status.native.setThreads(n);
  try { fn(); } finally { status.native.setThreads(before); }
}

export class Gen {
  private rng: Rng;
  constructor(seed: number) { this.rng = new Rng(seed); }
  normal(n: number, scale = 1): Float32Array { return Float32Array.from({ length: n }, () => scale * this.rng.normal()); }
  uniform(n: number, lo: number, hi: number): Float32Array {
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * this.rng.uniform());
  }
  ids(n: number, max: number): Int32Array { return Int32Array.from({ length: n }, () => this.rng.int(max)); }
  int(max: number): number { return this.rng.int(max); }
}

function clone(bufs: Bufs): Bufs {
  const out: Bufs = {};
  for (const [k, v] of Object.entries(bufs)) out[k] = v ? v.slice() : null;
  return out;
}

function compare(what: string, name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  assert.equal(got.length, want.length, `${what}: ${name} has length ${got.length}, expected ${want.length}`);
  let worst = -1, ratio = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) { worst = i; ratio = Infinity; break; }
      continue;
    }
    const r = Math.abs(g - w) / (tol * Math.max(Math.abs(w), 1));
    if (Number.isNaN(r)) { worst = i; ratio = Infinity; break; }
    if (r > ratio) { ratio = r; worst = i; }
  }
  if (ratio > 1) {
    assert.fail(`${what}: ${name}[${worst}] is ${got[worst]}, the JS reference says ${want[worst]} ` +
      `(${ratio === Infinity ? 'a NaN or ±∞ mismatch' : `${ratio.toFixed(1)}× the tolerance ${tol}`})`);
  }
}

/**
 * Calls `run` on the JS backend and on the native one (each SIMD path) with copies of `bufs`
 * and checks that every buffer, and the return value, match.
 */
export function conform(what: string, bufs: Bufs, run: (be: Backend, b: Bufs) => number | void, tol = 1e-5): void {
  const want = clone(bufs);
  const wantRet = run(getBackend('js'), want);
  if (!status.ok) return;
  const before = status.native.config().isa;
  try {
    for (const isa of isas) {
      status.native.setIsa(isa);
      const got = clone(bufs);
      const ret = run(native(), got);
      if (typeof wantRet === 'number') compare(`${what} [${isa}]`, 'return value', [ret as number], [wantRet], tol);
      for (const k of Object.keys(bufs)) {
        const g = got[k], w = want[k];
        if (w && g) compare(`${what} [${isa}]`, k, g, w, tol);
      }
    }
  } finally {
    status.native.setIsa(before);
  }
}

/** Typed access to a conform buffer that the case created as a Float32Array. */
export const f = (b: Bufs, k: string): Float32Array => b[k] as Float32Array;
export const fn = (b: Bufs, k: string): Float32Array | null => b[k] as Float32Array | null;
export const i = (b: Bufs, k: string): Int32Array => b[k] as Int32Array;
export const u = (b: Bufs, k: string): Uint16Array => b[k] as Uint16Array;
