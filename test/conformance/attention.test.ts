// Attention on both backends: causal with Tq = Tk, Tq < Tk (decode with a KV cache) and Tq > Tk
// (queries that see no key), grouped-query heads, additive masks broadcast through their
// strides (with −∞ padding, including fully masked rows), lengths that cross the 64-wide tiles,
// and every subset of wanted gradients; Gemma 2's soft-cap and sliding windows whose edges fall
// inside tiles, skip whole tiles, or hide every key from early queries of a chunk.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contiguousLayout, getBackend } from '../../src/backend/index.js';
import { conform, f, fn, Gen, skipNative } from './harness.js';

interface Case {
  name: string;
  B: number; H: number; Hkv: number; Tq: number; Tk: number; D: number;
  causal: boolean;
  /** Mask shape over (B, H, Tq, Tk), 1 on broadcast axes; absent: no mask. */
  mask?: [number, number, number, number];
  softcap?: number;
  window?: number;
}

const CASES: Case[] = [
  { name: 'single position', B: 1, H: 1, Hkv: 1, Tq: 1, Tk: 1, D: 1, causal: true },
  { name: 'causal square', B: 2, H: 3, Hkv: 3, Tq: 7, Tk: 7, D: 33, causal: true },
  { name: 'non-causal, odd sizes', B: 1, H: 2, Hkv: 2, Tq: 33, Tk: 7, D: 7, causal: false },
  { name: 'causal decode, Tq < Tk', B: 2, H: 2, Hkv: 2, Tq: 1, Tk: 100, D: 16, causal: true },
  { name: 'causal chunk, Tq < Tk across tiles', B: 1, H: 2, Hkv: 1, Tq: 70, Tk: 130, D: 16, causal: true },
  { name: 'causal Tq > Tk: early queries see nothing', B: 1, H: 1, Hkv: 1, Tq: 9, Tk: 4, D: 8, causal: true },
  { name: 'GQA 4 heads on 2 kv heads, long', B: 2, H: 4, Hkv: 2, Tq: 130, Tk: 130, D: 32, causal: true },
  { name: 'MQA 6 heads on 1 kv head', B: 1, H: 6, Hkv: 1, Tq: 65, Tk: 65, D: 8, causal: false },
  // Kv heads that 2 threads do not share evenly (SmolLM2's 3): each query head its own task, dk and dv summed from partials.
  { name: 'GQA 9 heads on 3 kv heads, kv heads split by query head', B: 1, H: 9, Hkv: 3, Tq: 70, Tk: 70, D: 16, causal: true },
  { name: 'MQA 4 heads on 1 kv head × 3 rows, split by query head, padding mask', B: 3, H: 4, Hkv: 1, Tq: 66, Tk: 66, D: 8, causal: true, mask: [3, 1, 1, 66] },
  { name: 'padding mask (B, 1, 1, Tk)', B: 3, H: 2, Hkv: 2, Tq: 20, Tk: 20, D: 8, causal: true, mask: [3, 1, 1, 20] },
  { name: 'full mask (B, H, Tq, Tk), GQA', B: 1, H: 4, Hkv: 2, Tq: 66, Tk: 70, D: 8, causal: false, mask: [1, 4, 66, 70] },
  { name: 'bias mask (1, H, Tq, Tk) with causal', B: 2, H: 2, Hkv: 1, Tq: 40, Tk: 40, D: 4, causal: true, mask: [1, 2, 40, 40] },
  { name: 'soft-cap 2, non-causal, across tiles', B: 1, H: 2, Hkv: 1, Tq: 70, Tk: 67, D: 16, causal: false, softcap: 2 },
  { name: 'soft-cap 3, causal GQA with padding mask', B: 2, H: 4, Hkv: 2, Tq: 33, Tk: 33, D: 8, causal: true, mask: [2, 1, 1, 33], softcap: 3 },
  { name: 'window 70, long: whole tiles skipped', B: 1, H: 2, Hkv: 1, Tq: 200, Tk: 200, D: 16, causal: true, window: 70 },
  { name: 'window 5, inside one tile', B: 2, H: 2, Hkv: 2, Tq: 20, Tk: 20, D: 8, causal: true, window: 5 },
  { name: 'window 64, chunk Tq < Tk', B: 1, H: 2, Hkv: 2, Tq: 70, Tk: 150, D: 8, causal: true, window: 64 },
  { name: 'window 30, decode Tq = 1', B: 2, H: 2, Hkv: 1, Tq: 1, Tk: 130, D: 16, causal: true, window: 30 },
  { name: 'window 3, Tq > Tk', B: 1, H: 1, Hkv: 1, Tq: 9, Tk: 4, D: 8, causal: true, window: 3 },
  { name: 'window 40 + soft-cap 1.5 + padding mask, GQA', B: 2, H: 4, Hkv: 2, Tq: 100, Tk: 100, D: 8, causal: true, mask: [2, 1, 1, 100], softcap: 1.5, window: 40 },
];

