// Products with at most 16 columns, or at most 16 rows: a LoRA adapter's rank-r side (r = 16 in
// the bench's step) — x·Aᵀ, dy·B, dBᵀ = dyᵀ·h (16 columns) and dA = dhᵀ·x (16 rows) — where a
// 512-token sequence meets a 576- to 1,536-wide weight. The packed GEMM ran them through its
// 14×32 tile, half of it zero, after packing all of A: 67–100 GFLOP/s at C's shapes on 2 Zen 4
// cores, where its tile runs wide products at ~210. Here B's 16 columns are packed (kb×16, small)
// and A is read where it lies: rows contiguous along k take an 8×16 tile (8 accumulators, a
// broadcast from each row per k); A stored transposed takes a 28×16 tile (28 broadcasts from one
// run of A per k). A product of at most 16 rows runs as its transpose, Cᵀ = Bᵀ·Aᵀ, each tile's
// sums turned back through a register transpose as they are stored. 177–203 GFLOP/s at the
// step's shapes (1.85–2.9×; 2 threads).
//
// Each output is the packed path's sum, operation for operation: the packed path splits K into
// equal blocks of at most kc and adds each block's FMA chain (from +0, k in order) to C, or, for
// the first block without accumulate, stores the chain (0 + chain at its tiles' edges: the same
// bits, since a chain from +0 is never −0). So the numbers are those of the packed path at any K.
#include <algorithm>

#include "cpu.h"
#include "gemm.h"
#include "pool.h"
#include "scratch.h"
#include "transpose16.h"

namespace ak {

#ifdef AK_X86
namespace {

// Where a tile's sums go: rows [0, m) of C (row stride ldc), n ≤ 16 columns; or, with `trans`,
// the transposed product's tile, so sum (i, j) goes to c[j·ldc + i]. Each is (accumulate ? C : 0)
// + the sum, the packed path's edge-tile formula.
struct Out {
  float* c;
  int64_t ldc, m, n;
  bool accumulate, trans;
};

// Stores rows acc[0, count) of a tile (count ≤ 28, rows past o.m not stored).
AK_TARGET_AVX512 inline void store(const __m512* acc, int count, const Out& o) {
  const __mmask16 keep = static_cast<__mmask16>((1u << o.n) - 1);
  if (!o.trans) {
    for (int64_t i = 0; i < o.m; i++) {
      float* ci = o.c + i * o.ldc;
      const __m512 base = o.accumulate ? _mm512_maskz_loadu_ps(keep, ci) : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(ci, keep, _mm512_add_ps(base, acc[i]));
    }
    return;
  }
  // 16 rows of the tile at a time through a register transpose: vector j then holds column j.
  for (int g = 0; g < count && g < o.m; g += 16) {
    __m512 r[16];
    for (int l = 0; l < 16; l++) r[l] = g + l < count ? acc[g + l] : _mm512_setzero_ps();
    transpose16(r);
    const int64_t lanes = std::min<int64_t>(16, o.m - g);
    const __mmask16 keep_i = static_cast<__mmask16>((1u << lanes) - 1);
    for (int64_t j = 0; j < o.n; j++) {
      float* cj = o.c + j * o.ldc + g;
      const __m512 base = o.accumulate ? _mm512_maskz_loadu_ps(keep_i, cj) : _mm512_setzero_ps();
      _mm512_mask_storeu_ps(cj, keep_i, _mm512_add_ps(base, r[j]));
    }
  }
}

// C[0:m, 0:16 under keep] (+)= A (m×kb, element (i, k) at a[i + k·ldk]: A stored transposed, read
// in place) · bp (kb×16), with a 28×16 tile: 28 accumulators, and per k one load of B's row and
// 28 broadcasts from one run of A. One FMA chain from zero per output.
// Each k's run lies ldk floats after the last (a whole row of the product's other operand: 19 KB
// for Qwen2.5's MLP), which the hardware prefetchers do not follow: the run kAhead steps on is
// asked for in software, its first and last lines and the one between.
constexpr int R = 28;
constexpr int64_t kAhead = 24;
AK_TARGET_AVX512 void tile_cols(int64_t kb, const float* a, int64_t ldk, const float* bp, const Out& o) {
  __m512 acc[R];
#pragma GCC unroll 28
  for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kb; k++) {
    const __m512 b = _mm512_load_ps(bp + k * 16);
    const float* ak = a + k * ldk;
    if (k + kAhead < kb) {
      const char* next = reinterpret_cast<const char*>(ak + kAhead * ldk);
      _mm_prefetch(next, _MM_HINT_T0);
      _mm_prefetch(next + 64, _MM_HINT_T0);
      _mm_prefetch(next + 4 * (R - 1), _MM_HINT_T0);
    }
#pragma GCC unroll 28
    for (int i = 0; i < R; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ak[i]), b, acc[i]);
  }
  store(acc, R, o);
}

// The same for A's rows contiguous along k (row stride lda), 8 rows a tile read in place (rows
// past m repeat the last, computed and not stored). Eight accumulators cover the FMA latency;
// 28 rows' pointers would not fit the general registers, and transposing A into a k-major panel
// instead cost a third of the time (64 shuffles per 16×16 block, each A element used by one FMA).
constexpr int Q = 8;
AK_TARGET_AVX512 void tile_rows(int64_t kb, const float* a, int64_t lda, const float* bp, const Out& o) {
  __m512 acc[Q];
  const float* ar[Q];
  for (int i = 0; i < Q; i++) {
    acc[i] = _mm512_setzero_ps();
    ar[i] = a + std::min<int64_t>(i, o.m - 1) * lda;
  }
  for (int64_t k = 0; k < kb; k++) {
    const __m512 b = _mm512_load_ps(bp + k * 16);
#pragma GCC unroll 8
    for (int i = 0; i < Q; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ar[i][k]), b, acc[i]);
  }
  store(acc, Q, o);
}

