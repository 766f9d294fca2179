// Scaled dot-product attention, tiled as in FlashAttention-2 (Dao 2023): the forward walks key
// blocks with an online softmax (running max m and sum l per query row) and keeps only
// lse = m + log l; the backward recomputes P = exp(S − lse) block by block (Algorithm 2, with
// D_i = dO_i · O_i), so no Tq×Tk buffer outlives a block. Block products run on block_mm, one
// thread each; parallelism is across (batch, head, block) tasks. A block's scores are kept
// transposed, Sᵀ (keys × queries), so that the softmax's per-query max and sum run down columns,
// across the queries of a vector, instead of ending each 64-wide row in a horizontal reduction.
// q, k, v and out are read and written through their (batch, head, row) strides, so heads can
// stay interleaved in the projection that made them (B, T, H·D) and no head split or merge has
// to be copied. A causal block computes only the band its queries see (block-mm.h's Band).
// A sliding window (AttentionShape::window) starts each query block's key walk, and ends each key
// block's query walk, at the window's edge, so blocks wholly outside it cost nothing; the blocks
// it crosses are masked to −∞ lane by lane. Gemma 2's soft-cap maps scaled scores to
// cap·tanh(s/cap) per block before the mask; the backward keeps 1 − tanh² of each block beside
// Pᵀ to multiply into dSᵀ (tanh_f, vectorised with the rest of the block).
// With the bf16 permission (AttentionShape::bf16) and AMX tiles, the block products run on tiles
// from bfloat16-rounded operands (attention-bf16.cc, on attention-amx.h's tiles): the same walk,
// and the same passes over the scores, which live here (attention-blocks.h declares what the two
// paths share).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "amx.h"
#include "attention-blocks.h"
#include "block-mm.h"
#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"
#include "scratch.h"

