// Reference scaled-dot-product attention, one query row at a time with an online view of the
// row: scores, max, log-sum-exp. The backward recomputes probabilities from the saved lse, as
// FlashAttention-2 does (Dao 2023, Algorithm 2), with D_i = dO_i · O_i. Rows are addressed
// through the (batch, head, row) strides of `layout` (kernels.ts). A soft-cap (Gemma 2) maps the
// scaled score s to cap·tanh(s/cap) before the mask is added, as transformers' Gemma 2 eager
// attention does, and the backward multiplies by its derivative 1 − tanh². A window w > 0 hides
// key j from query i unless j > i + Tk − Tq − w (Mistral's sliding window, on top of causality):
// the loops start at the first key in the window, so keys outside cost nothing. The `bf16`
// permission (kernels.ts) is not taken here: every product is exact.
import { widenHalf } from '../../tensor/index.js';
import type { F32, Strides } from '../kernels.js';

interface Rows { q(b: number, h: number, i: number): number; k(b: number, h: number, j: number): number;
  v(b: number, h: number, j: number): number; o(b: number, h: number, i: number): number }

function rowsOf(layout: Strides): Rows {
  const at = (t: number) => {
    const [sb, sh, sr] = [layout[3 * t], layout[3 * t + 1], layout[3 * t + 2]];
    return (b: number, h: number, r: number) => b * sb + h * sh + r * sr;
  };
  return { q: at(0), k: at(1), v: at(2), o: at(3) };
}

export function attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, mask: F32 | null, maskStrides: Strides,
  B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, scale: number, causal: boolean,
  layout: Strides, softcap = 0, window = 0): void {
  const group = H / Hkv, at = rowsOf(layout);
  const s = new Float64Array(Tk);
  const [m0, m1, m2, m3] = [maskStrides[0] ?? 0, maskStrides[1] ?? 0, maskStrides[2] ?? 0, maskStrides[3] ?? 0];
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / group);
    for (let i = 0; i < Tq; i++) {
      const last = causal ? Math.min(Tk - 1, i + Tk - Tq) : Tk - 1, first = firstKey(i, Tq, Tk, window);
      const qi = at.q(b, h, i), oi = at.o(b, h, i);
      let m = -Infinity;
      for (let j = first; j <= last; j++) {
        const kj = at.k(b, kvh, j);
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qi + d] * k[kj + d];
        let sj = dot * scale;
        if (softcap) sj = softcap * Math.tanh(sj / softcap);
        if (mask) sj += mask[b * m0 + h * m1 + i * m2 + j * m3];
        s[j] = sj;
        if (sj > m) m = sj;
      }
      const row = (b * H + h) * Tq + i;
      for (let d = 0; d < D; d++) out[oi + d] = 0;
      if (m === -Infinity) { lse[row] = -Infinity; continue; }
      let l = 0;
      for (let j = first; j <= last; j++) {
        const p = Math.exp(s[j] - m), vj = at.v(b, kvh, j);
        l += p;
        for (let d = 0; d < D; d++) out[oi + d] += p * v[vj + d];
      }
      for (let d = 0; d < D; d++) out[oi + d] /= l;
      lse[row] = m + Math.log(l);
    }
  }
}

export function attentionBackward(dq: F32 | null, dk: F32 | null, dv: F32 | null, dout: F32, out: F32, lse: F32,
  q: F32, k: F32, v: F32, mask: F32 | null, maskStrides: Strides,
  B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, scale: number, causal: boolean,
  layout: Strides, softcap = 0, window = 0): void {
  const group = H / Hkv, at = rowsOf(layout);
  const [m0, m1, m2, m3] = [maskStrides[0] ?? 0, maskStrides[1] ?? 0, maskStrides[2] ?? 0, maskStrides[3] ?? 0];
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / group);
    for (let i = 0; i < Tq; i++) {
      const row = (b * H + h) * Tq + i;
      const l = lse[row];
      if (l === -Infinity) continue;
      const last = causal ? Math.min(Tk - 1, i + Tk - Tq) : Tk - 1, first = firstKey(i, Tq, Tk, window);
      const qi = at.q(b, h, i), oi = at.o(b, h, i);
      let Di = 0;
      for (let d = 0; d < D; d++) Di += dout[oi + d] * out[oi + d];
      for (let j = first; j <= last; j++) {
        const kj = at.k(b, kvh, j), vj = at.v(b, kvh, j);
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qi + d] * k[kj + d];
        let sj = dot * scale, dcap = 1;
        if (softcap) {
          const t = Math.tanh(sj / softcap);
          sj = softcap * t;
          dcap = 1 - t * t;
        }
        if (mask) sj += mask[b * m0 + h * m1 + i * m2 + j * m3];
        const p = Math.exp(sj - l);
        let dp = 0;
        for (let d = 0; d < D; d++) dp += dout[oi + d] * v[vj + d];
        const ds = p * (dp - Di) * scale * dcap;
        for (let d = 0; d < D; d++) {
          if (dv) dv[vj + d] += p * dout[oi + d];
          if (dq) dq[qi + d] += ds * k[kj + d];
          if (dk) dk[kj + d] += ds * q[qi + d];
        }
      }
    }
  }
}

/** The first key query i sees in a window of w (0: no window): j > i + Tk − Tq − w. */
export function firstKey(i: number, Tq: number, Tk: number, w: number): number {
  return w > 0 ? Math.max(0, i + Tk - Tq - w + 1) : 0;
}

/**
 * attentionForward for one query per (b, h) over the first Tk rows of a bfloat16 cache
 * (B, Hkv, cap, D): the rows widened, then the reference above with the cache's strides.
 */
export function attentionDecodeHalf(out: F32, q: F32, k: Uint16Array, v: Uint16Array, mask: F32 | null, maskStrides: Strides,
  B: number, H: number, Hkv: number, cap: number, Tk: number, D: number, scale: number, softcap: number, window: number): void {
  const widen = (bits: Uint16Array): F32 => widenHalf(bits.subarray(0, B * Hkv * cap * D), 'bfloat16');
  const [mb, mh, mj] = [maskStrides[0] ?? 0, maskStrides[1] ?? 0, maskStrides[2] ?? 0];
  const layout = [H * D, D, D, Hkv * cap * D, cap * D, D, Hkv * cap * D, cap * D, D, H * D, D, D];
  attentionForward(out, new Float32Array(B * H), q, widen(k), widen(v), mask, [mb, mh, 0, mj], B, H, Hkv, 1, Tk, D, scale, true, layout, softcap, window);
}
