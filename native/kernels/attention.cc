// Scaled dot-product attention, tiled as in FlashAttention-2 (Dao 2023): the forward walks key
// blocks with an online softmax (running max m and sum l per query row) and keeps only
// lse = m + log l; the backward recomputes P = exp(S − lse) block by block (Algorithm 2, with
// D_i = dO_i · O_i), so no Tq×Tk buffer outlives a block. Block products go through the packed
// GEMM (gemm.h) on one thread; parallelism is across (batch, head, block) tasks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"

namespace ak {
namespace {

constexpr int64_t kBq = 64, kBk = 64;  // 64×64 score blocks: 16 KiB, in L1 with their K rows
constexpr float kNegInf = -__builtin_inff();

using gemm::View;

// One thread's block buffers.
thread_local std::vector<float> t_s, t_ds;

struct Geometry {
  const AttentionShape& s;
  int64_t group;
  // The last key that query i may see (−1 and below: none).
  int64_t last_key(int64_t i) const { return s.causal ? std::min(s.Tk - 1, i + s.Tk - s.Tq) : s.Tk - 1; }
  const float* mask_row(int64_t b, int64_t h, int64_t i) const {
    return s.mask ? s.mask + b * s.mask_strides[0] + h * s.mask_strides[1] + i * s.mask_strides[2] : nullptr;
  }
};

// S[r][c] ← scale·S[r][c] + mask for query i0 + r and key j0 + c, −∞ where the key is not visible.
static AK_INLINE void scores_body(float* S, int64_t nq, int64_t nk, const Geometry* g, int64_t b, int64_t h,
                                  int64_t i0, int64_t j0) {
  const float scale = g->s.scale;
  const int64_t m3 = g->s.mask_strides[3];
  for (int64_t r = 0; r < nq; r++) {
    float* row = S + r * nk;
    const float* mr = g->mask_row(b, h, i0 + r);
    const int64_t visible = std::min(nk, std::max<int64_t>(0, g->last_key(i0 + r) - j0 + 1));
    if (mr) for (int64_t c = 0; c < visible; c++) row[c] = row[c] * scale + mr[(j0 + c) * m3];
    else for (int64_t c = 0; c < visible; c++) row[c] *= scale;
    for (int64_t c = visible; c < nk; c++) row[c] = kNegInf;
  }
}

// Online softmax step: turns S into P = exp(S − m_new) and rescales the rows of O and l.
static AK_INLINE void online_body(float* S, int64_t nq, int64_t nk, float* m, float* l, float* O, int64_t D) {
  for (int64_t r = 0; r < nq; r++) {
    float* row = S + r * nk;
    const float mn = std::max(m[r], row_max(row, nk));
    if (mn == kNegInf) {  // nothing visible yet: P = 0 and O, l stay 0
      for (int64_t c = 0; c < nk; c++) row[c] = 0.f;
      continue;
    }
    const float corr = exp_f(m[r] - mn);
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t c = 0; c < nk; c++) { row[c] = exp_f(row[c] - mn); s += row[c]; }
    l[r] = l[r] * corr + s;
    m[r] = mn;
    if (corr != 1.f) for (int64_t d = 0; d < D; d++) O[r * D + d] *= corr;
  }
}

// P = exp(S − lse) in place; a row with lse = −∞ saw no key and gets P = 0.
static AK_INLINE void probs_body(float* S, int64_t nq, int64_t nk, const float* lse) {
  for (int64_t r = 0; r < nq; r++) {
    float* row = S + r * nk;
    const float l = lse[r];
    if (l == kNegInf) for (int64_t c = 0; c < nk; c++) row[c] = 0.f;
    else for (int64_t c = 0; c < nk; c++) row[c] = exp_f(row[c] - l);
  }
}

// dS = P ⊙ (dP − D_i) · scale, into dP.
static AK_INLINE void dscores_body(float* dP, const float* P, int64_t nq, int64_t nk, const float* Di, float scale) {
  for (int64_t r = 0; r < nq; r++)
    for (int64_t c = 0; c < nk; c++) dP[r * nk + c] = P[r * nk + c] * (dP[r * nk + c] - Di[r]) * scale;
}

AK_MULTIVERSION(void, scores, scores_body,
                (float* S, int64_t nq, int64_t nk, const Geometry* g, int64_t b, int64_t h, int64_t i0, int64_t j0),
                (S, nq, nk, g, b, h, i0, j0))
AK_MULTIVERSION(void, online, online_body, (float* S, int64_t nq, int64_t nk, float* m, float* l, float* O, int64_t D),
                (S, nq, nk, m, l, O, D))
AK_MULTIVERSION(void, probs, probs_body, (float* S, int64_t nq, int64_t nk, const float* lse), (S, nq, nk, lse))
AK_MULTIVERSION(void, dscores, dscores_body,
                (float* dP, const float* P, int64_t nq, int64_t nk, const float* Di, float scale),
                (dP, P, nq, nk, Di, scale))

// One (b, h, query block) of the forward.
void forward_block(float* out, float* lse, const float* q, const float* k, const float* v, const Geometry& g,
                   int64_t b, int64_t h, int64_t i0) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, nq = std::min(kBq, s.Tq - i0), row0 = (b * s.H + h) * s.Tq + i0;
  const int64_t kv = (b * s.Hkv + h / g.group) * s.Tk * D;
  const float* Q = q + row0 * D;
  float* O = out + row0 * D;
  std::fill(O, O + nq * D, 0.f);
  float m[kBq], l[kBq];
  std::fill(m, m + nq, kNegInf);
  std::fill(l, l + nq, 0.f);
  t_s.resize(kBq * kBk);
  float* S = t_s.data();
  const int64_t jend = g.last_key(i0 + nq - 1) + 1;
  for (int64_t j0 = 0; j0 < jend; j0 += kBk) {
    const int64_t nk = std::min(kBk, jend - j0);
    sgemm(nq, nk, D, View{Q, D, 1}, View{k + kv + j0 * D, 1, D}, S, nk, false, false);
    scores(S, nq, nk, &g, b, h, i0, j0);
    online(S, nq, nk, m, l, O, D);
    sgemm(nq, D, nk, View{S, nk, 1}, View{v + kv + j0 * D, D, 1}, O, D, true, false);
  }
  for (int64_t r = 0; r < nq; r++) {
    if (m[r] == kNegInf) { lse[row0 + r] = kNegInf; continue; }
    const float inv = 1.f / l[r];
    for (int64_t d = 0; d < D; d++) O[r * D + d] *= inv;
    lse[row0 + r] = m[r] + std::log(l[r]);
  }
}

}  // namespace

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const AttentionShape& s) {
  const Geometry g{s, s.H / s.Hkv};
  const int64_t qblocks = (s.Tq + kBq - 1) / kBq, tasks = s.B * s.H * qblocks;
  auto task = [&](int64_t t) {
    forward_block(out, lse, q, k, v, g, t / qblocks / s.H, t / qblocks % s.H, t % qblocks * kBq);
  };
  if (double(s.B) * s.H * s.Tq * s.Tk * s.D < (1 << 16)) for (int64_t t = 0; t < tasks; t++) task(t);
  else parallel_for(tasks, task);
}