namespace ak::attn {
namespace {

// The elementwise passes over Sᵀ below run along a row c in whole 16-wide runs from the run
// holding its first visible query, over the block's padded width nqp: exact bounds would leave
// a scalar remainder on every row, which cost more than the products. Lanes before a row's
// first visible query (r < c − delta) and past the block (r ≥ nq) hold −∞ scores and P = 0.
constexpr int64_t kRun = 16;
static AK_INLINE int64_t first_run(int64_t c, int64_t delta, int64_t nqp) {
  return std::clamp<int64_t>(c - delta, 0, nqp) / kRun * kRun;
}

// Pᵀ[c][r] = exp(Sᵀ[c][r] − sub[r]) in place from row c's first visible run on, 0 before it;
// with kSum, also sum[r] += Pᵀ[c][r].
template <bool kSum>
static AK_INLINE void exp_down(float* ST, int64_t ld, int64_t nk, int64_t delta, const float* sub, float* sum) {
  for (int64_t c = 0; c < nk; c++) {
    float* row = ST + c * ld;
    const int64_t run = first_run(c, delta, ld);
    for (int64_t r = 0; r < run; r++) row[r] = 0.f;
    for (int64_t r0 = run; r0 < ld; r0 += kRun)
#pragma omp simd
      for (int64_t r = r0; r < r0 + kRun; r++) {
        row[r] = exp_f(row[r] - sub[r]);
        if constexpr (kSum) sum[r] += row[r];
      }
  }
}

// Sᵀ[c][r] ← cap(scale·Sᵀ[c][r]) + mask for key j0 + c and query i0 + r, −∞ where the key is not
// visible (only the band from r = c − delta on was computed; the window ends it at `end`). With a
// soft-cap and `dcap`, dcap[c][r] ← 1 − tanh² (0 where not visible) for the backward.
static AK_INLINE void scores_body(float* ST, float* dcap, int64_t ld, int64_t nk, int64_t nq, const Geometry* g,
                                  int64_t b, int64_t h, int64_t i0, int64_t j0) {
  const float scale = g->s.scale, cap = g->s.softcap;
  const int64_t delta = g->delta(i0, j0), m2 = g->s.mask_strides[2];
  for (int64_t c = 0; c < nk; c++) {
    float* row = ST + c * ld;
    const int64_t from = std::clamp<int64_t>(c - delta, 0, nq), run = first_run(c, delta, ld);
    const int64_t end = g->window_end(c, delta, nq);
    if (cap == 0.f) {
      // Three plain runs (no per-lane test): −∞ before the first visible query, scaled scores up
      // to the window's end, −∞ after; the values are the ones the test below gives.
      for (int64_t r = 0; r < from; r++) row[r] = kNegInf;
#pragma omp simd
      for (int64_t r = from; r < end; r++) row[r] *= scale;
      for (int64_t r = std::max(from, end); r < ld; r++) row[r] = kNegInf;
    } else {
      for (int64_t r = 0; r < run; r++) row[r] = kNegInf;
      for (int64_t r0 = run; r0 < ld; r0 += kRun)
#pragma omp simd
        for (int64_t r = r0; r < r0 + kRun; r++) row[r] = (r >= from) & (r < end) ? row[r] * scale : kNegInf;
    }
    if (cap > 0.f && dcap) {
      float* dc = dcap + c * ld;
      for (int64_t r = 0; r < run; r++) dc[r] = 0.f;
      for (int64_t r0 = run; r0 < ld; r0 += kRun)
#pragma omp simd
        for (int64_t r = r0; r < r0 + kRun; r++) {
          const bool seen = (r >= from) & (r < end);
          const float t = tanh_f(row[r] / cap);
          row[r] = seen ? cap * t : kNegInf;
          dc[r] = seen ? 1.f - t * t : 0.f;
        }
    } else if (cap > 0.f) {
      for (int64_t r0 = run; r0 < ld; r0 += kRun)
#pragma omp simd
        for (int64_t r = r0; r < r0 + kRun; r++) row[r] = (r >= from) & (r < end) ? cap * tanh_f(row[r] / cap) : kNegInf;
    }
    if (g->s.mask) {
      const float* mc = g->mask_row(b, h, i0) + (j0 + c) * g->s.mask_strides[3];
      for (int64_t r = from; r < end; r++) row[r] += mc[r * m2];
    }
  }
}

// Online softmax step down the columns of Sᵀ: turns it into Pᵀ = exp(Sᵀ − m_new) and rescales
// l and the rows of O. m, l hold ld ≥ nq entries (the padding's stay −∞ and 0). With `corr`, O is
// left to the caller: corr[r] (ld entries) gets the factor of query r's sums (1 where none).
static AK_INLINE void online_body(float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, float* m, float* l,
                                  float* O, int64_t ldo, int64_t D, float* corr_out) {
  alignas(64) float mx[kBq], sum[kBq], sub[kBq];
  for (int64_t r = 0; r < ld; r++) { mx[r] = m[r]; sum[r] = 0.f; }
  for (int64_t c = 0; c < nk; c++) {
    const float* row = ST + c * ld;
    for (int64_t r0 = first_run(c, delta, ld); r0 < ld; r0 += kRun)
#pragma omp simd
      for (int64_t r = r0; r < r0 + kRun; r++) mx[r] = row[r] > mx[r] ? row[r] : mx[r];
  }
  // A query that has seen no key yet keeps P = 0 (every score −∞) and O, l = 0.
  for (int64_t r = 0; r < ld; r++) sub[r] = mx[r] == kNegInf ? 0.f : mx[r];
  exp_down<true>(ST, ld, nk, delta, sub, sum);
  if (corr_out) std::fill(corr_out, corr_out + ld, 1.f);
  for (int64_t r = 0; r < nq; r++) {
    if (mx[r] == kNegInf) continue;
    const float corr = exp_f(m[r] - mx[r]);
    l[r] = l[r] * corr + sum[r];
    m[r] = mx[r];
    if (corr_out) corr_out[r] = corr;
    else if (corr != 1.f) for (int64_t d = 0; d < D; d++) O[r * ldo + d] *= corr;
  }
}

// Pᵀ = exp(Sᵀ − lse) in place; a query with lse = −∞ saw no key and gets P = 0.
static AK_INLINE void probs_body(float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, const float* lse) {
  alignas(64) float sub[kBq];
  for (int64_t r = 0; r < ld; r++) sub[r] = r >= nq || lse[r] == kNegInf ? __builtin_inff() : lse[r];
  exp_down<false>(ST, ld, nk, delta, sub, nullptr);
}

// dSᵀ = Pᵀ ⊙ (dPᵀ − D_r) · scale into dPᵀ where the key is visible (r ≥ c − delta), 0 elsewhere
// (dPᵀ was not computed there); times dcap, the soft-cap's 1 − tanh², when there is one.
static AK_INLINE void dscores_body(float* dPT, const float* PT, const float* dcap, int64_t ld, int64_t nk, int64_t nq,
                                   const float* Di, float scale, int64_t delta) {
  alignas(64) float di[kBq];
  for (int64_t r = 0; r < ld; r++) di[r] = r < nq ? Di[r] : 0.f;
  for (int64_t c = 0; c < nk; c++) {
    float* ds = dPT + c * ld;
    const float* p = PT + c * ld;
    const int64_t from = std::clamp<int64_t>(c - delta, 0, nq), run = first_run(c, delta, ld);
    for (int64_t r = 0; r < run; r++) ds[r] = 0.f;
    for (int64_t r0 = run; r0 < ld; r0 += kRun)
#pragma omp simd
      for (int64_t r = r0; r < r0 + kRun; r++) ds[r] = r >= from ? p[r] * (ds[r] - di[r]) * scale : 0.f;
    if (dcap)
      for (int64_t r = run; r < ld; r++) ds[r] *= dcap[c * ld + r];
  }
}

AK_MULTIVERSION(void, scores_pass, scores_body,
                (float* ST, float* dcap, int64_t ld, int64_t nk, int64_t nq, const Geometry* g, int64_t b, int64_t h,
                 int64_t i0, int64_t j0),
                (ST, dcap, ld, nk, nq, g, b, h, i0, j0))
AK_MULTIVERSION(void, online_pass, online_body,
                (float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, float* m, float* l, float* O,
                 int64_t ldo, int64_t D, float* corr_out),
                (ST, ld, nk, nq, delta, m, l, O, ldo, D, corr_out))
AK_MULTIVERSION(void, probs_pass, probs_body,
                (float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, const float* lse),
                (ST, ld, nk, nq, delta, lse))
AK_MULTIVERSION(void, dscores_pass, dscores_body,
                (float* dPT, const float* PT, const float* dcap, int64_t ld, int64_t nk, int64_t nq, const float* Di,
                 float scale, int64_t delta),
                (dPT, PT, dcap, ld, nk, nq, Di, scale, delta))

}  // namespace

void scores(float* ST, float* dcap, int64_t ld, int64_t nk, int64_t nq, const Geometry* g, int64_t b, int64_t h,
            int64_t i0, int64_t j0) {
  scores_pass(ST, dcap, ld, nk, nq, g, b, h, i0, j0);
}
void online(float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, float* m, float* l, float* O, int64_t ldo,
            int64_t D, float* corr_out) {
  online_pass(ST, ld, nk, nq, delta, m, l, O, ldo, D, corr_out);
}
void probs(float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, const float* lse) {
  probs_pass(ST, ld, nk, nq, delta, lse);
}
void dscores(float* dPT, const float* PT, const float* dcap, int64_t ld, int64_t nk, int64_t nq, const float* Di,
             float scale, int64_t delta) {
  dscores_pass(dPT, PT, dcap, ld, nk, nq, Di, scale, delta);
}

// Where a query block's walk over key blocks starts. Key blocks start at the first key the mask
// shows any query of the block (left padding ends there), so that a padded row's blocks hold the
// keys they hold unpadded: its numbers are then its numbers alone, bit for bit, whatever padding a
// batch gives it. The keys before it are −∞ for every query here, so walking them (as blocks from
// key 0 did) only adds exact zeros. A window's edge moves the start on by whole blocks.
int64_t first_block(const Geometry& g, int64_t b, int64_t h, int64_t i0, int64_t nq, int64_t jend) {
  const AttentionShape& s = g.s;
  const int64_t lead = s.mask ? hidden_lead(g.mask_row(b, h, i0), nq, s.mask_strides[2], s.mask_strides[3], jend) : 0;
  return lead + std::max<int64_t>(0, g.first_key(i0) - lead) / kBk * kBk;
}

// A query block's output rows, O's rows (ldo apart) over their softmax sums l, and their lse;
// a query that saw no key (m = −∞) gets zeros and lse −∞.
void finish_rows(float* out, float* lse, const float* O, int64_t ldo, const float* m, const float* l, const Geometry& g,
                 int64_t b, int64_t h, int64_t i0, int64_t nq) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, row0 = (b * s.H + h) * s.Tq + i0;
  float* Out = out + g.o_at(b, h, i0);
  for (int64_t r = 0; r < nq; r++) {
    float* o = Out + r * s.o_strides[2];
    if (m[r] == kNegInf) {
      lse[row0 + r] = kNegInf;
      std::fill(o, o + D, 0.f);
      continue;
    }
    const float inv = 1.f / l[r];
    for (int64_t d = 0; d < D; d++) o[d] = O[r * ldo + d] * inv;
    lse[row0 + r] = m[r] + std::log(l[r]);
  }
}

