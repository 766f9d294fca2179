// int8 weight-only products for decoding (issue 20 point 2): W (N, K) stored out-in as int8 codes
// q with one float32 scale per output row, W[n][k] = q[n][k]·scale[n] rounded to float32. The
// product is that of the float32 kernels on the dequantised W: thin products (M ≤ 4, a decode
// step) dequantise in registers inside row_dot's own `omp simd` loop (1 byte an element read, no
// scratch), on AVX-512 where that loop vectorises as row_dot does (test/conformance/int8.test.ts
// holds the bits); every other product dequantises W into scratch and runs sgemm.
#include <algorithm>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "scratch.h"

namespace ak {
namespace {

static AK_INLINE float row_dot_i8(const float* x, const int8_t* q, float scale, int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i] * (float(q[i]) * scale);
  return s;
}

static AK_INLINE void i8_dots_body(int64_t M, int64_t K, const float* a, const int8_t* q, const float* scales, float* c,
                                   int64_t ldc, bool accumulate, int64_t j0, int64_t j1) {
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = j0; j < j1; j++) {
      const float s = row_dot_i8(a + i * K, q + j * K, scales[j], K);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
    }
}

AK_MULTIVERSION(void, i8_dots, i8_dots_body,
                (int64_t M, int64_t K, const float* a, const int8_t* q, const float* scales, float* c, int64_t ldc,
                 bool accumulate, int64_t j0, int64_t j1),
                (M, K, a, q, scales, c, ldc, accumulate, j0, j1))

static AK_INLINE void dequantise_body(float* w, const int8_t* q, const float* scales, int64_t K, int64_t j0, int64_t j1) {
  for (int64_t j = j0; j < j1; j++) {
    const float s = scales[j];
    for (int64_t k = 0; k < K; k++) w[j * K + k] = float(q[j * K + k]) * s;
  }
}

AK_MULTIVERSION(void, dequantise, dequantise_body,
                (float* w, const int8_t* q, const float* scales, int64_t K, int64_t j0, int64_t j1),
                (w, q, scales, K, j0, j1))

thread_local ScratchBuffer t_dequantised;

}  // namespace

void matmul_int8(float* out, const float* a, const int8_t* q, const float* scales, int64_t M, int64_t N, int64_t K,
                 bool accumulate) {
  if (M <= 4 && K > 0 && isa() == Isa::avx512) {
    auto dots = [&](int64_t lo, int64_t hi) { i8_dots(M, K, a, q, scales, out, N, accumulate, lo, hi); };
    if (double(M) * N * K >= (1 << 18)) parallel_range(N, 64, dots);
    else dots(0, N);
    return;
  }
  float* w = t_dequantised.get(static_cast<size_t>(N * K));
  parallel_range(N, 64, [&](int64_t lo, int64_t hi) { dequantise(w, q, scales, K, lo, hi); });
  sgemm(M, N, K, gemm::View{a, K, 1}, gemm::View{w, 1, K}, out, N, accumulate, true);
}

}  // namespace ak
