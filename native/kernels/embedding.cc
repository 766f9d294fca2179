// Embedding lookup and token-level cross-entropy from logits. Cross-entropy is fused: the
// forward keeps only lse per row and the backward recomputes softmax from it, so no (N, V)
// probability buffer exists (as in llm.c's fused classifier).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"

namespace ak {
namespace {

static AK_INLINE void embed_bwd_body(float* dtable, const float* dout, const int32_t* ids, int64_t N, int64_t C,
                                     int64_t c0, int64_t c1) {
  for (int64_t n = 0; n < N; n++) {
    float* dst = dtable + int64_t(ids[n]) * C;
    const float* src = dout + n * C;
    for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
  }
}

static AK_INLINE void ce_fwd_body(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t n0,
                                  int64_t n1, int64_t V, int64_t ignore) {
  for (int64_t n = n0; n < n1; n++) {
    const float* x = logits + n * V;
    const float m = row_max(x, V);
    const float l = m + std::log(row_sum_exp(x, V, m));
    lse[n] = l;
    losses[n] = targets[n] == ignore ? 0.f : l - x[targets[n]];
  }
}

// d loss_n / d logits_n = softmax(logits_n) − onehot(target_n), scaled by dlosses_n
static AK_INLINE void ce_bwd_body(float* dlogits, const float* dlosses, const float* logits, const float* lse,
                                  const int32_t* targets, int64_t n0, int64_t n1, int64_t V, int64_t ignore, bool accumulate) {
  for (int64_t n = n0; n < n1; n++) {
    if (!accumulate) std::memset(dlogits + n * V, 0, size_t(V) * sizeof(float));
    if (targets[n] == ignore) continue;
    const float* x = logits + n * V;
    float* dx = dlogits + n * V;
    const float g = dlosses[n], l = lse[n];
    for (int64_t v = 0; v < V; v++) dx[v] += g * exp_f(x[v] - l);
    dx[targets[n]] -= g;
  }
}

// Both of the above for dlosses = 1, a row at a time, the row's logits overwritten by its
// gradient (×scale): the row is read from memory once and stays in cache for the three passes
// (an LM head chunk's rows are 600 KB at a 152k vocabulary), rather than the logits read twice,
// a gradient buffer zero-filled and written, and that buffer read again by the next product. The
// same operations in the same order as ce_fwd_body, ce_bwd_body (g = 1: 0 + 1·e is e) and a
// multiply by scale, so the same bits. The forward's two lines are written out here rather than
// ce_fwd_body called a row at a time: inlined that way, its sum of exps vectorised differently and
// the losses moved in the last bits (rows.test.ts caught it).
static AK_INLINE void ce_fused_body(float* losses, float* lse, float* logits, const int32_t* targets, int64_t n0, int64_t n1,
                                    int64_t V, int64_t ignore, float scale) {
  for (int64_t n = n0; n < n1; n++) {
    float* x = logits + n * V;
    const float m = row_max(x, V);
    const float l = m + std::log(row_sum_exp(x, V, m));
    lse[n] = l;
    if (targets[n] == ignore) {
      losses[n] = 0.f;
      std::memset(x, 0, size_t(V) * sizeof(float));
      continue;
    }
    losses[n] = l - x[targets[n]];
    for (int64_t v = 0; v < V; v++) x[v] = exp_f(x[v] - l);
    x[targets[n]] -= 1.f;
    if (scale != 1.f)
      for (int64_t v = 0; v < V; v++) x[v] *= scale;
  }
}

AK_MULTIVERSION(void, embed_bwd, embed_bwd_body,
                (float* dtable, const float* dout, const int32_t* ids, int64_t N, int64_t C, int64_t c0, int64_t c1),
                (dtable, dout, ids, N, C, c0, c1))
AK_MULTIVERSION(void, ce_fwd, ce_fwd_body,
                (float* losses, float* lse, const float* logits, const int32_t* targets, int64_t n0, int64_t n1,
                 int64_t V, int64_t ignore),
                (losses, lse, logits, targets, n0, n1, V, ignore))
AK_MULTIVERSION(void, ce_bwd, ce_bwd_body,
                (float* dlogits, const float* dlosses, const float* logits, const float* lse, const int32_t* targets,
                 int64_t n0, int64_t n1, int64_t V, int64_t ignore, bool accumulate),
                (dlogits, dlosses, logits, lse, targets, n0, n1, V, ignore, accumulate))
AK_MULTIVERSION(void, ce_fused, ce_fused_body,
                (float* losses, float* lse, float* logits, const int32_t* targets, int64_t n0, int64_t n1, int64_t V,
                 int64_t ignore, float scale),
                (losses, lse, logits, targets, n0, n1, V, ignore, scale))

}  // namespace

void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t N, int64_t C) {
  parallel_range(N, row_grain(C), [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; n++) std::memcpy(out + n * C, table + int64_t(ids[n]) * C, sizeof(float) * C);
  });
}

// Repeated ids make rows race, so threads split the channels instead: each owns columns
// [c0, c1) of every row, in whole cache lines.
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t N, int64_t C) {
  const int64_t lines = (C + 15) / 16;
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / (64 * std::max<int64_t>(N, 1)));
  parallel_range(lines, grain, [&](int64_t lo, int64_t hi) {
    embed_bwd(dtable, dout, ids, N, C, lo * 16, std::min(C, hi * 16));
  });
}

void cross_entropy_forward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t N,
                           int64_t V, int64_t ignore_index) {
  parallel_range(N, row_grain(V), [&](int64_t lo, int64_t hi) {
    ce_fwd(losses, lse, logits, targets, lo, hi, V, ignore_index);
  });
}

void cross_entropy_backward(float* dlogits, const float* dlosses, const float* logits, const float* lse,
                            const int32_t* targets, int64_t N, int64_t V, int64_t ignore_index, bool accumulate) {
  parallel_range(N, row_grain(V), [&](int64_t lo, int64_t hi) {
    ce_bwd(dlogits, dlosses, logits, lse, targets, lo, hi, V, ignore_index, accumulate);
  });
}

void cross_entropy_fused(float* losses, float* lse, float* logits, const int32_t* targets, int64_t N, int64_t V,
                         int64_t ignore_index, float scale) {
  parallel_range(N, row_grain(V), [&](int64_t lo, int64_t hi) {
    ce_fused(losses, lse, logits, targets, lo, hi, V, ignore_index, scale);
  });
}

}  // namespace ak
