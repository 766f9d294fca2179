// Reductions over the middle axis of an (outer, R, inner) view, and row-wise softmaxes.
import type { F32, I32 } from '../kernels.js';

export function sumForward(out: F32, inp: F32, outer: number, R: number, inner: number): void {
  out.fill(0, 0, outer * inner);
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let r = 0; r < R; r++) {
      const ib = (o * R + r) * inner;
      for (let i = 0; i < inner; i++) out[ob + i] += inp[ib + i];
    }
  }
}

export function sumBackward(dinp: F32, dout: F32, outer: number, R: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let r = 0; r < R; r++) {
      const ib = (o * R + r) * inner;
      for (let i = 0; i < inner; i++) dinp[ib + i] += dout[ob + i];
    }
  }
}

export function maxForward(out: F32, argmax: I32, inp: F32, outer: number, R: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity, arg = 0;
      for (let r = 0; r < R; r++) {
        const v = inp[(o * R + r) * inner + i];
        if (v > best || Number.isNaN(v)) { best = v; arg = r; if (Number.isNaN(v)) break; }
      }
      out[o * inner + i] = best;
      argmax[o * inner + i] = arg;
    }
  }
}

export function maxBackward(dinp: F32, dout: F32, argmax: I32, outer: number, R: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) dinp[(o * R + argmax[o * inner + i]) * inner + i] += dout[o * inner + i];
  }
}

export function greedyRows(token: I32, sum: Float64Array, logits: F32, B: number, V: number): void {
  for (let b = 0; b < B; b++) {
    const o = b * V;
    let m = -Infinity, best = 0;
    for (let i = 0; i < V; i++) if (logits[o + i] > m) { m = logits[o + i]; best = i; }
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(logits[o + i] - m);
    token[b] = best;
    sum[b] = s;
  }
}

export function softmaxSums(stats: Float64Array, logits: F32, B: number, V: number, t: number): void {
  for (let b = 0; b < B; b++) {
    const o = b * V;
    let m = -Infinity;
    for (let i = 0; i < V; i++) { const z = logits[o + i] / t; if (z > m) m = z; }
    let s = 0;
    for (let i = 0; i < V; i++) s += Math.exp(logits[o + i] / t - m);
    stats[2 * b] = m;
    stats[2 * b + 1] = s;
  }
}

export function inverseCdf(logits: F32, V: number, t: number, lse: number, u: number): number {
  let acc = 0;
  for (let i = 0; i < V; i++) {
    acc += Math.exp(logits[i] / t - lse);
    if (u < acc) return i;
  }
  return -1;
}

export function softmaxForward(out: F32, inp: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) if (inp[b + c] > m) m = inp[b + c];
    let s = 0;
    for (let c = 0; c < C; c++) { const e = Math.exp(inp[b + c] - m); out[b + c] = e; s += e; }
    const inv = 1 / s;
    for (let c = 0; c < C; c++) out[b + c] *= inv;
  }
}

// dx = y ⊙ (dy − Σ dy·y)
export function softmaxBackward(dinp: F32, dout: F32, out: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C;
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dout[b + c] * out[b + c];
    for (let c = 0; c < C; c++) dinp[b + c] += out[b + c] * (dout[b + c] - dot);
  }
}

export function logSoftmaxForward(out: F32, inp: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) if (inp[b + c] > m) m = inp[b + c];
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(inp[b + c] - m);
    const lse = m + Math.log(s);
    for (let c = 0; c < C; c++) out[b + c] = inp[b + c] - lse;
  }
}

// dx = dy − softmax(x)·Σ dy, with softmax(x) = exp(y)
export function logSoftmaxBackward(dinp: F32, dout: F32, out: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += dout[b + c];
    for (let c = 0; c < C; c++) dinp[b + c] += dout[b + c] - Math.exp(out[b + c]) * s;
  }
}