function maskOf(g: Gen, c: Case): { mask: Float32Array | null; strides: number[] } {
  if (!c.mask) return { mask: null, strides: [] };
  const [mb, mh, mq, mk] = c.mask;
  const mask = g.normal(mb * mh * mq * mk);
  // −∞ padding: a few keys per batch, and (for per-row masks) a fully masked query row.
  for (let k = 0; k < mask.length; k++) if (k % mk >= mk - 3 || k % 11 === 0) mask[k] = -Infinity;
  if (mq > 1) mask.fill(-Infinity, mk * 2, mk * 3);
  const strides = [mh * mq * mk, mq * mk, mk, 1].map((s, k) => (c.mask![k] === 1 ? 0 : s));
  return { mask, strides };
}

/**
 * Where the heads live: packed (B, H, T, D) buffers, or interleaved in projections, q in a
 * (B, Tq, Wq) buffer and k, v side by side in one (B, Tk, Wkv) buffer, out in a (B, Tq, Wo) one,
 * each wider than its heads (the extra channels must be left alone), as a fused QKV projection
 * lays them out.
 */
interface Layout {
  sizes: { q: number; kv: number; out: number };
  /** Offsets of q, k, v, out in their buffers. */
  offsets: [number, number, number, number];
  strides: number[];
}

function layouts(c: Case): [string, Layout][] {
  const { B, H, Hkv, Tq, Tk, D } = c;
  const nq = B * H * Tq * D, nk = B * Hkv * Tk * D;
  const Wq = H * D + 3, Wkv = 2 * Hkv * D + 5, Wo = H * D + 2;
  return [
    ['packed', { sizes: { q: nq, kv: 2 * nk, out: nq }, offsets: [0, 0, nk, 0], strides: contiguousLayout(H, Hkv, Tq, Tk, D) }],
    ['interleaved', {
      sizes: { q: B * Tq * Wq, kv: B * Tk * Wkv, out: B * Tq * Wo },
      offsets: [3, 1, 1 + Hkv * D, 2],
      strides: [Tq * Wq, D, Wq, Tk * Wkv, D, Wkv, Tk * Wkv, D, Wkv, Tq * Wo, D, Wo],
    }],
  ];
}

describe('conformance: attention', { skip: skipNative }, () => {
  for (const c of CASES)
    for (const [where, lay] of layouts(c))
      test(`${c.name} (${where})`, () => {
        const g = new Gen(41);
        const { B, H, Hkv, Tq, Tk, D, causal } = c, cap = c.softcap ?? 0, win = c.window ?? 0;
        const { sizes, offsets: [oq, ok, ov, oo], strides: layout } = lay;
        const scale = 1 / Math.sqrt(D);
        const q = g.normal(sizes.q), kv = g.normal(sizes.kv);
        const { mask, strides } = maskOf(g, c);
        const tol = Tk >= 100 ? 1e-4 : 1e-5;
        const at = (x: Float32Array, o: number) => x.subarray(o);
        conform(`attentionForward ${c.name} ${where}`, { out: g.normal(sizes.out), lse: g.normal(B * H * Tq), q, kv, mask },
          (be, x) => be.attentionForward(at(f(x, 'out'), oo), f(x, 'lse'), at(f(x, 'q'), oq), at(f(x, 'kv'), ok),
            at(f(x, 'kv'), ov), fn(x, 'mask'), strides, B, H, Hkv, Tq, Tk, D, scale, causal, layout, cap, win), tol);
        const out = g.normal(sizes.out), lse = new Float32Array(B * H * Tq);
        getBackend('js').attentionForward(at(out, oo), lse, at(q, oq), at(kv, ok), at(kv, ov), mask, strides, B, H, Hkv, Tq, Tk, D, scale, causal, layout, cap, win);
        const dout = g.normal(sizes.out);
        for (const grads of [7, 1, 2, 4, 6]) {
          const bufs = {
            dq: grads & 1 ? g.normal(sizes.q) : null, dkv: grads & 6 ? g.normal(sizes.kv) : null,
            dout, out, lse, q, kv, mask,
          };
          conform(`attentionBackward ${c.name} ${where} grads=${grads}`, bufs, (be, x) => {
            const dkv = fn(x, 'dkv'), dq = fn(x, 'dq');
            be.attentionBackward(dq && at(dq, oq), dkv && grads & 2 ? at(dkv, ok) : null, dkv && grads & 4 ? at(dkv, ov) : null,
              at(f(x, 'dout'), oo), at(f(x, 'out'), oo), f(x, 'lse'), at(f(x, 'q'), oq), at(f(x, 'kv'), ok), at(f(x, 'kv'), ov),
              fn(x, 'mask'), strides, B, H, Hkv, Tq, Tk, D, scale, causal, layout, cap, win);
          }, 1e-4);
        }
      });
});

