// Products of 5 to 13 rows over a short K: a decoding step's attention, where the g query heads
// that share a key head (7 for Qwen2.5-0.5B) meet that head's keys, Q·Kᵀ, then its values, P·V,
// 64 heads a call at batch 32. The packed GEMM took them through its 14×32 tile, half of it
// padding, after packing the whole of K or V: 3.3 µs a head at 128 keys on one thread, several
// times the FMAs they need. Here an M×64 (M ≤ 7) or M×32 tile of C stays in registers while B's
// rows stream past it: V's rows as they lie, and Kᵀ's through 16×16 transposes in registers
// into a panel of as many keys as the tile is wide, which stays in L1.
//
// Each output is the packed path's sum, operation for operation: one FMA chain over k from zero,
// then (accumulate ? C : 0) + the chain. K ≤ the packed path's kc, so that path too has one K
// block; with more, or without AVX-512, this path declines and the packed one runs.
#include <algorithm>

#include "cpu.h"
#include "gemm.h"
#include "pool.h"
#include "scratch.h"
#include "transpose16.h"

namespace ak {

#ifdef AK_X86
namespace {

// C[0:M, 0:n] (+)= A (M×K, row stride lda) · B (K×n, row stride ldb, contiguous along n), n ≤ 16·V.
template <int M, int V>
AK_TARGET_AVX512 void tile(int64_t K, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                           bool accumulate, int64_t n) {
  __m512 acc[M][V];
  __mmask16 keep[V];
  for (int v = 0; v < V; v++) {
    const int64_t left = std::clamp<int64_t>(n - 16 * v, 0, 16);
    keep[v] = static_cast<__mmask16>((1u << left) - 1);
  }
#pragma GCC unroll 13
  for (int i = 0; i < M; i++)
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) acc[i][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; k++) {
    __m512 bk[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) bk[v] = _mm512_maskz_loadu_ps(keep[v], b + k * ldb + 16 * v);
#pragma GCC unroll 13
    for (int i = 0; i < M; i++) {
      const __m512 ai = _mm512_set1_ps(a[i * lda + k]);
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) acc[i][v] = _mm512_fmadd_ps(ai, bk[v], acc[i][v]);
    }
  }
#pragma GCC unroll 13
  for (int i = 0; i < M; i++)
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) {
      float* ci = c + i * ldc + 16 * v;
      const __m512 base = accumulate ? _mm512_maskz_loadu_ps(keep[v], ci) : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(ci, keep[v], _mm512_add_ps(base, acc[i][v]));
    }
}

// panel (K×W) ← columns [0, n) of B (K×n) whose columns are contiguous (column j at bt + j·ldbt),
// zero past n: B's rows for `tile`, 16 columns × 16 k at a time through registers.
template <int W>
AK_TARGET_AVX512 void transpose_panel(float* panel, const float* bt, int64_t ldbt, int64_t K, int64_t n) {
  for (int64_t g = 0; g < W; g += 16)
    for (int64_t k0 = 0; k0 < K; k0 += 16) {
      const int64_t kk = std::min<int64_t>(16, K - k0);
      const __mmask16 ks = static_cast<__mmask16>((1u << kk) - 1);
      __m512 r[16];
#pragma GCC unroll 16
      for (int l = 0; l < 16; l++)
        r[l] = g + l < n ? _mm512_maskz_loadu_ps(ks, bt + (g + l) * ldbt + k0) : _mm512_setzero_ps();
      transpose16(r);
      for (int64_t j = 0; j < kk; j++) _mm512_storeu_ps(panel + (k0 + j) * W + g, r[j]);
    }
}
// Columns [j0, j1) of C with the M×(16·V) tile.
template <int M, int V>
void columns(int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc, bool accumulate, int64_t j0, int64_t j1) {
  constexpr int W = 16 * V;
  if (b.cs == 1) {
    for (int64_t j = j0; j < j1; j += W)
      tile<M, V>(K, a.p, a.rs, b.p + j, b.rs, c + j, ldc, accumulate, std::min<int64_t>(W, j1 - j));
    return;
  }
  thread_local ScratchBuffer t_panel;
  float* panel = t_panel.get(static_cast<size_t>(K * W));
  for (int64_t j = j0; j < j1; j += W) {
    const int64_t n = std::min<int64_t>(W, j1 - j);
    transpose_panel<W>(panel, b.p + j * b.cs, b.cs, K, n);
    tile<M, V>(K, a.p, a.rs, panel, W, c + j, ldc, accumulate, n);
  }
}

using Columns = void (*)(int64_t, gemm::View, gemm::View, float*, int64_t, bool, int64_t, int64_t);

// By M: 64 columns (4 vectors) up to 7 rows, 28 accumulators; 32 columns (2 vectors) up to 13.
Columns pick(int64_t M) {
  static const Columns by_m[14] = {nullptr, nullptr, nullptr, nullptr, nullptr, columns<5, 4>, columns<6, 4>,
                                   columns<7, 4>, columns<8, 2>, columns<9, 2>, columns<10, 2>, columns<11, 2>,
                                   columns<12, 2>, columns<13, 2>};
  return by_m[M];
}

}  // namespace
#endif

#ifdef AK_X86
bool sgemm_few_rows(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc,
                    bool accumulate, bool threads) {
  if (M < 5 || M > 13 || N <= 0 || K <= 0 || a.cs != 1 || (b.cs != 1 && b.rs != 1) || isa() != Isa::avx512) return false;
  if (K > gemm::config().kc) return false;
  const Columns f = pick(M);
  if (threads && double(M) * N * K >= (1 << 18)) {
    parallel_range(N, 64, [&](int64_t lo, int64_t hi) { f(K, a, b, c, ldc, accumulate, lo, hi); });
  } else {
    f(K, a, b, c, ldc, accumulate, 0, N);
  }
  return true;
}
#else
bool sgemm_few_rows(int64_t, int64_t, int64_t, gemm::View, gemm::View, float*, int64_t, bool, bool) { return false; }
#endif

}  // namespace ak
