// attentionDecodeHalf (one decoding query per row and head over a bfloat16 KV cache): the native
// kernel against the JS reference (attentionForward on the widened rows, float64 sums) on every
// SIMD path — grouped-query heads, head sizes that are not a multiple of the 16 lanes, windows,
// soft-caps, padding masks of the decoder's layout and of a full (B, H, Tk) one, rows whose keys
// are all hidden — with NaN in the cache past Tk (never read); and each batch row's output does
// not depend on the rows beside it nor on the thread count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend, nativeStatus } from '../../src/backend/index.js';
import { conform, f, fn, Gen, isas, native, skipNative, u, withThreads } from './harness.js';

interface Case { B: number; H: number; Hkv: number; cap: number; Tk: number; D: number; softcap?: number; window?: number; mask?: 'rows' | 'full' | 'none' }

/** bfloat16 bits of normal values, and NaN in every cache row at or past Tk. */
function cache(g: Gen, c: Case, scale: number): Uint16Array {
  const vals = g.normal(c.B * c.Hkv * c.cap * c.D, scale), u32 = new Uint32Array(vals.buffer), out = new Uint16Array(vals.length);
  for (let i = 0; i < out.length; i++) {
    const row = Math.floor(i / c.D) % c.cap;
    out[i] = row >= c.Tk ? 0x7fc0 : u32[i]! >>> 16;
  }
  return out;
}

function setup(g: Gen, c: Case): { bufs: Record<string, Float32Array | Uint16Array | null>; ms: number[] } {
  const { B, H, Tk } = c, kind = c.mask ?? 'rows';
  let mask: Float32Array | null = null, ms = [0, 0, 0];
  if (kind === 'rows') {
    // The decoder's key mask (B·Tk): row b's first b·3 keys are left padding.
    mask = new Float32Array(B * Tk);
    for (let b = 0; b < B; b++) mask.fill(-Infinity, b * Tk, b * Tk + Math.min(Tk - 1, 3 * b));
    ms = [Tk, 0, 1];
  } else if (kind === 'full') {
    mask = g.normal(B * H * Tk, 2);
    mask.fill(-Infinity, 0, Tk); // row 0, head 0: every key hidden
    ms = [H * Tk, Tk, 1];
  }
  return { bufs: { out: new Float32Array(B * H * c.D), q: g.normal(B * H * c.D), k: cache(g, c, 1.5), v: cache(g, c, 1), mask }, ms };
}

const cases: Case[] = [
  { B: 1, H: 1, Hkv: 1, cap: 8, Tk: 1, D: 16 },
  { B: 3, H: 9, Hkv: 3, cap: 40, Tk: 37, D: 64 },
  { B: 2, H: 14, Hkv: 2, cap: 130, Tk: 129, D: 64 },
  { B: 4, H: 4, Hkv: 4, cap: 20, Tk: 17, D: 24, mask: 'none' },
  { B: 2, H: 6, Hkv: 2, cap: 64, Tk: 50, D: 80, window: 7 },
  { B: 2, H: 8, Hkv: 4, cap: 33, Tk: 33, D: 32, softcap: 5, mask: 'full' },
  { B: 33, H: 4, Hkv: 1, cap: 300, Tk: 260, D: 48 },
];

test('attentionDecodeHalf: native equals the JS reference on every SIMD path', () => {
  const g = new Gen(7);
  for (const c of cases) {
    const { bufs, ms } = setup(g, c);
    conform(`attentionDecodeHalf ${JSON.stringify(c)}`, bufs, (be, b) => be.attentionDecodeHalf(f(b, 'out'), f(b, 'q'), u(b, 'k'), u(b, 'v'),
      fn(b, 'mask'), ms, c.B, c.H, c.Hkv, c.cap, c.Tk, c.D, 1 / Math.sqrt(c.D), c.softcap ?? 0, c.window ?? 0), 2e-5);
  }
});

