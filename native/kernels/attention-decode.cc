// One decoding step's attention over a bfloat16 KV cache (issue 20: batch-32 decoding, where the
// attention's reads of a float32 cache were a fifth to a quarter of the step). Each task is one
// (batch row, kv head): it widens each key row once for the group's g queries, keeps their g rows
// of scores, and widens each value row once for the g outputs, so the cache is read once per step
// at two bytes a value and no score leaves the task. Arithmetic is float32 on the exactly widened
// values: each score the dot product summed over d in order (16 keys at a time, their rows widened
// and transposed), softmax with the max subtracted, exp_f, the sum in 16 lanes, then the products
// with V in key order. On AVX-512 with D a multiple of 16 the keys are transposed, scored and the
// values summed in registers; elsewhere plain loops, which AK_MULTIVERSION compiles per ISA, do
// the same sums in the same order.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu.h"
#include "gemm.h"
#include "half16.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"
#include "scratch.h"
#include "transpose16.h"
#include "vmath.h"

namespace ak {
namespace {

constexpr int64_t kLanes = 16;
constexpr float kNegInf = -__builtin_inff();

thread_local ScratchBuffer t_scratch;

static AK_INLINE int64_t lanes_pad(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// The cache comes from memory once a step, a few KB per task with arithmetic between. Asking for
// the keys kAhead rows ahead, and for the first values before the scores are done, took a call
// over 30 layers' caches from ~11 to 13–15 GB/s of cache read (C's shape, B = 32, Tk = 128).
constexpr int64_t kAhead = 32;

// Asks for rows [first, first + rows) of a buffer of rows of `stride` bfloat16 values, `width` of
// each from column `col` on (none when rows ≤ 0).
static AK_INLINE void prefetch_rows(const uint16_t* src, int64_t first, int64_t rows, int64_t stride, int64_t col, int64_t width) {
  for (int64_t r = 0; r < rows; r++) {
    const char* row = reinterpret_cast<const char*>(src + (first + r) * stride + col);
    for (int64_t b = 0; b < width * 2; b += 64) __builtin_prefetch(row + b, 0, 3);
  }
}

// dst[0, Dp) ← the widened bfloat16 values src[0, D), zeros after.
static AK_INLINE void widen_row(float* dst, const uint16_t* src, int64_t D, int64_t Dp) {
  gemm::widen(dst, src, D, true);
  for (int64_t d = D; d < Dp; d++) dst[d] = 0.f;
}

// kt (D × 16) ← keys [0, nb) of k (rows of D bfloat16 values) widened and transposed, zeros past nb.
static void widen_keys_t(float* kt, const uint16_t* k, int64_t nb, int64_t D) {
  for (int64_t d = 0; d < D; d++)
    for (int64_t jj = 0; jj < kLanes; jj++)
      kt[d * kLanes + jj] = jj < nb ? bits_to_float(static_cast<int32_t>(static_cast<uint32_t>(k[jj * D + d]) << 16)) : 0.f;
}

#ifdef AK_X86
// The same, 16 dimensions at a time in registers (D a multiple of 16).
AK_TARGET_AVX512 static void widen_keys_t_avx512(float* kt, const uint16_t* k, int64_t nb, int64_t D) {
  for (int64_t c = 0; c < D; c += kLanes) {
    __m512 r[kLanes];
    for (int64_t jj = 0; jj < kLanes; jj++) {
      r[jj] = jj < nb ? load_half16<HalfKind::bf16>(k + jj * D + c) : _mm512_setzero_ps();
    }
    transpose16(r);
    for (int64_t d = 0; d < kLanes; d++) _mm512_storeu_ps(kt + (c + d) * kLanes, r[d]);
  }
}

// S[gi·np, +16) ← the 16 keys' scores for NH queries of the group, each summed over d in order
// (widen_keys_t's kt); NH independent chains, so that the FMAs overlap.
template <int NH>
AK_TARGET_AVX512 static void heads_scores_avx512(float* S, int64_t np, const float* q, const float* kt, int64_t D) {
  __m512 acc[NH];
  for (int h = 0; h < NH; h++) acc[h] = _mm512_setzero_ps();
  for (int64_t d = 0; d < D; d++) {
    const __m512 kd = _mm512_loadu_ps(kt + d * kLanes);
    for (int h = 0; h < NH; h++) acc[h] = _mm512_fmadd_ps(_mm512_set1_ps(q[h * D + d]), kd, acc[h]);
  }
  for (int h = 0; h < NH; h++) _mm512_storeu_ps(S + h * np, acc[h]);
}

// The scores of all g queries, four at a time.
AK_TARGET_AVX512 static void block_scores_avx512(float* S, int64_t np, const float* q, const float* kt, int64_t g, int64_t D) {
  for (int64_t gi = 0; gi < g; gi += 4) {
    float* s = S + gi * np;
    const float* qg = q + gi * D;
    switch (std::min<int64_t>(4, g - gi)) {
      case 4: heads_scores_avx512<4>(s, np, qg, kt, D); break;
      case 3: heads_scores_avx512<3>(s, np, qg, kt, D); break;
      case 2: heads_scores_avx512<2>(s, np, qg, kt, D); break;
      default: heads_scores_avx512<1>(s, np, qg, kt, D); break;
    }
  }
}

// O[gi·D + c·16, +NZ·16) of up to four queries ← Σ_j P[gi·np + j]·v_j over keys [0, n) in order,
// the accumulators in registers.
template <int NZ>
AK_TARGET_AVX512 static void block_values_avx512(float* O, const float* P, int64_t np, const uint16_t* v, int64_t gs,
                                                 int64_t n, int64_t D, int64_t c) {
  __m512 acc[4][NZ];
  for (int h = 0; h < 4; h++)
    for (int x = 0; x < NZ; x++) acc[h][x] = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; j++) {
    prefetch_rows(v, j + kAhead, std::min<int64_t>(1, n - j - kAhead), D, c, NZ * kLanes);
    __m512 row[NZ];
    for (int x = 0; x < NZ; x++) row[x] = load_half16<HalfKind::bf16>(v + j * D + c + x * kLanes);
    for (int h = 0; h < 4; h++) {
      if (h >= gs) break;
      const __m512 p = _mm512_set1_ps(P[h * np + j]);
      for (int x = 0; x < NZ; x++) acc[h][x] = _mm512_fmadd_ps(p, row[x], acc[h][x]);
    }
  }
  for (int h = 0; h < gs; h++)
    for (int x = 0; x < NZ; x++) _mm512_storeu_ps(O + h * D + c + x * kLanes, acc[h][x]);
}

// out (g × D) ← P·V for the group, D a multiple of 16.
AK_TARGET_AVX512 static void values_avx512(float* out, const float* P, int64_t np, const uint16_t* v, int64_t g, int64_t n, int64_t D) {
  for (int64_t g0 = 0; g0 < g; g0 += 4) {
    const int64_t gs = std::min<int64_t>(4, g - g0);
    for (int64_t c = 0; c < D; c += 4 * kLanes) {
      float* O = out + g0 * D;
      const float* Pg = P + g0 * np;
      switch (std::min<int64_t>(4, (D - c) / kLanes)) {
        case 4: block_values_avx512<4>(O, Pg, np, v, gs, n, D, c); break;
        case 3: block_values_avx512<3>(O, Pg, np, v, gs, n, D, c); break;
        case 2: block_values_avx512<2>(O, Pg, np, v, gs, n, D, c); break;
        default: block_values_avx512<1>(O, Pg, np, v, gs, n, D, c); break;
      }
    }
  }
}
#endif

// The group's g query rows over keys [0, n) of one kv head (k, v already at the first key seen):
// scratch holds a block of widened keys transposed (D × 16), S (g × np), O (g × Dp) and a widened
// value row (Dp). A score is the dot product summed over d in order, 16 keys at a time.
static AK_INLINE void group_body(float* out, const float* q, const uint16_t* k, const uint16_t* v, const float* mask,
                                 const int64_t* mstride, int64_t g, int64_t n, int64_t D, float scale, float softcap,
                                 float* scratch) {
  const int64_t Dp = lanes_pad(D), np = lanes_pad(n);
  float *kt = scratch, *S = kt + D * kLanes, *O = S + g * np, *row = O + g * Dp;
#ifdef AK_X86
  const bool wide = isa() == Isa::avx512 && D % kLanes == 0;
#else
  const bool wide = false;
#endif
  prefetch_rows(k, 0, std::min(n, kAhead), D, 0, D);
  for (int64_t j0 = 0; j0 < n; j0 += kLanes) {
    const int64_t nb = std::min(kLanes, n - j0);
    const uint16_t* kb = k + j0 * D;
    // The next block's keys, and the values once the last block is reached.
    prefetch_rows(k, j0 + kAhead, std::min(kLanes, n - j0 - kAhead), D, 0, D);
    if (j0 + kLanes >= n) prefetch_rows(v, 0, std::min(n, kAhead), D, 0, D);
#ifdef AK_X86
    if (wide) {
      widen_keys_t_avx512(kt, kb, nb, D);
      block_scores_avx512(S + j0, np, q, kt, g, D);
      continue;
    }
#endif
    widen_keys_t(kt, kb, nb, D);
    for (int64_t gi = 0; gi < g; gi++) {
      const float* qg = q + gi * D;
      float acc[kLanes] = {};
      for (int64_t d = 0; d < D; d++)
        for (int64_t jj = 0; jj < kLanes; jj++) acc[jj] += qg[d] * kt[d * kLanes + jj];
      for (int64_t jj = 0; jj < kLanes; jj++) S[gi * np + j0 + jj] = acc[jj];
    }
  }
  for (int64_t gi = 0; gi < g; gi++) {
    // Each step its own loop over the row, so that every one vectorises.
    float* s = S + gi * np;
    for (int64_t j = 0; j < n; j++) s[j] *= scale;
    if (softcap > 0.f)
      for (int64_t j = 0; j < n; j++) s[j] = softcap * tanh_f(s[j] / softcap);
    if (mask) {
      const float* m = mask + gi * mstride[0];
      const int64_t mj = mstride[1];
      for (int64_t j = 0; j < n; j++) s[j] += m[j * mj];
    }
    for (int64_t j = n; j < np; j++) s[j] = kNegInf;
    float mx[kLanes];
    std::fill(mx, mx + kLanes, kNegInf);
    for (int64_t j0 = 0; j0 < np; j0 += kLanes)
      for (int64_t l = 0; l < kLanes; l++) mx[l] = s[j0 + l] > mx[l] ? s[j0 + l] : mx[l];
    for (int64_t w = kLanes / 2; w > 0; w /= 2)
      for (int64_t l = 0; l < w; l++) mx[l] = mx[l + w] > mx[l] ? mx[l + w] : mx[l];
    const float top = mx[0];
    if (top == kNegInf) {  // every key hidden: a zero output, as attention's kernels give
      std::fill(s, s + np, 0.f);
      continue;
    }
    for (int64_t j = 0; j < np; j++) s[j] = exp_f(s[j] - top);
    float sum[kLanes] = {};
    for (int64_t j0 = 0; j0 < np; j0 += kLanes)
      for (int64_t l = 0; l < kLanes; l++) sum[l] += s[j0 + l];
    for (int64_t w = kLanes / 2; w > 0; w /= 2)
      for (int64_t l = 0; l < w; l++) sum[l] += sum[l + w];
    const float inv = 1.f / sum[0];
    for (int64_t j = 0; j < np; j++) s[j] *= inv;
  }
#ifdef AK_X86
  if (wide) {
    values_avx512(out, S, np, v, g, n, D);
    return;
  }
#endif
  std::fill(O, O + g * Dp, 0.f);
  for (int64_t j = 0; j < n; j++) {
    widen_row(row, v + j * D, D, Dp);
    for (int64_t gi = 0; gi < g; gi++) {
      const float p = S[gi * np + j];
      float* o = O + gi * Dp;
      for (int64_t d = 0; d < Dp; d++) o[d] += p * row[d];
    }
  }
  for (int64_t gi = 0; gi < g; gi++) std::memcpy(out + gi * D, O + gi * Dp, static_cast<size_t>(D) * sizeof(float));
}

AK_MULTIVERSION(void, decode_group, group_body,
                (float* out, const float* q, const uint16_t* k, const uint16_t* v, const float* mask,
                 const int64_t* mstride, int64_t g, int64_t n, int64_t D, float scale, float softcap, float* scratch),
                (out, q, k, v, mask, mstride, g, n, D, scale, softcap, scratch))

}  // namespace

void attention_decode_half(float* out, const float* q, const uint16_t* k, const uint16_t* v, const float* mask,
                           const int64_t* mask_strides, int64_t B, int64_t H, int64_t Hkv, int64_t cap, int64_t Tk,
                           int64_t D, float scale, float softcap, int64_t window) {
  const int64_t g = H / Hkv, j0 = window > 0 && window < Tk ? Tk - window : 0, n = Tk - j0;
  const int64_t Dp = lanes_pad(D), scratch = D * kLanes + g * lanes_pad(n) + g * Dp + Dp;
  auto task = [&](int64_t t) {
    const int64_t b = t / Hkv, kvh = t % Hkv, h0 = kvh * g;
    const int64_t at = ((b * Hkv + kvh) * cap + j0) * D;
    // The group's mask rows: stride between heads, then between keys.
    const int64_t ms[2] = {mask_strides[1], mask_strides[2]};
    const float* m = mask ? mask + b * mask_strides[0] + h0 * mask_strides[1] + j0 * mask_strides[2] : nullptr;
    // Leading keys hidden from every query of the group (a row's left padding, which a batch that
    // admits rows as others leave makes long) are not read: their scores are −∞ and their weights
    // exactly 0, and starting the 16-lane max and sum at another key only rotates the lanes, which
    // the pairwise fold (lanes w apart, w = 8, 4, 2, 1) and commutative adds leave unchanged; so
    // every output is the same bits. At least one key is kept (a row that sees none gets zeros).
    const int64_t skip = m ? std::min(hidden_lead(m, g, ms[0], ms[1], n), n - 1) : 0;
    decode_group(out + (b * H + h0) * D, q + (b * H + h0) * D, k + at + skip * D, v + at + skip * D,
                 m ? m + skip * ms[1] : nullptr, ms, g, n - skip, D, scale, softcap, t_scratch.get(static_cast<size_t>(scratch)));
  };
  const int64_t tasks = B * Hkv;
  if (double(B) * H * n * D < (1 << 15)) for (int64_t t = 0; t < tasks; t++) task(t);
  else parallel_for(tasks, task);
}

}  // namespace ak