// bp (kb×16, zero past n) ← rows [k0, k0+kb) of B's first n ≤ 16 columns (B contiguous along
// either axis).
AK_TARGET_AVX512 void pack_b16(float* bp, gemm::View b, int64_t k0, int64_t kb, int64_t n) {
  const __mmask16 keep = static_cast<__mmask16>((1u << n) - 1);
  if (b.cs == 1) {
    for (int64_t k = 0; k < kb; k++) _mm512_store_ps(bp + k * 16, _mm512_maskz_loadu_ps(keep, b.p + (k0 + k) * b.rs));
    return;
  }
  // Column j of B contiguous along k: 16 columns × 16 k through a register transpose.
  for (int64_t k = 0; k < kb; k += 16) {
    const int64_t kk = std::min<int64_t>(16, kb - k);
    const __mmask16 ks = static_cast<__mmask16>((1u << kk) - 1);
    __m512 r[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; j++) r[j] = j < n ? _mm512_maskz_loadu_ps(ks, b.p + j * b.cs + k0 + k) : _mm512_setzero_ps();
    transpose16(r);
    for (int64_t t = 0; t < kk; t++) _mm512_store_ps(bp + (k + t) * 16, r[t]);
  }
}

// ap (kb×R, k-major, zero past m) ← rows [i0, i0+m) × k [k0, k0+kb) of A stored transposed: the
// last, short tile of 28 rows, which must not read past A.
AK_TARGET_AVX512 void pack_last(float* ap, gemm::View a, int64_t i0, int64_t m, int64_t k0, int64_t kb) {
  const __mmask16 lo = static_cast<__mmask16>(m >= 16 ? 0xffff : (1u << m) - 1);
  const __mmask16 hi = static_cast<__mmask16>(m > 16 ? (1u << (m - 16)) - 1 : 0);
  for (int64_t k = 0; k < kb; k++) {
    const float* src = a.p + i0 + (k0 + k) * a.cs;
    _mm512_storeu_ps(ap + k * R, _mm512_maskz_loadu_ps(lo, src));
    _mm512_mask_storeu_ps(ap + k * R + 16, 0x0fff, _mm512_maskz_loadu_ps(hi, src + 16));
  }
}

// Row tiles [t0, t1) of C (`rows` rows each), every K block in order; with `trans`, of Cᵀ.
void row_tiles(int64_t M, int64_t N, int64_t K, int64_t kc, int64_t rows, gemm::View a, gemm::View b, float* c,
               int64_t ldc, bool accumulate, bool trans, int64_t t0, int64_t t1) {
  thread_local ScratchBuffer t_ap, t_bp;
  float* bp = t_bp.get(static_cast<size_t>(kc * 16));
  for (int64_t k0 = 0; k0 < K; k0 += kc) {
    const int64_t kb = std::min(kc, K - k0);
    pack_b16(bp, b, k0, kb, N);
    for (int64_t t = t0; t < t1; t++) {
      const int64_t i0 = t * rows, m = std::min(rows, M - i0);
      const Out o{trans ? c + i0 : c + i0 * ldc, ldc, m, N, accumulate || k0 > 0, trans};
      if (a.cs == 1) {
        tile_rows(kb, a.p + i0 * a.rs + k0, a.rs, bp, o);
      } else if (m == R) {
        tile_cols(kb, a.p + i0 + k0 * a.cs, a.cs, bp, o);
      } else {
        float* ap = t_ap.get(static_cast<size_t>(kc * R));
        pack_last(ap, a, i0, m, k0, kb);
        tile_cols(kb, ap, R, bp, o);
      }
    }
  }
}

}  // namespace
#endif

#ifdef AK_X86
bool sgemm_few_cols(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc,
                    bool accumulate, bool threads) {
  if (M <= 0 || N <= 0 || K <= 0 || std::min(M, N) > 16 || (a.cs != 1 && a.rs != 1) || (b.cs != 1 && b.rs != 1) ||
      isa() != Isa::avx512)
    return false;
  // At most 16 rows and more columns: the transposed product Cᵀ = Bᵀ·Aᵀ has at most 16 columns.
  const bool trans = N > 16;
  if (trans) {
    std::swap(M, N);
    const gemm::View at{b.p, b.cs, b.rs}, bt{a.p, a.cs, a.rs};
    a = at, b = bt;
  }
  const int64_t kc = gemm::block_kc(K);  // the packed path's K blocks
  const int64_t rows = a.cs == 1 ? Q : R, tiles = (M + rows - 1) / rows;
  auto run = [&](int64_t lo, int64_t hi) { row_tiles(M, N, K, kc, rows, a, b, c, ldc, accumulate, trans, lo, hi); };
  if (threads && double(M) * N * K >= (1 << 18)) parallel_range(tiles, 1, run);
  else run(0, tiles);
  return true;
}
#else
bool sgemm_few_cols(int64_t, int64_t, int64_t, gemm::View, gemm::View, float*, int64_t, bool, bool) { return false; }
#endif

}  // namespace ak
