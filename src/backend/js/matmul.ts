// Reference matmul: row-major, i-k-j order so the inner loop streams a row of B and a row of C.
// A transposed A is read column-wise into a scratch row; a transposed B turns the inner loop into
// dot products of two contiguous rows. Plain and correct first; native/ holds the fast one.
import { roundToBf16, widenHalf } from '../../tensor/index.js';
import type { F32, I8, U16 } from '../kernels.js';

export function matmul(out: F32, a: F32, b: F32, batch: number, M: number, N: number, K: number,
  transA: boolean, transB: boolean, strideA: number, strideB: number, strideOut: number, accumulate: boolean): void {
  const arow = new Float32Array(K);
  for (let bt = 0; bt < batch; bt++) {
    const ao = bt * strideA, bo = bt * strideB, co = bt * strideOut;
    if (!accumulate && (strideOut !== 0 || bt === 0)) out.fill(0, co, co + M * N);
    for (let i = 0; i < M; i++) {
      if (transA) for (let k = 0; k < K; k++) arow[k] = a[ao + k * M + i];
      else for (let k = 0; k < K; k++) arow[k] = a[ao + i * K + k];
      const crow = co + i * N;
      if (transB) {
        for (let j = 0; j < N; j++) {
          const brow = bo + j * K;
          let s = 0;
          for (let k = 0; k < K; k++) s += arow[k] * b[brow + k];
          out[crow + j] += s;
        }
      } else {
        for (let k = 0; k < K; k++) {
          const aik = arow[k];
          const brow = bo + k * N;
          for (let j = 0; j < N; j++) out[crow + j] += aik * b[brow + j];
        }
      }
    }
  }
}

// The 16-bit weight product: the weight widened (exactly) and the float32 kernel above, so the
// reference defines matmulHalf as "matmul of the widened weight". The widened copy lives for
// one call; the native kernel widens panel by panel instead.
export function matmulHalf(out: F32, a: F32, w: U16, bf16: boolean, M: number, N: number, K: number,
  transB: boolean, accumulate: boolean): void {
  matmul(out, a, widenHalf(w, bf16 ? 'bfloat16' : 'float16'), 1, M, N, K, false, transB, 0, 0, 0, accumulate);
}

/** The int8 weight-only product: W (N, K) dequantised (q·scale per row, rounded to float32), then matmul. */
export function matmulInt8(out: F32, a: F32, q: I8, scales: F32, M: number, N: number, K: number, accumulate: boolean): void {
  const w = new Float32Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] = q[n * K + k]! * scales[n]!;
  matmul(out, a, w, 1, M, N, K, false, true, 0, 0, 0, accumulate);
}

/** The linear layer's product: the bias copied into every row of out, then matmul accumulates onto it. */
export function matmulBias(out: F32, a: F32, b: F32, bias: F32, M: number, N: number, K: number, transA: boolean, transB: boolean): void {
  for (let i = 0; i < M; i++) out.set(bias.subarray(0, N), i * N);
  matmul(out, a, b, 1, M, N, K, transA, transB, 0, 0, 0, true);
}

/**
 * The bf16-compute product: a rounded to bfloat16, each product with the widened weight (exact in
 * float32: two 8-bit significands) added to a float32 sum in k order. The native kernel adds the
 * same products in its own order (vdpbf16ps pairs, 16 lanes, a reduction tree).
 */
export function matmulBf16Dot(out: F32, a: F32, w: U16, M: number, N: number, K: number, transB: boolean, accumulate: boolean): void {
  const x = roundToBf16(a.subarray(0, M * K)), y = widenHalf(w.subarray(0, K * N), 'bfloat16'), f = Math.fround;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = f(s + x[i * K + k]! * y[transB ? j * K + k : k * N + j]!);
      out[i * N + j] = accumulate ? out[i * N + j]! + s : s;
    }
  }
}

/** out += fl(scale·p), p = a·bᵀ from the product above: the composition, one element at a time. */
export function matmulScaledAdd(out: F32, a: F32, b: F32, M: number, N: number, K: number, scale: number): void {
  const p = new Float32Array(M * N), f = Math.fround, s = f(scale);
  matmul(p, a, b, 1, M, N, K, false, true, 0, 0, 0, false);
  for (let i = 0; i < M * N; i++) out[i] = f(out[i]! + f(p[i]! * s));
}