// D_r = dO_r · O_r for every query row of the group's heads [gi0, gi1) (at gi·Tq + r).
std::vector<float> output_dots(const float* dout, const float* out, const Geometry& g, int64_t b, int64_t kvh,
                               int64_t gi0, int64_t gi1) {
  std::vector<float> Di(static_cast<size_t>(g.group * g.s.Tq));
  for (int64_t gi = gi0; gi < gi1; gi++) {
    const int64_t h = kvh * g.group + gi;
    for (int64_t i = 0; i < g.s.Tq; i++) Di[gi * g.s.Tq + i] = row_dot(dout + g.o_at(b, h, i), out + g.o_at(b, h, i), g.s.D);
  }
  return Di;
}

}  // namespace ak::attn

namespace ak {
namespace {

using namespace attn;

thread_local ScratchBuffer t_scratch;  // a task's block buffers

// dst (rows × width, row stride ld) ← rows of src (row stride rs), zero past `cols`.
void copy_rows(float* dst, int64_t ld, const float* src, int64_t rs, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    std::memcpy(dst + r * ld, src + r * rs, sizeof(float) * cols);
    std::memset(dst + r * ld + cols, 0, sizeof(float) * (ld - cols));
  }
}

// dst (cols × ld) ← the transpose of rows of src (rows × cols, row stride rs), zero past `rows`:
// the GEMM's panel packing, which transposes 16×16 tiles in registers on AVX-512.
void transpose_rows(float* dst, int64_t ld, const float* src, int64_t rs, int64_t rows, int64_t cols) {
  gemm::pack_panel(dst, src, rs, 1, rows, cols, static_cast<int>(ld));
}

// Rows of a B operand for block_mm: the source rows themselves when D fills whole vectors
// (block_mm reads B unaligned and never past n rounded up to kBlockPad), else a padded copy in
// `scratch`. Returns the rows and sets *ld to their stride.
const float* b_rows(float* scratch, int64_t Dp, const float* src, int64_t rs, int64_t rows, int64_t D, int64_t* ld) {
  if (D == Dp) {
    *ld = rs;
    return src;
  }
  copy_rows(scratch, Dp, src, rs, rows, D);
  *ld = Dp;
  return scratch;
}

// One (b, h, query block) of the forward.
void forward_block(float* out, float* lse, const float* q, const float* k, const float* v, const Geometry& g,
                   int64_t b, int64_t h, int64_t i0) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, Dp = block_pad(D), nq = std::min(kBq, s.Tq - i0), nqp = block_pad(nq), kvh = h / g.group;
  // Scratch: Sᵀ (kBk × kBq), Qᵀ (D × kBq), V rows (kBk × Dp), O (kBq × Dp).
  float* ST = t_scratch.get(static_cast<size_t>(kBk * kBq + D * kBq + kBk * Dp + kBq * Dp));
  float *QT = ST + kBk * kBq, *Vb = QT + D * kBq, *O = Vb + kBk * Dp;
  transpose_rows(QT, nqp, q + g.q_at(b, h, i0), s.q_strides[2], nq, D);
  std::fill(O, O + nq * Dp, 0.f);
  float m[kBq], l[kBq];
  std::fill(m, m + kBq, kNegInf);
  std::fill(l, l + kBq, 0.f);
  const int64_t jend = g.last_key(i0 + nq - 1) + 1;
  for (int64_t j0 = first_block(g, b, h, i0, nq, jend); j0 < jend; j0 += kBk) {
    const int64_t nk = std::min(kBk, jend - j0), delta = g.delta(i0, j0);
    block_mm(nk, nq, D, k + g.k_at(b, kvh, j0), s.k_strides[2], 1, QT, nqp, ST, nqp, false, Band::cols_from_row, delta);
    scores(ST, nullptr, nqp, nk, nq, &g, b, h, i0, j0);
    online(ST, nqp, nk, nq, delta, m, l, O, Dp, D, nullptr);
    int64_t ldv;
    const float* V = b_rows(Vb, Dp, v + g.v_at(b, kvh, j0), s.v_strides[2], nk, D, &ldv);
    block_mm(nq, D, nk, ST, 1, nqp, V, ldv, O, Dp, true, Band::k_to_row, delta);
  }
  finish_rows(out, lse, O, Dp, m, l, g, b, h, i0, nq);
}

