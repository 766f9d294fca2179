// Attention on both backends: causal with Tq = Tk, Tq < Tk (decode with a KV cache) and Tq > Tk
// (queries that see no key), grouped-query heads, additive masks broadcast through their
// strides (with −∞ padding, including fully masked rows), lengths that cross the 64-wide tiles,
// and every subset of wanted gradients.
import { describe, test } from 'node:test';
import { getBackend } from '../../src/backend/index.js';
import { conform, f, fn, Gen, skipNative } from './harness.js';

interface Case {
  name: string;
  B: number; H: number; Hkv: number; Tq: number; Tk: number; D: number;
  causal: boolean;
  /** Mask shape over (B, H, Tq, Tk), 1 on broadcast axes; absent: no mask. */
  mask?: [number, number, number, number];
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
  { name: 'padding mask (B, 1, 1, Tk)', B: 3, H: 2, Hkv: 2, Tq: 20, Tk: 20, D: 8, causal: true, mask: [3, 1, 1, 20] },
  { name: 'full mask (B, H, Tq, Tk), GQA', B: 1, H: 4, Hkv: 2, Tq: 66, Tk: 70, D: 8, causal: false, mask: [1, 4, 66, 70] },
  { name: 'bias mask (1, H, Tq, Tk) with causal', B: 2, H: 2, Hkv: 1, Tq: 40, Tk: 40, D: 4, causal: true, mask: [1, 2, 40, 40] },
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

describe('conformance: attention', { skip: skipNative }, () => {
  for (const c of CASES)
    test(c.name, () => {
      const g = new Gen(41);
      const { B, H, Hkv, Tq, Tk, D, causal } = c;
      const nq = B * H * Tq * D, nk = B * Hkv * Tk * D, scale = 1 / Math.sqrt(D);
      const q = g.normal(nq), k = g.normal(nk), v = g.normal(nk);
      const { mask, strides } = maskOf(g, c);
      const tol = Tk >= 100 ? 1e-4 : 1e-5;
      conform(`attentionForward ${c.name}`, { out: g.normal(nq), lse: g.normal(B * H * Tq), q, k, v, mask },
        (be, x) => be.attentionForward(f(x, 'out'), f(x, 'lse'), f(x, 'q'), f(x, 'k'), f(x, 'v'), fn(x, 'mask'), strides,
          B, H, Hkv, Tq, Tk, D, scale, causal), tol);
      const out = new Float32Array(nq), lse = new Float32Array(B * H * Tq);
      getBackend('js').attentionForward(out, lse, q, k, v, mask, strides, B, H, Hkv, Tq, Tk, D, scale, causal);
      const dout = g.normal(nq);
      for (const grads of [7, 1, 2, 4, 6]) {
        const bufs = {
          dq: grads & 1 ? g.normal(nq) : null, dk: grads & 2 ? g.normal(nk) : null, dv: grads & 4 ? g.normal(nk) : null,
          dout, out, lse, q, k, v, mask,
        };
        conform(`attentionBackward ${c.name} grads=${grads}`, bufs, (be, x) => be.attentionBackward(fn(x, 'dq'), fn(x, 'dk'),
          fn(x, 'dv'), f(x, 'dout'), f(x, 'out'), f(x, 'lse'), f(x, 'q'), f(x, 'k'), f(x, 'v'), fn(x, 'mask'), strides,
          B, H, Hkv, Tq, Tk, D, scale, causal), 1e-4);
      }
    });
});
