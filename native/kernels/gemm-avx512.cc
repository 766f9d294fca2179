// AVX-512 GEMM micro-kernel: an MR×32 tile of C lives in 2·MR zmm registers while each step of k
// loads one 32-wide row of the packed B panel and broadcasts MR values of the packed A panel
// (BLIS's "broadcast A, load B" scheme for row-major C, as in its skx kernel transposed).
// 14×32 keeps 28 accumulators + 2 B rows + 1 broadcast in the 32 registers: 28 FMAs for 16
// loads per k, enough independent FMAs to cover 2 FMA pipes × 4 cycles of latency.
#include "cpu.h"
#include "gemm.h"

#ifdef AK_X86
#include <immintrin.h>

namespace ak {
namespace gemm {
namespace {

constexpr int MR = 14, NR = 32;

AK_TARGET_AVX512 void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(ci));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, acc[i][0]);
    _mm512_storeu_ps(ci + 16, acc[i][1]);
  }
}

}  // namespace

// Blocks measured on a 2-core Zen 4 (32 KiB L1d, 1 MiB L2 per core) at n = 1024: kc = 512 beat
// 256 by ~7% (half the C-tile reloads), and mc = 336 rows (a 672 KiB A block, in L2) beat 112 to
// 168 by ~3% with 2 threads; nc is past any N used here, so B is packed once per kc step.
const Config& config_avx512() {
  static const Config c{MR, NR, 14 * 24, 512, 4096, kernel};
  return c;
}

}  // namespace gemm
}  // namespace ak
#endif
