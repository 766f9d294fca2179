// LayerNorm (Ba et al. 2016) and RMSNorm (Zhang & Sennrich 2019) over the last axis of (N, C).
// Statistics are accumulated in float64; the backward follows llm.c's layernorm_backward.
import type { F32 } from '../kernels.js';

export function layerNormForward(out: F32, mean: F32, rstd: F32, inp: F32, weight: F32, bias: F32 | null, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C;
    let m = 0;
    for (let c = 0; c < C; c++) m += inp[b + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) { const d = inp[b + c] - m; v += d * d; }
    v /= C;
    const s = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) out[b + c] = (inp[b + c] - m) * s * weight[c] + (bias ? bias[c] : 0);
    mean[n] = m;
    rstd[n] = s;
  }
}

export function layerNormBackward(dinp: F32 | null, dweight: F32 | null, dbias: F32 | null, dout: F32,
  inp: F32, weight: F32, mean: F32, rstd: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C, m = mean[n], s = rstd[n];
    let dnormMean = 0, dnormNormMean = 0;
    for (let c = 0; c < C; c++) {
      const norm = (inp[b + c] - m) * s;
      const dnorm = weight[c] * dout[b + c];
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
      if (dweight) dweight[c] += norm * dout[b + c];
      if (dbias) dbias[c] += dout[b + c];
    }
    if (!dinp) continue;
    dnormMean /= C;
    dnormNormMean /= C;
    for (let c = 0; c < C; c++) {
      const norm = (inp[b + c] - m) * s;
      const dnorm = weight[c] * dout[b + c];
      dinp[b + c] += (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

export function rmsNormForward(out: F32, rstd: F32, inp: F32, weight: F32, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[b + c] * inp[b + c];
    const s = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[b + c] = inp[b + c] * s * weight[c];
    rstd[n] = s;
  }
}

// y = x·s·w with s = (mean(x²)+eps)^-½: dx = s·(w⊙dy) − x·s³·Σ(w⊙dy⊙x)/C
export function rmsNormBackward(dinp: F32 | null, dweight: F32 | null, dout: F32, inp: F32, weight: F32, rstd: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C, s = rstd[n];
    let dot = 0;
    for (let c = 0; c < C; c++) {
      const g = weight[c] * dout[b + c];
      dot += g * inp[b + c];
      if (dweight) dweight[c] += dout[b + c] * inp[b + c] * s;
    }
    if (!dinp) continue;
    const k = (s * s * s * dot) / C;
    for (let c = 0; c < C; c++) dinp[b + c] += s * weight[c] * dout[b + c] - inp[b + c] * k;
  }
}
