// Reductions over the middle axis of an (outer, R, inner) view, and row-wise softmaxes.
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"

namespace ak {
namespace {

// Sums of rows (inner == 1) are dot-product shaped; otherwise whole rows of `inner` are added,
// which vectorises along inner.
static AK_INLINE void sum_fwd_body(float* out, const float* inp, int64_t o0, int64_t o1, int64_t R, int64_t inner) {
  for (int64_t o = o0; o < o1; o++) {
    if (inner == 1) { out[o] = row_sum(inp + o * R, R); continue; }
    float* dst = out + o * inner;
    for (int64_t i = 0; i < inner; i++) dst[i] = 0.f;
    for (int64_t r = 0; r < R; r++) {
      const float* src = inp + (o * R + r) * inner;
      for (int64_t i = 0; i < inner; i++) dst[i] += src[i];
    }
  }
}

static AK_INLINE void sum_bwd_body(float* dinp, const float* dout, int64_t o0, int64_t o1, int64_t R, int64_t inner) {
  for (int64_t o = o0; o < o1; o++)
    for (int64_t r = 0; r < R; r++) {
      float* dst = dinp + (o * R + r) * inner;
      const float* src = dout + o * inner;
      for (int64_t i = 0; i < inner; i++) dst[i] += src[i];
    }
}

// First maximum wins; a NaN wins over everything and the first NaN stays (the JS definition).
static AK_INLINE void max_fwd_body(float* out, int32_t* arg, const float* inp, int64_t o0, int64_t o1, int64_t R,
                                   int64_t inner) {
  for (int64_t o = o0; o < o1; o++) {
    float* best = out + o * inner;
    int32_t* idx = arg + o * inner;
    for (int64_t i = 0; i < inner; i++) { best[i] = -__builtin_inff(); idx[i] = 0; }
    for (int64_t r = 0; r < R; r++) {
      const float* src = inp + (o * R + r) * inner;
      for (int64_t i = 0; i < inner; i++) {
        float v = src[i], b = best[i];
        bool take = b == b && (v > b || v != v);
        best[i] = take ? v : b;
        idx[i] = take ? static_cast<int32_t>(r) : idx[i];
      }
    }
  }
}

static AK_INLINE void softmax_fwd_body(float* out, const float* inp, int64_t n0, int64_t n1, int64_t C, bool log) {
  for (int64_t n = n0; n < n1; n++) {
    const float* x = inp + n * C;
    float* y = out + n * C;
    const float m = row_max(x, C);
    if (log) {
      const float lse = m + std::log(row_sum_exp(x, C, m));
      for (int64_t c = 0; c < C; c++) y[c] = x[c] - lse;
      continue;
    }
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t c = 0; c < C; c++) { y[c] = exp_f(x[c] - m); s += y[c]; }
    const float inv = 1.f / s;
    for (int64_t c = 0; c < C; c++) y[c] *= inv;
  }
}

// softmax: dx = y ⊙ (dy − Σ dy·y); log-softmax: dx = dy − exp(y)·Σ dy.
static AK_INLINE void softmax_bwd_body(float* dinp, const float* dout, const float* out, int64_t n0, int64_t n1,
                                       int64_t C, bool log) {
  for (int64_t n = n0; n < n1; n++) {
    const float* dy = dout + n * C;
    const float* y = out + n * C;
    float* dx = dinp + n * C;
    if (log) {
      const float s = row_sum(dy, C);
      for (int64_t c = 0; c < C; c++) dx[c] += dy[c] - exp_f(y[c]) * s;
    } else {
      const float dot = row_dot(dy, y, C);
      for (int64_t c = 0; c < C; c++) dx[c] += y[c] * (dy[c] - dot);
    }
  }
}

AK_MULTIVERSION(void, sum_fwd, sum_fwd_body,
                (float* out, const float* inp, int64_t o0, int64_t o1, int64_t R, int64_t inner),
                (out, inp, o0, o1, R, inner))
AK_MULTIVERSION(void, sum_bwd, sum_bwd_body,
                (float* dinp, const float* dout, int64_t o0, int64_t o1, int64_t R, int64_t inner),
                (dinp, dout, o0, o1, R, inner))
AK_MULTIVERSION(void, max_fwd, max_fwd_body,
                (float* out, int32_t* arg, const float* inp, int64_t o0, int64_t o1, int64_t R, int64_t inner),
                (out, arg, inp, o0, o1, R, inner))
AK_MULTIVERSION(void, softmax_fwd, softmax_fwd_body,
                (float* out, const float* inp, int64_t n0, int64_t n1, int64_t C, bool log),
                (out, inp, n0, n1, C, log))
AK_MULTIVERSION(void, softmax_bwd, softmax_bwd_body,
                (float* dinp, const float* dout, const float* out, int64_t n0, int64_t n1, int64_t C, bool log),
                (dinp, dout, out, n0, n1, C, log))

}  // namespace

void sum_forward(float* out, const float* inp, int64_t outer, int64_t R, int64_t inner) {
  parallel_range(outer, row_grain(R * inner), [&](int64_t lo, int64_t hi) { sum_fwd(out, inp, lo, hi, R, inner); });
}
void sum_backward(float* dinp, const float* dout, int64_t outer, int64_t R, int64_t inner) {
  parallel_range(outer, row_grain(R * inner), [&](int64_t lo, int64_t hi) { sum_bwd(dinp, dout, lo, hi, R, inner); });
}
void max_forward(float* out, int32_t* argmax, const float* inp, int64_t outer, int64_t R, int64_t inner) {
  parallel_range(outer, row_grain(R * inner),
                 [&](int64_t lo, int64_t hi) { max_fwd(out, argmax, inp, lo, hi, R, inner); });
}
void max_backward(float* dinp, const float* dout, const int32_t* argmax, int64_t outer, int64_t R, int64_t inner) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) dinp[(o * R + argmax[o * inner + i]) * inner + i] += dout[o * inner + i];
}

void softmax_forward(float* out, const float* inp, int64_t N, int64_t C) {
  parallel_range(N, row_grain(C), [&](int64_t lo, int64_t hi) { softmax_fwd(out, inp, lo, hi, C, false); });
}
void softmax_backward(float* dinp, const float* dout, const float* out, int64_t N, int64_t C) {
  parallel_range(N, row_grain(C), [&](int64_t lo, int64_t hi) { softmax_bwd(dinp, dout, out, lo, hi, C, false); });
}
void log_softmax_forward(float* out, const float* inp, int64_t N, int64_t C) {
  parallel_range(N, row_grain(C), [&](int64_t lo, int64_t hi) { softmax_fwd(out, inp, lo, hi, C, true); });
}
void log_softmax_backward(float* dinp, const float* dout, const float* out, int64_t N, int64_t C) {
  parallel_range(N, row_grain(C), [&](int64_t lo, int64_t hi) { softmax_bwd(dinp, dout, out, lo, hi, C, true); });
}

}  // namespace ak
