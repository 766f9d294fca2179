// Reference scaled-dot-product attention, one query row at a time with an online view of the
// row: scores, max, log-sum-exp. The backward recomputes probabilities from the saved lse, as
// FlashAttention-2 does (Dao 2023, Algorithm 2), with D_i = dO_i · O_i.
import type { F32, Strides } from '../kernels.js';

export function attentionForward(out: F32, lse: F32, q: F32, k: F32, v: F32, mask: F32 | null, maskStrides: Strides,
  B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, scale: number, causal: boolean): void {
  const group = H / Hkv;
  const s = new Float64Array(Tk);
  const [m0, m1, m2, m3] = [maskStrides[0] ?? 0, maskStrides[1] ?? 0, maskStrides[2] ?? 0, maskStrides[3] ?? 0];
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / group);
    const qBase = (b * H + h) * Tq * D, kvBase = (b * Hkv + kvh) * Tk * D;
    for (let i = 0; i < Tq; i++) {
      const last = causal ? Math.min(Tk - 1, i + Tk - Tq) : Tk - 1;
      const qi = qBase + i * D, oi = qBase + i * D;
      let m = -Infinity;
      for (let j = 0; j <= last; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qi + d] * k[kvBase + j * D + d];
        let sj = dot * scale;
        if (mask) sj += mask[b * m0 + h * m1 + i * m2 + j * m3];
        s[j] = sj;
        if (sj > m) m = sj;
      }
      const row = (b * H + h) * Tq + i;
      for (let d = 0; d < D; d++) out[oi + d] = 0;
      if (m === -Infinity) { lse[row] = -Infinity; continue; }
      let l = 0;
      for (let j = 0; j <= last; j++) {
        const p = Math.exp(s[j] - m);
        l += p;
        for (let d = 0; d < D; d++) out[oi + d] += p * v[kvBase + j * D + d];
      }
      for (let d = 0; d < D; d++) out[oi + d] /= l;
      lse[row] = m + Math.log(l);
    }
  }
}

export function attentionBackward(dq: F32 | null, dk: F32 | null, dv: F32 | null, dout: F32, out: F32, lse: F32,
  q: F32, k: F32, v: F32, mask: F32 | null, maskStrides: Strides,
  B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, scale: number, causal: boolean): void {
  const group = H / Hkv;
  const [m0, m1, m2, m3] = [maskStrides[0] ?? 0, maskStrides[1] ?? 0, maskStrides[2] ?? 0, maskStrides[3] ?? 0];
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / group);
    const qBase = (b * H + h) * Tq * D, kvBase = (b * Hkv + kvh) * Tk * D;
    for (let i = 0; i < Tq; i++) {
      const row = (b * H + h) * Tq + i;
      const l = lse[row];
      if (l === -Infinity) continue;
      const last = causal ? Math.min(Tk - 1, i + Tk - Tq) : Tk - 1;
      const qi = qBase + i * D;
      let Di = 0;
      for (let d = 0; d < D; d++) Di += dout[qi + d] * out[qi + d];
      for (let j = 0; j <= last; j++) {
        const kj = kvBase + j * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qi + d] * k[kj + d];
        let sj = dot * scale;
        if (mask) sj += mask[b * m0 + h * m1 + i * m2 + j * m3];
        const p = Math.exp(sj - l);
        let dp = 0;
        for (let d = 0; d < D; d++) dp += dout[qi + d] * v[kj + d];
        const ds = p * (dp - Di) * scale;
        for (let d = 0; d < D; d++) {
          if (dv) dv[kj + d] += p * dout[qi + d];
          if (dq) dq[qi + d] += ds * k[kj + d];
          if (dk) dk[kj + d] += ds * q[qi + d];
        }
      }
    }
  }
}
