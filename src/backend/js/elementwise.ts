// Elementwise kernels: the unary table, GELU and SiLU, and broadcasting binary ops.
import type { BinaryOp, F32, I32, Strides, U16, UnaryOp } from '../kernels.js';
import { roundRowsToBf16 } from '../../tensor/index.js';
import { walkRows } from './walk.js';

export function unaryForward(op: UnaryOp, out: F32, inp: F32, n: number, p: number): void {
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -inp[i]; break;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(inp[i]); break;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(inp[i]); break;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(inp[i]); break;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(inp[i]); break;
    case 'relu': for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0; break;
    case 'pow': for (let i = 0; i < n; i++) out[i] = Math.pow(inp[i], p); break;
  }
}

export function unaryBackward(op: UnaryOp, dinp: F32, dout: F32, inp: F32, out: F32, n: number, p: number): void {
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) dinp[i] -= dout[i]; break;
    case 'exp': for (let i = 0; i < n; i++) dinp[i] += dout[i] * out[i]; break;
    case 'log': for (let i = 0; i < n; i++) dinp[i] += dout[i] / inp[i]; break;
    case 'sqrt': for (let i = 0; i < n; i++) dinp[i] += dout[i] * 0.5 / out[i]; break;
    case 'tanh': for (let i = 0; i < n; i++) dinp[i] += dout[i] * (1 - out[i] * out[i]); break;
    case 'relu': for (let i = 0; i < n; i++) dinp[i] += inp[i] > 0 ? dout[i] : 0; break;
    case 'pow': for (let i = 0; i < n; i++) dinp[i] += dout[i] * p * Math.pow(inp[i], p - 1); break;
  }
}

// GELU, tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Hendrycks & Gimpel 2016; GPT-2).
const GELU_S = Math.sqrt(2 / Math.PI);

export function geluForward(out: F32, inp: F32, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_S * (x + 0.044715 * x * x * x)));
  }
}

export function geluBackward(dinp: F32, inp: F32, dout: F32, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    const u = GELU_S * (x + 0.044715 * x * x * x);
    const t = Math.tanh(u);
    const du = GELU_S * (1 + 3 * 0.044715 * x * x);
    dinp[i] += dout[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du);
  }
}

// SiLU (swish): x·σ(x), the gate of Llama's SwiGLU MLP.
export function siluForward(out: F32, inp: F32, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] / (1 + Math.exp(-inp[i]));
}

/** act(gate) into out, then out ⊙ up: each value rounded to float32 as the two ops store it. */
export function gluForward(out: F32, gate: F32, up: F32, n: number, gelu: boolean): void {
  if (gelu) geluForward(out, gate, n);
  else siluForward(out, gate, n);
  for (let i = 0; i < n; i++) out[i] = out[i] * up[i];
}

export function siluBackward(dinp: F32, inp: F32, dout: F32, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = 1 / (1 + Math.exp(-inp[i]));
    dinp[i] += dout[i] * s * (1 + inp[i] * (1 - s));
  }
}

/** The separate passes gluBackward stands for, each value stored as they store it. */
export function gluBackward(dgate: F32 | null, dup: F32 | null, g: F32, gate: F32, up: F32, n: number, gelu: boolean, upFresh: boolean): void {
  if (dup) {
    const act = new Float32Array(n);
    if (gelu) geluForward(act, gate, n);
    else siluForward(act, gate, n);
    for (let i = 0; i < n; i++) dup[i] = upFresh ? g[i] * act[i] : dup[i] + g[i] * act[i];
  }
  if (!dgate) return;
  const dAct = new Float32Array(n);
  for (let i = 0; i < n; i++) dAct[i] = g[i] * up[i];
  if (gelu) geluBackward(dgate, gate, dAct, n);
  else siluBackward(dgate, gate, dAct, n);
}

export function binaryForward(op: BinaryOp, out: F32, a: F32, aStrides: Strides, b: F32, bStrides: Strides, shape: Strides): void {
  let oo = 0;
  walkRows(shape, aStrides, bStrides, [], (pa, pb, _z, n, sa, sb) => {
    switch (op) {
      case 'add': for (let j = 0; j < n; j++) out[oo + j] = a[pa + j * sa] + b[pb + j * sb]; break;
      case 'sub': for (let j = 0; j < n; j++) out[oo + j] = a[pa + j * sa] - b[pb + j * sb]; break;
      case 'mul': for (let j = 0; j < n; j++) out[oo + j] = a[pa + j * sa] * b[pb + j * sb]; break;
      case 'div': for (let j = 0; j < n; j++) out[oo + j] = a[pa + j * sa] / b[pb + j * sb]; break;
    }
    oo += n;
  });
}

export function binaryBackward(op: BinaryOp, da: F32 | null, db: F32 | null, dout: F32,
  a: F32, aStrides: Strides, b: F32, bStrides: Strides, shape: Strides): void {
  let oo = 0;
  walkRows(shape, aStrides, bStrides, [], (pa, pb, _z, n, sa, sb) => {
    for (let j = 0; j < n; j++) {
      const g = dout[oo + j], ia = pa + j * sa, ib = pb + j * sb;
      switch (op) {
        case 'add': if (da) da[ia] += g; if (db) db[ib] += g; break;
        case 'sub': if (da) da[ia] += g; if (db) db[ib] -= g; break;
        case 'mul': if (da) da[ia] += g * b[ib]; if (db) db[ib] += g * a[ia]; break;
        case 'div': {
          const bv = b[ib];
          if (da) da[ia] += g / bv;
          if (db) db[ib] -= (g * a[ia]) / (bv * bv);
          break;
        }
      }
    }
    oo += n;
  });
}

export function whereForward(out: F32, cond: F32 | I32, condStrides: Strides, a: F32, aStrides: Strides, b: F32, bStrides: Strides, shape: Strides): void {
  let oo = 0;
  walkRows(shape, condStrides, aStrides, bStrides, (pc, pa, pb, n, sc, sa, sb) => {
    for (let j = 0; j < n; j++) out[oo + j] = cond[pc + j * sc] !== 0 ? a[pa + j * sa] : b[pb + j * sb];
    oo += n;
  });
}

export function whereBackward(da: F32 | null, db: F32 | null, dout: F32, cond: F32 | I32, condStrides: Strides,
  aStrides: Strides, bStrides: Strides, shape: Strides): void {
  let oo = 0;
  walkRows(shape, condStrides, aStrides, bStrides, (pc, pa, pb, n, sc, sa, sb) => {
    for (let j = 0; j < n; j++) {
      if (cond[pc + j * sc] !== 0) { if (da) da[pa + j * sa] += dout[oo + j]; }
      else if (db) db[pb + j * sb] += dout[oo + j];
    }
    oo += n;
  });
}

export function sumSquares(inp: F32, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += inp[i] * inp[i];
  return s;
}

export function scaleInPlace(x: F32, n: number, s: number): void {
  for (let i = 0; i < n; i++) x[i] *= s;
}

export function adamwUpdate(param: F32, grad: F32, m: F32, v: F32, n: number, lr: number, beta1: number, beta2: number,
  eps: number, weightDecay: number, step: number): void {
  const bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    param[i] = param[i] * decay - (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + eps);
  }
}

/** rows × width values of src rounded to bfloat16 bits into dst at dstOffset + r·dstStride. */
export function roundRowsBf16(dst: U16, src: F32, rows: number, width: number, dstOffset: number, dstStride: number): void {
  roundRowsToBf16(dst, src, rows, width, (r) => dstOffset + r * dstStride);
}