// The backward for kv head (b, kvh) over key blocks [kb0, kb1) and the group's query heads
// [gi0, gi1): this task alone adds to those rows of dkv (dk and dv themselves, or a private
// partial), and the dq rows of its query heads go to dqh.of(gi).
void backward_task(const DqHeads& dqh, const DkvRows& dkv, const float* dout, const float* out, const float* lse,
                   const float* q, const float* k, const float* v, const Geometry& g, int64_t b, int64_t kvh,
                   int64_t kb0, int64_t kb1, int64_t gi0, int64_t gi1) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, Dp = block_pad(D), qrs = s.q_strides[2], ors = s.o_strides[2];
  const bool want_dq = dqh.p != nullptr;
  // Scratch: Pᵀ and dSᵀ (kBk × kBq each), Qᵀ and dOᵀ (D × kBq each), K rows (kBk × Dp), Q and
  // dO rows (kBq × Dp each), and with a soft-cap its 1 − tanh² (kBk × kBq).
  const int64_t capped = s.softcap > 0.f ? kBk * kBq : 0;
  float* PT = t_scratch.get(static_cast<size_t>(2 * kBk * kBq + 2 * D * kBq + kBk * Dp + 2 * kBq * Dp + capped));
  float *dST = PT + kBk * kBq, *QT = dST + kBk * kBq, *dOT = QT + D * kBq, *Kb = dOT + D * kBq, *Qb = Kb + kBk * Dp,
        *dOb = Qb + kBq * Dp, *dcap = capped ? dOb + kBq * Dp : nullptr;
  const std::vector<float> Di = output_dots(dout, out, g, b, kvh, gi0, gi1);
  for (int64_t j0 = kb0 * kBk; j0 < std::min(s.Tk, kb1 * kBk); j0 += kBk) {
    const int64_t nk = std::min(kBk, s.Tk - j0);
    const float *Kj = k + g.k_at(b, kvh, j0), *Vj = v + g.v_at(b, kvh, j0);
    float *dKj = dkv.dk ? dkv.dk + j0 * dkv.ldk : nullptr, *dVj = dkv.dv ? dkv.dv + j0 * dkv.ldv : nullptr;
    int64_t ldk = 0;
    const float* KB = want_dq ? b_rows(Kb, Dp, Kj, s.k_strides[2], nk, D, &ldk) : nullptr;
    const int64_t ist = g.first_query(j0), iend = g.query_end(j0, nk);
    for (int64_t gi = gi0; gi < gi1; gi++) {
      const int64_t h = kvh * g.group + gi, row0 = (b * s.H + h) * s.Tq;
      const DqRows dq = dqh.of(gi);
      for (int64_t i0 = ist; i0 < iend; i0 += kBq) {
        const int64_t nq = std::min(kBq, s.Tq - i0), nqp = block_pad(nq), delta = g.delta(i0, j0);
        const float *Q = q + g.q_at(b, h, i0), *dO = dout + g.o_at(b, h, i0);
        transpose_rows(QT, nqp, Q, qrs, nq, D);
        block_mm(nk, nq, D, Kj, s.k_strides[2], 1, QT, nqp, PT, nqp, false, Band::cols_from_row, delta);
        scores(PT, dcap, nqp, nk, nq, &g, b, h, i0, j0);
        probs(PT, nqp, nk, nq, delta, lse + row0 + i0);
        if (dVj) {
          int64_t ld;
          const float* dOB = b_rows(dOb, Dp, dO, ors, nq, D, &ld);
          block_mm(nk, D, nq, PT, nqp, 1, dOB, ld, dVj, dkv.ldv, true, Band::k_from_row, delta);
        }
        if (!want_dq && !dKj) continue;
        transpose_rows(dOT, nqp, dO, ors, nq, D);
        block_mm(nk, nq, D, Vj, s.v_strides[2], 1, dOT, nqp, dST, nqp, false, Band::cols_from_row, delta);
        dscores(dST, PT, dcap, nqp, nk, nq, Di.data() + gi * s.Tq + i0, s.scale, delta);
        if (want_dq) block_mm(nq, D, nk, dST, 1, nqp, KB, ldk, dq.p + i0 * dq.ld, dq.ld, true, Band::k_to_row, delta);
        if (dKj) {
          int64_t ld;
          const float* QB = b_rows(Qb, Dp, Q, qrs, nq, D, &ld);
          block_mm(nk, D, nq, dST, nqp, 1, QB, ld, dKj, dkv.ldk, true, Band::k_from_row, delta);
        }
      }
    }
  }
}

