// AVX2+FMA GEMM micro-kernel: the 6×16 tile of BLIS's Haswell sgemm kernel (12 ymm accumulators,
// 2 B rows, 1 broadcast of the 16 registers), "broadcast A, load B" for row-major C.
#include "cpu.h"
#include "gemm.h"

#ifdef AK_X86
#include <immintrin.h>

namespace ak {
namespace gemm {
namespace {

constexpr int MR = 6, NR = 16;

AK_TARGET_AVX2 void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(ci));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, acc[i][0]);
    _mm256_storeu_ps(ci + 8, acc[i][1]);
  }
}

}  // namespace

const Config& config_avx2() {
  static const Config c{MR, NR, 6 * 24, 256, 4096, kernel};
  return c;
}

}  // namespace gemm
}  // namespace ak
#endif
