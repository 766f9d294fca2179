// What attention.cc's float32 path and attention-bf16.cc's AMX path share: the block sizes, a
// call's geometry (which query sees which key, where each row lies), the elementwise passes over a
// block of scores (attention.cc, compiled per ISA), and where a backward task writes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels.h"

namespace ak::attn {

constexpr int64_t kBq = 64, kBk = 64;  // 64×64 score blocks: 16 KiB, in L1 with their K rows
constexpr float kNegInf = -__builtin_inff();
constexpr int64_t kSeesAll = INT64_MAX / 4;  // band offset of a non-causal block

struct Geometry {
  const AttentionShape& s;
  int64_t group;
  // The last key that query i may see (−1 and below: none).
  int64_t last_key(int64_t i) const { return s.causal ? std::min(s.Tk - 1, i + s.Tk - s.Tq) : s.Tk - 1; }
  // Key j0 + c is visible to query i0 + r when c ≤ r + delta.
  int64_t delta(int64_t i0, int64_t j0) const { return s.causal ? i0 + s.Tk - s.Tq - j0 : kSeesAll; }
  // The first key query i sees: 0, or the window's edge i + Tk − Tq − window + 1.
  int64_t first_key(int64_t i) const { return s.window > 0 ? std::max<int64_t>(0, i + s.Tk - s.Tq - s.window + 1) : 0; }
  // The queries that see keys [j0, j0 + nk): causal, query i sees key j0 only from i = j0 − (Tk −
  // Tq) on; a window's last query for key j0 + nk − 1 is j0 + nk − 1 + window − 1 − (Tk − Tq).
  int64_t first_query(int64_t j0) const { return s.causal ? std::max<int64_t>(0, j0 - (s.Tk - s.Tq)) : 0; }
  int64_t query_end(int64_t j0, int64_t nk) const {
    return s.window > 0 ? std::min(s.Tq, j0 + nk + s.window - 1 - (s.Tk - s.Tq)) : s.Tq;
  }
  // Query i0 + r sees key j0 + c only when r < c − delta + window (the window's far edge).
  int64_t window_end(int64_t c, int64_t delta, int64_t nq) const {
    return s.window > 0 ? std::clamp<int64_t>(c - delta + s.window, 0, nq) : nq;
  }
  const float* mask_row(int64_t b, int64_t h, int64_t i) const {
    return s.mask ? s.mask + b * s.mask_strides[0] + h * s.mask_strides[1] + i * s.mask_strides[2] : nullptr;
  }
  int64_t q_at(int64_t b, int64_t h, int64_t i) const { return b * s.q_strides[0] + h * s.q_strides[1] + i * s.q_strides[2]; }
  int64_t k_at(int64_t b, int64_t h, int64_t j) const { return b * s.k_strides[0] + h * s.k_strides[1] + j * s.k_strides[2]; }
  int64_t v_at(int64_t b, int64_t h, int64_t j) const { return b * s.v_strides[0] + h * s.v_strides[1] + j * s.v_strides[2]; }
  int64_t o_at(int64_t b, int64_t h, int64_t i) const { return b * s.o_strides[0] + h * s.o_strides[1] + i * s.o_strides[2]; }
};

// Where a task writes the dq rows of one head: dq itself or a private partial (row stride ld).
struct DqRows {
  float* p;
  int64_t ld;
};

// Where a task's query heads write theirs: head gi's rows from p + gi·step, ld apart (p null: no dq).
struct DqHeads {
  float* p;
  int64_t step, ld;
  DqRows of(int64_t gi) const { return DqRows{p ? p + gi * step : nullptr, ld}; }
};

// Where a task adds its dk and dv rows of one kv head: row 0 of each, and their row stride.
struct DkvRows {
  float *dk, *dv;
  int64_t ldk, ldv;
};

// The passes over a block's scores Sᵀ (keys × queries, row stride ld; attention.cc):
// Sᵀ ← scale·Sᵀ (soft-capped, masked, −∞ where a key is not visible; with dcap, 1 − tanh² beside it);
void scores(float* ST, float* dcap, int64_t ld, int64_t nk, int64_t nq, const Geometry* g, int64_t b, int64_t h,
            int64_t i0, int64_t j0);
// the online softmax's step: Pᵀ = exp(Sᵀ − m_new), m and l updated, O's rows rescaled (or, with
// corr_out, each query's factor handed back instead);
void online(float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, float* m, float* l, float* O, int64_t ldo,
            int64_t D, float* corr_out);
// the backward's Pᵀ = exp(Sᵀ − lse);
void probs(float* ST, int64_t ld, int64_t nk, int64_t nq, int64_t delta, const float* lse);
// and dSᵀ = Pᵀ ⊙ (dPᵀ − D_r)·scale (times dcap) in place of dPᵀ.
void dscores(float* dPT, const float* PT, const float* dcap, int64_t ld, int64_t nk, int64_t nq, const float* Di,
             float scale, int64_t delta);
// The first key block a query block's walk visits (see attention.cc).
int64_t first_block(const Geometry& g, int64_t b, int64_t h, int64_t i0, int64_t nq, int64_t jend);
// A query block's output rows O / l and their lse (−∞ and zeros where no key was seen).
void finish_rows(float* out, float* lse, const float* O, int64_t ldo, const float* m, const float* l, const Geometry& g,
                 int64_t b, int64_t h, int64_t i0, int64_t nq);
// D_r = dO_r · O_r for every query row of the group's heads [gi0, gi1) (at gi·Tq + r).
std::vector<float> output_dots(const float* dout, const float* out, const Geometry& g, int64_t b, int64_t kvh,
                               int64_t gi0, int64_t gi1);

// The bf16 path's blocks on AMX tiles (attention-bf16.cc), each between amx::configure() and
// amx::release() on its thread.

// The rounded keys and values of one kv head for forward_block_amx, made once per call: K's rows
// as bfloat16 (the left operand of Sᵀ = K·Qᵀ) and V's rows as pairs from row 0 (the right operand
// of O += P·V), each with kBk rows of zeros past Tk, so that a block's tiles never read past them.
struct RoundedKv {
  std::vector<uint16_t> k;
  std::vector<uint32_t> v;
  int64_t rows, Dk;  // rows a head (Tk + kBk, even), Dk = D rounded up to 32
  const uint16_t* k_rows(int64_t head, int64_t j0) const { return k.data() + (head * rows + j0) * Dk; }
  const uint32_t* v_pairs(int64_t head, int64_t j0) const { return v.data() + (head * rows + j0) / 2 * Dk; }
};

RoundedKv round_kv(const float* k, const float* v, const Geometry& g);
// forward_block's work for (b, h, query block i0).
void forward_block_amx(float* out, float* lse, const float* q, const float* v, const RoundedKv& kv, const Geometry& g,
                       int64_t b, int64_t h, int64_t i0);
// backward_task's work for kv head (b, kvh), key blocks [kb0, kb1), query heads [gi0, gi1).
void backward_task_amx(const DqHeads& dq, const DkvRows& dkv, const float* dout, const float* out, const float* lse,
                       const float* q, const float* k, const float* v, const Geometry& g, int64_t b, int64_t kvh,
                       int64_t kb0, int64_t kb1, int64_t gi0, int64_t gi1);

}  // namespace ak::attn