// The backward for kv head (b, kvh) over key blocks [kb0, kb1): this task alone writes those
// rows of dk and dv, and the dq rows of the heads in the group go to `dq` (dq itself, or a
// private partial when several tasks share the kv head).
static void backward_task(float* dq, int64_t dq_stride, float* dk, float* dv, const float* dout, const float* out,
                          const float* lse, const float* q, const float* k, const float* v, const Geometry& g,
                          int64_t b, int64_t kvh, int64_t kb0, int64_t kb1) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, kv = (b * s.Hkv + kvh) * s.Tk * D;
  t_s.resize(kBq * kBk);
  t_ds.resize(kBq * kBk);
  float *P = t_s.data(), *dS = t_ds.data();
  std::vector<float> Di(static_cast<size_t>(s.Tq));
  for (int64_t gi = 0; gi < g.group; gi++) {
    const int64_t h = kvh * g.group + gi, row0 = (b * s.H + h) * s.Tq;
    const float *Q = q + row0 * D, *dO = dout + row0 * D;
    float* dQ = dq ? dq + gi * dq_stride : nullptr;
    for (int64_t i = 0; i < s.Tq; i++) Di[i] = row_dot(dO + i * D, out + (row0 + i) * D, D);
    for (int64_t j0 = kb0 * kBk; j0 < std::min(s.Tk, kb1 * kBk); j0 += kBk) {
      const int64_t nk = std::min(kBk, s.Tk - j0);
      const float *Kj = k + kv + j0 * D, *Vj = v + kv + j0 * D;
      // Causal: query i sees key j0 only from i = j0 − (Tk − Tq) on.
      const int64_t ist = s.causal ? std::max<int64_t>(0, j0 - (s.Tk - s.Tq)) : 0;
      for (int64_t i0 = ist; i0 < s.Tq; i0 += kBq) {
        const int64_t nq = std::min(kBq, s.Tq - i0);
        sgemm(nq, nk, D, View{Q + i0 * D, D, 1}, View{Kj, 1, D}, P, nk, false, false);
        scores(P, nq, nk, &g, b, h, i0, j0);
        probs(P, nq, nk, lse + row0 + i0);
        if (dv) sgemm(nk, D, nq, View{P, 1, nk}, View{dO + i0 * D, D, 1}, dv + kv + j0 * D, D, true, false);
        if (!dQ && !dk) continue;
        sgemm(nq, nk, D, View{dO + i0 * D, D, 1}, View{Vj, 1, D}, dS, nk, false, false);
        dscores(dS, P, nq, nk, Di.data() + i0, s.scale);
        if (dQ) sgemm(nq, D, nk, View{dS, nk, 1}, View{Kj, D, 1}, dQ + i0 * D, D, true, false);
        if (dk) sgemm(nk, D, nq, View{dS, 1, nk}, View{Q + i0 * D, D, 1}, dk + kv + j0 * D, D, true, false);
      }
    }
  }
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                        const float* q, const float* k, const float* v, const AttentionShape& s) {
  if (!dq && !dk && !dv) return;
  const Geometry g{s, s.H / s.Hkv};
  const int64_t heads = s.B * s.Hkv, kblocks = (s.Tk + kBk - 1) / kBk, T = num_threads();
  const bool small = double(s.B) * s.H * s.Tq * s.Tk * s.D < (1 << 16);
  // Fewer kv heads than threads: split the key blocks too, with a private dq per split.
  const int64_t splits = small || heads >= T ? 1 : std::min(kblocks, (T + heads - 1) / heads);
  const int64_t qsize = s.Tq * s.D, gsize = g.group * qsize;
  std::vector<float> parts(splits > 1 && dq ? static_cast<size_t>(heads * splits * gsize) : 0, 0.f);
  auto task = [&](int64_t t) {
    const int64_t hk = t / splits, c = t % splits, b = hk / s.Hkv, kvh = hk % s.Hkv;
    float* dqt = !dq ? nullptr : splits > 1 ? parts.data() + t * gsize : dq + (b * s.H + kvh * g.group) * qsize;
    backward_task(dqt, qsize, dk, dv, dout, out, lse, q, k, v, g, b, kvh, kblocks * c / splits,
                  kblocks * (c + 1) / splits);
  };
  if (small) for (int64_t t = 0; t < heads * splits; t++) task(t);
  else parallel_for(heads * splits, task);
  if (parts.empty()) return;
  for (int64_t hk = 0; hk < heads; hk++) {
    float* dst = dq + ((hk / s.Hkv) * s.H + (hk % s.Hkv) * g.group) * qsize;
    for (int64_t c = 0; c < splits; c++) {
      const float* src = parts.data() + (hk * splits + c) * gsize;
      for (int64_t i = 0; i < gsize; i++) dst[i] += src[i];
    }
  }
}

}  // namespace ak
