// Strided copies, the one kernel behind transpose/permute, slice and concat, forward and back.
#include "cpu.h"
#include "kernels.h"
#include "pool.h"
#include "walk.h"

namespace ak {
namespace {

// dst[j·sd] (+)= src[j·ss]; unit strides get their own loop so that they vectorise.
static AK_INLINE void copy_row(float* dst, int64_t sd, const float* src, int64_t ss, int64_t n, bool acc) {
  if (sd == 1 && ss == 1) {
    if (acc) for (int64_t j = 0; j < n; j++) dst[j] += src[j];
    else for (int64_t j = 0; j < n; j++) dst[j] = src[j];
  } else if (acc) {
    for (int64_t j = 0; j < n; j++) dst[j * sd] += src[j * ss];
  } else {
    for (int64_t j = 0; j < n; j++) dst[j * sd] = src[j * ss];
  }
}

// Operand 0 is the destination, operand 1 the source.
static AK_INLINE void copy_rows_body(const Walk* w, int64_t r0, int64_t r1, float* dst, const float* src, bool acc) {
  const int64_t sd = w->stride(0), ss = w->stride(1), n = w->n();
  w->each(r0, r1, [&](int64_t od, int64_t os, int64_t) AK_INLINE_LAMBDA { copy_row(dst + od, sd, src + os, ss, n, acc); });
}

AK_MULTIVERSION(void, copy_rows, copy_rows_body,
                (const Walk* w, int64_t r0, int64_t r1, float* dst, const float* src, bool acc),
                (w, r0, r1, dst, src, acc))

}  // namespace

void strided_copy(float* out, const float* inp, int64_t inp_offset, const Dims& inp_strides, const Dims& shape,
                  bool accumulate) {
  const Dims cs = contiguous(shape);
  const Walk w(shape, &cs, &inp_strides);
  // The destination is contiguous, so rows are disjoint and can go to different threads.
  parallel_range(w.rows(), 1 + (1 << 14) / (w.n() ? w.n() : 1),
                 [&](int64_t lo, int64_t hi) { copy_rows(&w, lo, hi, out, inp + inp_offset, accumulate); });
}

// Serial when the strided destination may alias itself (stride 0, overlapping axes), where order
// decides the result; split across threads when it cannot (the backward of a head split).
void strided_scatter(float* out, int64_t out_offset, const Dims& out_strides, const float* inp, const Dims& shape,
                     bool accumulate) {
  const Dims cs = contiguous(shape);
  const Walk w(shape, &out_strides, &cs);
  if (!w.injective(0)) {
    copy_rows(&w, 0, w.rows(), out + out_offset, inp, accumulate);
    return;
  }
  parallel_range(w.rows(), 1 + (1 << 14) / (w.n() ? w.n() : 1),
                 [&](int64_t lo, int64_t hi) { copy_rows(&w, lo, hi, out + out_offset, inp, accumulate); });
}

}  // namespace ak