test('attentionDecodeHalf: a row whose keys are all hidden gets zeros; the reference reads no key past Tk', () => {
  const g = new Gen(8), c: Case = { B: 2, H: 8, Hkv: 4, cap: 33, Tk: 20, D: 32, mask: 'full' };
  const { bufs, ms } = setup(g, c);
  for (const be of [getBackend('js'), ...(skipNative ? [] : [native()])]) {
    const out = new Float32Array(c.B * c.H * c.D);
    be.attentionDecodeHalf(out, bufs.q as Float32Array, bufs.k as Uint16Array, bufs.v as Uint16Array, bufs.mask as Float32Array, ms,
      c.B, c.H, c.Hkv, c.cap, c.Tk, c.D, 0.2, 0, 0);
    assert.deepEqual([...out.subarray(0, c.D)], new Array(c.D).fill(0), `${be.name}: head 0 of row 0 sees no key`);
    assert.ok(out.every(Number.isFinite), `${be.name}: a NaN from the cache rows past Tk reached the output`);
  }
});

test('attentionDecodeHalf: each row independent of the rows beside it and of the thread count', { skip: skipNative }, () => {
  const g = new Gen(9), c: Case = { B: 6, H: 9, Hkv: 3, cap: 70, Tk: 65, D: 64 };
  const { bufs, ms } = setup(g, c);
  const run = (B: number, row0: number): Float32Array => {
    const { H, Hkv, cap, Tk, D } = c, out = new Float32Array(B * H * D);
    const kv = (x: Uint16Array) => x.subarray(row0 * Hkv * cap * D, (row0 + B) * Hkv * cap * D);
    native().attentionDecodeHalf(out, (bufs.q as Float32Array).subarray(row0 * H * D), kv(bufs.k as Uint16Array), kv(bufs.v as Uint16Array),
      (bufs.mask as Float32Array).subarray(row0 * Tk), ms, B, H, Hkv, cap, Tk, D, 0.125, 0, 0);
    return out;
  };
  let two: Float32Array = new Float32Array(0), one: Float32Array = new Float32Array(0);
  withThreads(2, () => { two = run(c.B, 0); });
  withThreads(1, () => { one = run(c.B, 0); });
  assert.deepEqual(one, two, 'one thread and two give different bits');
  const per = c.H * c.D;
  for (const r of [0, 4]) {
    const alone = run(1, r);
    assert.deepEqual(alone, two.subarray(r * per, (r + 1) * per), `row ${r} alone differs from row ${r} in the batch`);
  }
});

// The kernel does not read the leading keys that every query of a group has hidden (left
// padding): a head's output must be the same bits whether its group's other heads see those keys
// (nothing skipped) or not (skipped), on every SIMD path, with and without a window.
test('attentionDecodeHalf: skipping hidden leading keys leaves every bit as it was', { skip: skipNative }, () => {
  const g = new Gen(10), st = nativeStatus(), before = st.ok ? st.native.config().isa : null;
  const B = 1, H = 6, Hkv = 2, cap = 1004, Tk = 1000, D = 64, gsz = H / Hkv;
  const { bufs } = setup(g, { B, H, Hkv, cap, Tk, D, mask: 'none' });
  const call = (pads: number[], window: number): Float32Array => {
    const mask = new Float32Array(H * Tk);
    pads.forEach((p, h) => mask.fill(-Infinity, h * Tk, h * Tk + p));
    const out = new Float32Array(H * D);
    native().attentionDecodeHalf(out, bufs.q as Float32Array, bufs.k as Uint16Array, bufs.v as Uint16Array, mask, [H * Tk, Tk, 1], B, H, Hkv, cap, Tk, D, 0.125, 0, window);
    return out;
  };
  try {
    for (const isa of isas) {
      st.ok && st.native.setIsa(isa);
      for (const [pad, window] of [[40, 0], [16, 0], [31, 0], [333, 0], [999, 0], [1000, 0], [870, 900]] as const) {
        // Group 0's head 0 and group 1's head 3 hide `pad` keys; their group mates hide none, then all do.
        const mixed = call([pad, 0, 0, pad, 0, 0], window), same = call(Array.from({ length: H }, () => pad), window);
        for (const h of [0, gsz]) {
          assert.deepEqual(same.subarray(h * D, (h + 1) * D), mixed.subarray(h * D, (h + 1) * D), `${isa}, ${pad} hidden keys, window ${window}: head ${h}`);
        }
      }
    }
  } finally {
    if (st.ok && before) st.native.setIsa(before);
  }
});
