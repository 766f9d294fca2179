// out += scale·(a·bᵀ) for a short K: a LoRA update (h = x·Aᵀ, r columns) added onto the base
// projection's output, out += scale·h·Bᵀ. Composed, it was a product into an (M, N) buffer, a pass
// multiplying it by scale and a pass adding it to out: five passes over an (M, N) array (26 MB a
// layer at Qwen2.5-0.5B's shapes and 512 tokens) for a product of r = 16 multiply-adds an output.
// Here an 8×32 tile of the product stays in registers and goes straight onto out.
//
// The numbers are the composition's: each product is the GEMM's FMA chain over k from +0 (one K
// block: K ≤ 64 here), then fl(scale·p), then fl(out + that) — two roundings, so this file is
// compiled without contraction. Where the composition's product would take another path (4 rows
// or columns or fewer: the thin path's sums) or without AVX-512, it runs the composition itself.
#include <algorithm>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "scratch.h"

#ifdef AK_X86
#include <immintrin.h>
#endif

#pragma GCC optimize("fp-contract=off")

namespace ak {
namespace {

constexpr int64_t kMaxK = 64;

void composed(float* out, const float* a, const float* b, int64_t M, int64_t N, int64_t K, float scale) {
  std::vector<float> p(static_cast<size_t>(M * N));
  sgemm(M, N, K, gemm::View{a, K, 1}, gemm::View{b, 1, K}, p.data(), N, false, true);
  parallel_range(M * N, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      const float t = p[i] * scale;
      out[i] = out[i] + t;
    }
  });
}

#ifdef AK_X86
// Rows [0, m) of out (row stride N), columns [j, j + n), n ≤ 32: the 8×32 tile of a's rows (rows
// past m repeat the last) times bt (K×N, bᵀ), then scaled and added.
AK_TARGET_AVX512 void tile(float* out, const float* a, const float* bt, int64_t m, int64_t N, int64_t K, int64_t j, int64_t n,
                           float scale) {
  __m512 acc[8][2];
  const float* ar[8];
  for (int i = 0; i < 8; i++) {
    acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    ar[i] = a + std::min<int64_t>(i, m - 1) * K;
  }
  const __mmask16 k0 = static_cast<__mmask16>(n >= 16 ? 0xffff : (1u << n) - 1);
  const __mmask16 k1 = static_cast<__mmask16>(n >= 32 ? 0xffff : n > 16 ? (1u << (n - 16)) - 1 : 0);
  for (int64_t k = 0; k < K; k++) {
    const __m512 b0 = _mm512_maskz_loadu_ps(k0, bt + k * N + j), b1 = _mm512_maskz_loadu_ps(k1, bt + k * N + j + 16);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
      const __m512 x = _mm512_set1_ps(ar[i][k]);
      acc[i][0] = _mm512_fmadd_ps(x, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(x, b1, acc[i][1]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
  for (int64_t i = 0; i < m; i++) {
    float* o = out + i * N + j;
    _mm512_mask_storeu_ps(o, k0, _mm512_add_ps(_mm512_maskz_loadu_ps(k0, o), _mm512_mul_ps(acc[i][0], s)));
    _mm512_mask_storeu_ps(o + 16, k1, _mm512_add_ps(_mm512_maskz_loadu_ps(k1, o + 16), _mm512_mul_ps(acc[i][1], s)));
  }
}
#endif

}  // namespace

void matmul_scaled_add(float* out, const float* a, const float* b, int64_t M, int64_t N, int64_t K, float scale) {
  if (M <= 0 || N <= 0) return;
#ifdef AK_X86
  if (M >= 5 && N >= 5 && K >= 1 && K <= kMaxK && isa() == Isa::avx512) {
    thread_local ScratchBuffer t_bt;
    float* bt = t_bt.get(static_cast<size_t>(K * N));
    for (int64_t k = 0; k < K; k++)
      for (int64_t j = 0; j < N; j++) bt[k * N + j] = b[j * K + k];
    parallel_range((M + 7) / 8, 2, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; t++) {
        const int64_t i0 = t * 8, m = std::min<int64_t>(8, M - i0);
        for (int64_t j = 0; j < N; j += 32) tile(out + i0 * N, a + i0 * K, bt, m, N, K, j, std::min<int64_t>(32, N - j), scale);
      }
    });
    return;
  }
#endif
  composed(out, a, b, M, N, K, scale);
}

}  // namespace ak