// Whether this call's products run on tiles: asked for (AttentionShape::bf16) and usable here.
bool on_tiles(const AttentionShape& s) { return s.bf16 && amx::usable(); }

}  // namespace

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const AttentionShape& s) {
  const Geometry g{s, s.H / s.Hkv};
  const int64_t qblocks = (s.Tq + kBq - 1) / kBq, tasks = s.B * s.H * qblocks;
  const bool tiles = on_tiles(s);
  const RoundedKv kv = tiles ? round_kv(k, v, g) : RoundedKv{};
  auto task = [&](int64_t t) {
    const int64_t b = t / qblocks / s.H, h = t / qblocks % s.H, i0 = t % qblocks * kBq;
    if (!tiles) return forward_block(out, lse, q, k, v, g, b, h, i0);
    amx::configure();
    forward_block_amx(out, lse, q, v, kv, g, b, h, i0);
    amx::release();
  };
  if (double(s.B) * s.H * s.Tq * s.Tk * s.D < (1 << 16)) for (int64_t t = 0; t < tasks; t++) task(t);
  else parallel_for(tasks, task);
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                        const float* q, const float* k, const float* v, const AttentionShape& s) {
  if (!dq && !dk && !dv) return;
  const Geometry g{s, s.H / s.Hkv};
  const int64_t heads = s.B * s.Hkv, kblocks = (s.Tk + kBk - 1) / kBk, T = num_threads();
  const bool small = double(s.B) * s.H * s.Tq * s.Tk * s.D < (1 << 16);
  // Fewer kv heads than threads: split the key blocks too, with a private dq per split.
  const int64_t splits = small || heads >= T ? 1 : std::min(kblocks, (T + heads - 1) / heads);
  // Kv heads that the threads do not share evenly, and few of them (SmolLM2's 3 on 2 threads: two
  // rounds, the second half idle): each query head of a group its own task instead, adding into a
  // private dk, dv partial that is summed after.
  const int64_t gsplits = !small && splits == 1 && g.group > 1 && (dk || dv) && heads % T != 0 && heads < 4 * T ? g.group : 1;
  const int64_t qsize = s.Tq * s.D, gsize = g.group * qsize, kvsize = s.Tk * s.D;
  std::vector<float> parts(splits > 1 && dq ? static_cast<size_t>(heads * splits * gsize) : 0, 0.f);
  std::vector<float> kvparts(gsplits > 1 ? static_cast<size_t>(heads * gsplits * 2 * kvsize) : 0, 0.f);
  const bool tiles = on_tiles(s);
  auto task = [&](int64_t t) {
    const int64_t hk = t / splits / gsplits, c = t / gsplits % splits, gs = t % gsplits, b = hk / s.Hkv, kvh = hk % s.Hkv;
    // Query head gi's dq rows: in dq itself, or in the split's private partial.
    const DqHeads dqh = !dq ? DqHeads{nullptr, 0, 0}
                      : splits > 1 ? DqHeads{parts.data() + (hk * splits + c) * gsize, qsize, s.D}
                                   : DqHeads{dq + g.q_at(b, kvh * g.group, 0), s.q_strides[1], s.q_strides[2]};
    DkvRows dkv{dk ? dk + g.k_at(b, kvh, 0) : nullptr, dv ? dv + g.v_at(b, kvh, 0) : nullptr, s.k_strides[2], s.v_strides[2]};
    if (gsplits > 1) {
      float* p = kvparts.data() + (hk * gsplits + gs) * 2 * kvsize;
      dkv = DkvRows{dk ? p : nullptr, dv ? p + kvsize : nullptr, s.D, s.D};
    }
    const int64_t gi0 = g.group * gs / gsplits, gi1 = g.group * (gs + 1) / gsplits;
    const int64_t kb0 = kblocks * c / splits, kb1 = kblocks * (c + 1) / splits;
    if (!tiles) return backward_task(dqh, dkv, dout, out, lse, q, k, v, g, b, kvh, kb0, kb1, gi0, gi1);
    amx::configure();
    backward_task_amx(dqh, dkv, dout, out, lse, q, k, v, g, b, kvh, kb0, kb1, gi0, gi1);
    amx::release();
  };
  const int64_t tasks = heads * splits * gsplits;
  if (small) for (int64_t t = 0; t < tasks; t++) task(t);
  else parallel_for(tasks, task);
  // dst's Tk rows (row stride ld) += a partial's.
  auto add_rows = [&](float* dst, int64_t ld, const float* src) {
    for (int64_t j = 0; j < s.Tk; j++)
      for (int64_t d = 0; d < s.D; d++) dst[j * ld + d] += src[j * s.D + d];
  };
  for (int64_t hk = 0; hk < heads && gsplits > 1; hk++) {
    const int64_t b = hk / s.Hkv, kvh = hk % s.Hkv;
    for (int64_t gs = 0; gs < gsplits; gs++) {
      const float* p = kvparts.data() + (hk * gsplits + gs) * 2 * kvsize;
      if (dk) add_rows(dk + g.k_at(b, kvh, 0), s.k_strides[2], p);
      if (dv) add_rows(dv + g.v_at(b, kvh, 0), s.v_strides[2], p + kvsize);
    }
  }
  if (parts.empty()) return;
  for (int64_t hk = 0; hk < heads; hk++)
    for (int64_t gi = 0; gi < g.group; gi++) {
      const int64_t b = hk / s.Hkv, h = (hk % s.Hkv) * g.group + gi;
      for (int64_t c = 0; c < splits; c++) {
        const float* src = parts.data() + (hk * splits + c) * gsize + gi * qsize;
        for (int64_t i = 0; i < s.Tq; i++) {
          float* dst = dq + g.q_at(b, h, i);
          for (int64_t d = 0; d < s.D; d++) dst[d] += src[i * s.D + d];
        }
      }
    }
}

}  // namespace ak
