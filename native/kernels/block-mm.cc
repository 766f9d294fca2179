// block_mm (block-mm.h): a "broadcast A, load B" register tile like the GEMM micro-kernels, but
// reading A and B where they lie. The tile is R rows × M vectors of GCC vector type, one source
// compiled per instruction set: 16 accumulators of 16 lanes on AVX-512 (of 32 registers), 12 of
// 8 lanes on AVX2 and 12 of 4 lanes on baseline x86-64 (of 16), 24 of 4 on arm64 (of 32 NEON).
#include "block-mm.h"

#include <algorithm>

#include "cpu.h"

namespace ak {
namespace {

template <int VW>
struct Vec {
  typedef float type __attribute__((vector_size(VW * sizeof(float))));
};

struct Product {
  int64_t rows, n, K;
  const float* a;
  int64_t ars, acs;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  bool accumulate;
  Band band;
  int64_t delta;
};

// Rows [r0, r0 + R) × columns [j0, j0 + M·VW) over k in [k0, k1); stores the first w columns.
template <int VW, int R, int M>
static AK_INLINE void tile(const Product& x, int64_t r0, int64_t j0, int64_t k0, int64_t k1, int64_t w) {
  using V = typename Vec<VW>::type;
  V t[R][M];
  for (int r = 0; r < R; r++)
    for (int m = 0; m < M; m++) t[r][m] = V{};
  const float* a = x.a + r0 * x.ars;
  for (int64_t k = k0; k < k1; k++) {
    const float* bk = x.b + k * x.ldb + j0;
    V bv[M];
    for (int m = 0; m < M; m++) __builtin_memcpy(&bv[m], bk + m * VW, sizeof(V));
    for (int r = 0; r < R; r++) {
      const float s = a[r * x.ars + k * x.acs];
      for (int m = 0; m < M; m++) t[r][m] += s * bv[m];
    }
  }
  if (w == M * VW) {  // whole vectors: straight to C
    for (int r = 0; r < R; r++) {
      float* cr = x.c + (r0 + r) * x.ldc + j0;
      for (int m = 0; m < M; m++) {
        V cv = t[r][m];
        if (x.accumulate) {
          V old;
          __builtin_memcpy(&old, cr + m * VW, sizeof(V));
          cv += old;
        }
        __builtin_memcpy(cr + m * VW, &cv, sizeof(V));
      }
    }
    return;
  }
  alignas(64) float out[R][M * VW];
  for (int r = 0; r < R; r++)
    for (int m = 0; m < M; m++) reinterpret_cast<V*>(out[r])[m] = t[r][m];
  for (int r = 0; r < R; r++) {
    float* cr = x.c + (r0 + r) * x.ldc + j0;
    if (x.accumulate)
      for (int64_t j = 0; j < w; j++) cr[j] += out[r][j];
    else
      for (int64_t j = 0; j < w; j++) cr[j] = out[r][j];
  }
}

// The narrower tile for a last column chunk of nv < M vectors.
template <int VW, int R, int M>
static AK_INLINE void chunk(const Product& x, int64_t r0, int64_t j0, int64_t k0, int64_t k1, int64_t w, int64_t nv) {
  if constexpr (M >= 4)
    if (nv == 4) return tile<VW, R, 4>(x, r0, j0, k0, k1, w);
  if constexpr (M >= 3)
    if (nv == 3) return tile<VW, R, 3>(x, r0, j0, k0, k1, w);
  if constexpr (M >= 2)
    if (nv == 2) return tile<VW, R, 2>(x, r0, j0, k0, k1, w);
  tile<VW, R, 1>(x, r0, j0, k0, k1, w);
}

template <int VW, int R, int M>
static AK_INLINE void sweep(const Product& x) {
  for (int64_t r0 = 0; r0 < x.rows; r0 += R) {
    const int64_t rr = std::min<int64_t>(R, x.rows - r0), last = r0 + rr - 1;
    int64_t k0 = 0, k1 = x.K, jstart = 0;
    if (x.band == Band::cols_from_row) jstart = std::clamp<int64_t>(r0 - x.delta, 0, x.n) / VW * VW;
    if (x.band == Band::k_to_row) k1 = std::clamp<int64_t>(last + x.delta + 1, 0, x.K);
    if (x.band == Band::k_from_row) k0 = std::clamp<int64_t>(r0 - x.delta, 0, x.K);
    for (int64_t j0 = jstart; j0 < x.n; j0 += M * VW) {
      const int64_t nv = (std::min<int64_t>(M * VW, x.n - j0) + VW - 1) / VW;
      const int64_t w = std::min<int64_t>(nv * VW, x.n - j0);
      if (rr == R) chunk<VW, R, M>(x, r0, j0, k0, k1, w, nv);
      else
        for (int64_t r = r0; r <= last; r++) chunk<VW, 1, M>(x, r, j0, k0, k1, w, nv);
    }
  }
}

// ACC accumulator vectors: R = ACC / M rows for row chunks of M vectors.
template <int VW, int ACC>
static AK_INLINE void product(const Product& x) {
  const int64_t nv = (x.n + VW - 1) / VW;
  if (nv >= 4) sweep<VW, ACC / 4, 4>(x);
  else if (nv == 3) sweep<VW, ACC / 3, 3>(x);
  else if (nv == 2) sweep<VW, ACC / 2, 2>(x);
  else sweep<VW, ACC, 1>(x);
}

#ifdef AK_X86
AK_TARGET_AVX512 void product_avx512(const Product& x) { product<16, 16>(x); }
AK_TARGET_AVX2 void product_avx2(const Product& x) { product<8, 12>(x); }
#endif
#if defined(__aarch64__)
void product_generic(const Product& x) { product<4, 24>(x); }
#else
void product_generic(const Product& x) { product<4, 12>(x); }
#endif

}  // namespace

void block_mm(int64_t rows, int64_t n, int64_t K, const float* a, int64_t ars, int64_t acs, const float* b,
              int64_t ldb, float* c, int64_t ldc, bool accumulate, Band band, int64_t delta) {
  if (rows <= 0 || n <= 0) return;
  const Product x{rows, n, K, a, ars, acs, b, ldb, c, ldc, accumulate, band, delta};
  switch (isa()) {
#ifdef AK_X86
    case Isa::avx512: return product_avx512(x);
    case Isa::avx2: return product_avx2(x);
#endif
    default: return product_generic(x);
  }
}

}  // namespace ak
