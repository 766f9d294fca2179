// The pieces of a Llama-layout decoding step, each the same backend calls in the same order as the
// op it stands for (Transformer.proj, attentionDecode, applyRope, rmsNorm), so that the decoder's
// logits equal the generic path's bit for bit: only the tensors, checks and allocations go.
import { backend } from '../../../backend/index.js';
import { halfProduct, rotateHead } from '../../../ops/index.js';
import type { Tensor } from '../../../tensor/index.js';
import type { LoraAdapter } from '../../lora.js';
import { int8Of } from './int8.js';

/** A projection x·Wᵀ (+ bias) (+ LoRA) with W (N, K) stored out-in, float32 or 16-bit. */
export interface Proj {
  w: Tensor;
  bias: Float32Array | null;
  lora: LoraAdapter | null;
  N: number;
  K: number;
}

/** Scratch for the adapters' two thin products: t (M, r), u (M, N). */
export interface LoraScratch { t: Float32Array; u: Float32Array }

/**
 * out (M, N) = x (M, K)·Wᵀ + bias, then + scale·(x·Aᵀ)·Bᵀ: matmul's bias copy and accumulating
 * product (ops/matmul.ts), and loraDelta's linear, linear, mul and add (lora.ts), in that order.
 */
export function project(out: Float32Array, x: Float32Array, M: number, p: Proj, s: LoraScratch, bf16Compute = false): void {
  const be = backend(), { N, K } = p;
  if (p.bias) for (let m = 0; m < M; m++) out.set(p.bias, m * N);
  const acc = p.bias !== null, i8 = int8Of(p.w);
  if (i8) be.matmulInt8(out, x, i8.q, i8.scales, M, N, K, acc);
  else if (p.w.isHalf) halfProduct(out, x, p.w, M, N, K, true, acc, bf16Compute);
  else be.matmul(out, x, p.w.f32, 1, M, N, K, false, true, 0, 0, 0, acc);
  const a = p.lora;
  if (!a) return;
  const r = a.A.shape[0]!, n = M * N;
  be.matmul(s.t, x, a.A.f32, 1, M, r, K, false, true, 0, 0, 0, false);
  be.matmul(s.u, s.t, a.B.f32, 1, M, N, r, false, true, 0, 0, 0, false);
  be.binaryForward('mul', s.u, s.u, [1], Float32Array.of(a.scale), [0], [n]);
  be.binaryForward('add', out, out, [1], s.u, [1], [n]);
}

/** x (M, C) += y (M, C): the residual add. */
export function addInto(x: Float32Array, y: Float32Array, n: number): void {
  backend().binaryForward('add', x, x, [1], y, [1], [n]);
}

/**
 * Rotates `rows` heads of D values (row r at src[r·D]) by the cos/sin row of its batch row
 * (r / heads), written to dst at dstAt(r): x·cos + rotate_half(x)·sin as applyRope's mul, mul, add
 * round it (each product to float32, then their sum).
 */
export function rotate(dst: Float32Array, dstAt: (r: number) => number, src: Float32Array, rows: number, heads: number, D: number,
  cos: Float32Array, sin: Float32Array): void {
  for (let r = 0; r < rows; r++) rotateHead(dst, dstAt(r), src, r * D, cos, sin, Math.floor(r / heads) * D, D);
}

export interface AttendShape { B: number; H: number; Hkv: number; D: number; Tk: number; cap: number }

/**
 * o (B, H, D) = softmax(scale·q·Kᵀ (soft-capped) + keyMask)·V over the cache's first Tk rows of
 * kf, vf (B, Hkv, cap, D), a window's last rows only: attentionDecode's arithmetic, into kept
 * buffers s and p of at least B·H·Tk.
 */
export function attend(o: Float32Array, q: Float32Array, kf: Float32Array, vf: Float32Array, keyMask: Float32Array, sh: AttendShape,
  how: { scale: number; softcap: number | null; window: number | null }, s: Float32Array, p: Float32Array): void {
  const be = backend(), { B, H, Hkv, D, Tk, cap } = sh, g = H / Hkv;
  const j0 = how.window && how.window < Tk ? Tk - how.window : 0, n = Tk - j0;
  const rows = (x: Float32Array): Float32Array => (j0 ? x.subarray(j0 * D) : x);
  const shape = [B, H, 1, n], rowMajor = [H * n, n, n, 1], scalar = [0, 0, 0, 0], m = B * H * n;
  const sv = s.subarray(0, m), pv = p.subarray(0, m);
  be.matmul(sv, q, rows(kf), B * Hkv, g, n, D, false, true, g * D, cap * D, g * n, false);
  be.binaryForward('mul', sv, sv, rowMajor, Float32Array.of(how.scale), scalar, shape);
  if (how.softcap) {
    be.binaryForward('div', sv, sv, rowMajor, Float32Array.of(how.softcap), scalar, shape);
    be.unaryForward('tanh', sv, sv, m, 0);
    be.binaryForward('mul', sv, sv, rowMajor, Float32Array.of(how.softcap), scalar, shape);
  }
  be.binaryForward('add', sv, sv, rowMajor, j0 ? keyMask.subarray(j0) : keyMask, [Tk, 0, 0, 1], shape);
  be.softmaxForward(pv, sv, B * H, n);
  be.matmul(o, pv, rows(vf), B * Hkv, g, D, n, false, false, g * n, cap * D, g * D, false);
}
