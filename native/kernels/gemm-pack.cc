// Packing for the GEMM (gemm.h). Packed panels make the micro-kernel's loads unit-stride and
// aligned whatever the operand's layout, and are where transposes are absorbed: a row-contiguous
// source is copied as is, a column-contiguous one is gathered through a small in-cache transpose.
#include <algorithm>
#include <cstring>

#include "cpu.h"
#include "gemm.h"

namespace ak {
namespace gemm {
namespace {

// One panel of `w` lanes: dst[t·w + l] = src(l, t) for l < w_used, t < len; zero for l ≥ w_used.
// `lane` is the stride between lanes in the source, `step` the stride along t.
static AK_INLINE void panel_body(float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used,
                                 int64_t len, int w) {
  if (lane == 1 && w_used == w) {
    for (int64_t t = 0; t < len; t++) std::memcpy(dst + t * w, src + t * step, sizeof(float) * w);
    return;
  }
  if (lane == 1) {
    for (int64_t t = 0; t < len; t++) {
      for (int64_t l = 0; l < w_used; l++) dst[t * w + l] = src[t * step + l];
      for (int64_t l = w_used; l < w; l++) dst[t * w + l] = 0.f;
    }
    return;
  }
  // Gather: walk each source lane along its contiguous (or strided) direction, in blocks of t
  // short enough that the w destination lines being written stay in L1.
  for (int64_t t0 = 0; t0 < len; t0 += 64) {
    int64_t t1 = std::min(len, t0 + 64);
    for (int64_t l = 0; l < w_used; l++) {
      const float* s = src + l * lane;
      for (int64_t t = t0; t < t1; t++) dst[t * w + l] = s[t * step];
    }
    for (int64_t l = w_used; l < w; l++)
      for (int64_t t = t0; t < t1; t++) dst[t * w + l] = 0.f;
  }
}

AK_MULTIVERSION(void, panel, panel_body,
                (float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used, int64_t len, int w),
                (dst, src, lane, step, w_used, len, w))

}  // namespace

void pack_a(float* dst, View a, int64_t i0, int64_t m, int64_t k0, int64_t k, int mr) {
  for (int64_t i = 0; i < m; i += mr, dst += mr * k)
    panel(dst, a.p + (i0 + i) * a.rs + k0 * a.cs, a.rs, a.cs, std::min<int64_t>(mr, m - i), k, mr);
}

void pack_b(float* dst, View b, int64_t k0, int64_t k, int64_t j0, int64_t n, int nr) {
  if (b.cs == 1) {
    // Rows of B contiguous: walk B row by row, so that it is read front to back in long runs
    // (the prefetchers' pattern) rather than as nr-wide strips a row apart; every row feeds
    // all the panels. Decoding streams each weight matrix from memory once per token, and this
    // order is what keeps that stream at memory speed.
    for (int64_t t = 0; t < k; t++) {
      const float* src = b.p + (k0 + t) * b.rs + j0;
      float* d = dst + t * nr;
      for (int64_t j = 0; j < n; j += nr, d += nr * k) {
        const int64_t w = std::min<int64_t>(nr, n - j);
        std::memcpy(d, src + j, sizeof(float) * w);
        if (w < nr) std::memset(d + w, 0, sizeof(float) * (nr - w));
      }
    }
    return;
  }
  for (int64_t j = 0; j < n; j += nr, dst += nr * k)
    panel(dst, b.p + k0 * b.rs + (j0 + j) * b.cs, b.cs, b.rs, std::min<int64_t>(nr, n - j), k, nr);
}

}  // namespace gemm
}  // namespace ak
