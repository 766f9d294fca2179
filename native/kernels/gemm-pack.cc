// Packing for the GEMM (gemm.h). Packed panels make the micro-kernel's loads unit-stride and
// aligned whatever the operand's layout, and are where transposes are absorbed: a row-contiguous
// source is copied as is, a column-contiguous one is gathered through a small in-cache transpose.
#include <algorithm>
#include <cstring>

#include "cpu.h"
#include "gemm.h"
#include "transpose16.h"

#ifdef AK_X86
#include <immintrin.h>
#endif

namespace ak {
namespace gemm {
namespace {

// One panel of W lanes: dst[t·W + l] = src(l, t) for l < w_used, t < len; zero for l ≥ w_used.
// `lane` is the stride between lanes in the source, `step` the stride along t. Lanes that are
// contiguous (lane 1) never come here: pack_a and pack_b walk such sources by rows. W is a
// constant (the register tile's MR or NR), so that each destination row is written whole; the W
// source lines stay in L1 across consecutive t, and the destination is written front to back.
template <int W>
static AK_INLINE void panel_fixed(float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used,
                                  int64_t len) {
  if (w_used == W) {
    for (int64_t t = 0; t < len; t++)
      for (int l = 0; l < W; l++) dst[t * W + l] = src[l * lane + t * step];
    return;
  }
  for (int64_t t = 0; t < len; t++)
    for (int l = 0; l < W; l++) dst[t * W + l] = l < w_used ? src[l * lane + t * step] : 0.f;
}

// Any other width (none of the built-in tiles).
static AK_INLINE void panel_any(float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used, int64_t len,
                                int w) {
  for (int64_t t = 0; t < len; t++)
    for (int64_t l = 0; l < w; l++) dst[t * w + l] = l < w_used ? src[l * lane + t * step] : 0.f;
}

static AK_INLINE void panel_body(float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used,
                                 int64_t len, int w) {
  switch (w) {
    case 4: return panel_fixed<4>(dst, src, lane, step, w_used, len);
    case 6: return panel_fixed<6>(dst, src, lane, step, w_used, len);
    case 8: return panel_fixed<8>(dst, src, lane, step, w_used, len);
    case 14: return panel_fixed<14>(dst, src, lane, step, w_used, len);
    case 16: return panel_fixed<16>(dst, src, lane, step, w_used, len);
    case 32: return panel_fixed<32>(dst, src, lane, step, w_used, len);
    default: return panel_any(dst, src, lane, step, w_used, len, w);
  }
}

// k rows of n contiguous values (stride rs) into ⌈n/NR⌉ panels of k×NR, for B's rows or a
// transposed A's columns. The source is read in blocks of 16 rows, front to back (the
// prefetchers' pattern; decoding streams each weight matrix from memory once per token this
// way), and each block is written panel by panel: the panels lie a multiple of 4 KiB apart, so
// writing one row into every panel in turn would map all of them to the same L1 sets.
template <int NR>
static AK_INLINE void rows_fixed(float* dst, const float* src, int64_t rs, int64_t k, int64_t n) {
  for (int64_t t0 = 0; t0 < k; t0 += 16) {
    const int64_t t1 = std::min<int64_t>(k, t0 + 16);
    float* d = dst;
    int64_t j = 0;
    for (; j + NR <= n; j += NR, d += NR * k)
      for (int64_t t = t0; t < t1; t++) std::memcpy(d + t * NR, src + t * rs + j, sizeof(float) * NR);
    if (j < n)
      for (int64_t t = t0; t < t1; t++)
        for (int64_t l = 0; l < NR; l++) d[t * NR + l] = j + l < n ? src[t * rs + j + l] : 0.f;
  }
}

static AK_INLINE void rows_body(float* dst, const float* src, int64_t rs, int64_t k, int64_t n, int nr) {
  switch (nr) {
    case 4: return rows_fixed<4>(dst, src, rs, k, n);
    case 6: return rows_fixed<6>(dst, src, rs, k, n);
    case 8: return rows_fixed<8>(dst, src, rs, k, n);
    case 14: return rows_fixed<14>(dst, src, rs, k, n);
    case 16: return rows_fixed<16>(dst, src, rs, k, n);
    case 32: return rows_fixed<32>(dst, src, rs, k, n);
    default:
      for (int64_t t = 0; t < k; t++)
        for (int64_t j = 0; j < n; j += nr)
          for (int64_t l = 0; l < nr; l++) dst[(j / nr) * nr * k + t * nr + l] = j + l < n ? src[t * rs + j + l] : 0.f;
  }
}

AK_MULTIVERSION(void, rows, rows_body, (float* dst, const float* src, int64_t rs, int64_t k, int64_t n, int nr),
                (dst, src, rs, k, n, nr))
AK_MULTIVERSION(void, panel, panel_body,
                (float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used, int64_t len, int w),
                (dst, src, lane, step, w_used, len, w))

#ifdef AK_X86
// GCC 12 flags the undefined pass-through operand inside its own unpack and shuffle intrinsics.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The gather of panel_fixed for lanes contiguous along t (step 1: a row-major A, a transposed
// B), 16 values of t at a time: 16 lanes are loaded as rows, transposed in registers and written
// as 16 destination rows, instead of one scalar load and store per element. Returns how many t
// it did (a multiple of 16); the caller finishes the rest.
AK_TARGET_AVX512 static int64_t gather_avx512(float* dst, const float* src, int64_t lane, int64_t w_used, int64_t len,
                                               int w) {
  const int64_t done = len / 16 * 16;
  for (int g = 0; g < w; g += 16) {
    const int cols = std::min(16, w - g);
    const __mmask16 keep = static_cast<__mmask16>((1u << cols) - 1);
    for (int64_t t0 = 0; t0 < done; t0 += 16) {
      __m512 r[16];
      for (int l = 0; l < 16; l++)
        r[l] = g + l < w_used ? _mm512_loadu_ps(src + (g + l) * lane + t0) : _mm512_setzero_ps();
      transpose16(r);
      for (int j = 0; j < 16; j++) _mm512_mask_storeu_ps(dst + (t0 + j) * w + g, keep, r[j]);
    }
  }
  return done;
}
#pragma GCC diagnostic pop
#endif

}  // namespace

// panel() with the AVX-512 gather where it applies.
void pack_panel(float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used, int64_t len, int w) {
#ifdef AK_X86
  if (lane != 1 && step == 1 && len >= 16 && isa() == Isa::avx512) {
    const int64_t done = gather_avx512(dst, src, lane, w_used, len, w);
    dst += done * w;
    src += done;
    len -= done;
  }
#endif
  if (len > 0) panel(dst, src, lane, step, w_used, len, w);
}

void pack_a(float* dst, View a, int64_t i0, int64_t m, int64_t k0, int64_t k, int mr) {
  if (a.rs == 1) {  // A's columns contiguous (a transposed operand, Xᵀ): the same row walk as B's
    rows(dst, a.p + i0 + k0 * a.cs, a.cs, k, m, mr);
    return;
  }
  for (int64_t i = 0; i < m; i += mr, dst += mr * k)
    pack_panel(dst, a.p + (i0 + i) * a.rs + k0 * a.cs, a.rs, a.cs, std::min<int64_t>(mr, m - i), k, mr);
}

void pack_b(float* dst, View b, int64_t k0, int64_t k, int64_t j0, int64_t n, int nr) {
  if (b.cs == 1) {
    rows(dst, b.p + k0 * b.rs + j0, b.rs, k, n, nr);
    return;
  }
  for (int64_t j = 0; j < n; j += nr, dst += nr * k)
    pack_panel(dst, b.p + k0 * b.rs + (j0 + j) * b.cs, b.cs, b.rs, std::min<int64_t>(nr, n - j), k, nr);
}

}  // namespace gemm
}  // namespace ak
