// Reference matmul: row-major, i-k-j order so the inner loop streams a row of B and a row of C.
// A transposed A is read column-wise into a scratch row; a transposed B turns the inner loop into
// dot products of two contiguous rows. Plain and correct first; native/ holds the fast one.
import type { F32 } from '../kernels.js';

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