// A left-padded row (the batched prefill's) gets the numbers it gets alone, bit for bit: the
// forward's key blocks start where the key mask stops hiding keys, so they hold the same keys as
// the unpadded row's. Causal (Tq = Tk), with a window, and a soft-cap; paddings below, across and
// beyond a 64-wide block; a key mask of (B, Tk) broadcast and a full (B, H, Tq, Tk) one.
test('attentionForward: a left-padded row equals the row alone bit for bit', { skip: skipNative }, () => {
  const g = new Gen(21), be = getBackend('native'), H = 4, Hkv = 2, D = 32, T = 150;
  const q0 = g.normal(H * T * D), k0 = g.normal(Hkv * T * D), v0 = g.normal(Hkv * T * D);
  for (const [softcap, window] of [[0, 0], [0, 40], [20, 0]]) {
    const alone = { out: new Float32Array(H * T * D), lse: new Float32Array(H * T) };
    be.attentionForward(alone.out, alone.lse, q0, k0, v0, null, [0, 0, 0, 0], 1, H, Hkv, T, T, D, 0.2, true, contiguousLayout(H, Hkv, T, T, D), softcap, window);
    for (const P of [5, 64, 70, 130]) {
      const Tp = T + P, pad = (x: Float32Array, heads: number): Float32Array => {
        const y = g.normal(heads * Tp * D); // the padding's rows: anything
        for (let h = 0; h < heads; h++) y.set(x.subarray(h * T * D, (h + 1) * T * D), (h * Tp + P) * D);
        return y;
      };
      const [q, k, v] = [pad(q0, H), pad(k0, Hkv), pad(v0, Hkv)];
      const keyMask = new Float32Array(Tp).fill(-Infinity, 0, P);
      const full = new Float32Array(H * Tp * Tp);
      for (let r = 0; r < H * Tp; r++) full.fill(-Infinity, r * Tp, r * Tp + P);
      for (const [mask, strides] of [[keyMask, [0, 0, 0, 1]], [full, [0, Tp * Tp, Tp, 1]]] as const) {
        const out = new Float32Array(H * Tp * D), lse = new Float32Array(H * Tp);
        be.attentionForward(out, lse, q, k, v, mask, [...strides], 1, H, Hkv, Tp, Tp, D, 0.2, true, contiguousLayout(H, Hkv, Tp, Tp, D), softcap, window);
        for (let h = 0; h < H; h++) {
          const what = `softcap ${softcap}, window ${window}, padding ${P}, ${mask === full ? 'full' : 'key'} mask, head ${h}`;
          assert.deepEqual(out.subarray((h * Tp + P) * D, (h + 1) * Tp * D), alone.out.subarray(h * T * D, (h + 1) * T * D), what);
          assert.deepEqual(lse.subarray(h * Tp + P, (h + 1) * Tp), alone.lse.subarray(h * T, (h + 1) * T), `${what}: lse`);
        }
      }
    }
  }
});
