// LayerNorm (Ba et al. 2016) and RMSNorm (Zhang & Sennrich 2019) over the last axis of (N, C).
// The backward follows llm.c's layernorm_backward. Rows are split over threads; the weight and
// bias gradients, which sum over rows, go to one partial row per chunk and are added in chunk
// order afterwards, so results do not depend on which thread ran what.
#include <cmath>
#include <vector>

#include "cpu.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"

namespace ak {
namespace {

static AK_INLINE void ln_fwd_body(float* out, float* mean, float* rstd, const float* inp, const float* w,
                                  const float* b, int64_t n0, int64_t n1, int64_t C, float eps) {
  for (int64_t n = n0; n < n1; n++) {
    const float* x = inp + n * C;
    float* y = out + n * C;
    const float m = row_sum(x, C) / C;
    float v = 0;
#pragma omp simd reduction(+ : v)
    for (int64_t c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    const float s = 1.f / std::sqrt(v / C + eps);
    if (b)
      for (int64_t c = 0; c < C; c++) y[c] = (x[c] - m) * s * w[c] + b[c];
    else
      for (int64_t c = 0; c < C; c++) y[c] = (x[c] - m) * s * w[c];
    mean[n] = m;
    rstd[n] = s;
  }
}

static AK_INLINE void ln_bwd_body(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                                  const float* w, const float* mean, const float* rstd, int64_t n0, int64_t n1,
                                  int64_t C) {
  for (int64_t n = n0; n < n1; n++) {
    const float* x = inp + n * C;
    const float* dy = dout + n * C;
    const float m = mean[n], s = rstd[n];
    float dmean = 0, dnorm_norm = 0;
#pragma omp simd reduction(+ : dmean, dnorm_norm)
    for (int64_t c = 0; c < C; c++) {
      const float norm = (x[c] - m) * s, dnorm = w[c] * dy[c];
      dmean += dnorm;
      dnorm_norm += dnorm * norm;
    }
    if (dw)
      for (int64_t c = 0; c < C; c++) dw[c] += (x[c] - m) * s * dy[c];
    if (db)
      for (int64_t c = 0; c < C; c++) db[c] += dy[c];
    if (!dinp) continue;
    dmean /= C;
    dnorm_norm /= C;
    float* dx = dinp + n * C;
    for (int64_t c = 0; c < C; c++) {
      const float norm = (x[c] - m) * s;
      dx[c] += (w[c] * dy[c] - dmean - norm * dnorm_norm) * s;
    }
  }
}

static AK_INLINE void rms_fwd_body(float* out, float* rstd, const float* inp, const float* w, int64_t n0, int64_t n1,
                                   int64_t C, float eps) {
  for (int64_t n = n0; n < n1; n++) {
    const float* x = inp + n * C;
    float* y = out + n * C;
    const float s = 1.f / std::sqrt(row_dot(x, x, C) / C + eps);
    for (int64_t c = 0; c < C; c++) y[c] = x[c] * s * w[c];
    rstd[n] = s;
  }
}

// y = x·s·w with s = (mean(x²) + eps)^−½: dx = s·(w⊙dy) − x·s³·Σ(w⊙dy⊙x)/C
static AK_INLINE void rms_bwd_body(float* dinp, float* dw, const float* dout, const float* inp, const float* w,
                                   const float* rstd, int64_t n0, int64_t n1, int64_t C) {
  for (int64_t n = n0; n < n1; n++) {
    const float* x = inp + n * C;
    const float* dy = dout + n * C;
    const float s = rstd[n];
    if (dw)
      for (int64_t c = 0; c < C; c++) dw[c] += dy[c] * x[c] * s;
    if (!dinp) continue;
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t c = 0; c < C; c++) dot += w[c] * dy[c] * x[c];
    const float k = s * s * s * dot / C;
    float* dx = dinp + n * C;
    for (int64_t c = 0; c < C; c++) dx[c] += s * w[c] * dy[c] - x[c] * k;
  }
}

AK_MULTIVERSION(void, ln_fwd, ln_fwd_body,
                (float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int64_t n0,
                 int64_t n1, int64_t C, float eps),
                (out, mean, rstd, inp, w, b, n0, n1, C, eps))
AK_MULTIVERSION(void, ln_bwd, ln_bwd_body,
                (float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                 const float* mean, const float* rstd, int64_t n0, int64_t n1, int64_t C),
                (dinp, dw, db, dout, inp, w, mean, rstd, n0, n1, C))
AK_MULTIVERSION(void, rms_fwd, rms_fwd_body,
                (float* out, float* rstd, const float* inp, const float* w, int64_t n0, int64_t n1, int64_t C,
                 float eps),
                (out, rstd, inp, w, n0, n1, C, eps))
AK_MULTIVERSION(void, rms_bwd, rms_bwd_body,
                (float* dinp, float* dw, const float* dout, const float* inp, const float* w, const float* rstd,
                 int64_t n0, int64_t n1, int64_t C),
                (dinp, dw, dout, inp, w, rstd, n0, n1, C))

// Runs f(lo, hi, dw_part, db_part) over row chunks, each with zeroed partial rows for the
// gradients that sum over rows (null when not wanted), then adds the partials into dw and db.
template <class F>
void rows_with_partials(int64_t N, int64_t C, float* dw, float* db, F&& f) {
  const int64_t grain = row_grain(3 * C), chunks = chunk_count(N, grain);
  if (chunks == 1) { f(0, N, dw, db); return; }
  std::vector<float> part(static_cast<size_t>(2 * chunks * C), 0.f);
  parallel_chunks(N, grain, [&](int64_t c, int64_t lo, int64_t hi) {
    f(lo, hi, dw ? part.data() + 2 * c * C : nullptr, db ? part.data() + (2 * c + 1) * C : nullptr);
  });
  for (int64_t c = 0; c < chunks; c++)
    for (int64_t j = 0; j < C; j++) {
      if (dw) dw[j] += part[2 * c * C + j];
      if (db) db[j] += part[(2 * c + 1) * C + j];
    }
}

}  // namespace

void layer_norm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                        const float* bias, int64_t N, int64_t C, float eps) {
  parallel_range(N, row_grain(2 * C),
                 [&](int64_t lo, int64_t hi) { ln_fwd(out, mean, rstd, inp, weight, bias, lo, hi, C, eps); });
}

void layer_norm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                         const float* weight, const float* mean, const float* rstd, int64_t N, int64_t C) {
  rows_with_partials(N, C, dweight, dbias, [&](int64_t lo, int64_t hi, float* dw, float* db) {
    ln_bwd(dinp, dw, db, dout, inp, weight, mean, rstd, lo, hi, C);
  });
}

void rms_norm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C,
                      float eps) {
  parallel_range(N, row_grain(2 * C), [&](int64_t lo, int64_t hi) { rms_fwd(out, rstd, inp, weight, lo, hi, C, eps); });
}

void rms_norm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                       const float* rstd, int64_t N, int64_t C) {
  rows_with_partials(N, C, dweight, nullptr, [&](int64_t lo, int64_t hi, float* dw, float*) {
    rms_bwd(dinp, dw, dout, inp, weight, rstd, lo, hi, C);
  });
}

}  // namespace ak
