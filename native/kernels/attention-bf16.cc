// attention.cc's walk with the bf16 permission on AMX tiles (attention-blocks.h): the block
// products from bfloat16-rounded operands (attention-amx.h's tiles and roundings), the passes over
// the scores and every sum in float32, as attention.cc makes them.
#include <algorithm>
#include <vector>

#include "attention-amx.h"
#include "attention-blocks.h"
#include "pool.h"
#include "scratch.h"

namespace ak::attn {
namespace {

thread_local ScratchBuffer t_scratch, t_query_side;  // a task's block buffers; its query blocks' roundings

}  // namespace

RoundedKv round_kv(const float* k, const float* v, const Geometry& g) {
  const AttentionShape& s = g.s;
  RoundedKv r;
  r.Dk = (s.D + 31) / 32 * 32;
  r.rows = (s.Tk + kBk + 1) / 2 * 2;
  const int64_t heads = s.B * s.Hkv;
  r.k.resize(static_cast<size_t>(heads * r.rows * r.Dk));
  r.v.resize(static_cast<size_t>(heads * r.rows / 2 * r.Dk));
  parallel_for(heads, [&](int64_t t) {
    const int64_t b = t / s.Hkv, h = t % s.Hkv;
    amx::rows_bf16(r.k.data() + t * r.rows * r.Dk, k + g.k_at(b, h, 0), s.k_strides[2], s.Tk, s.D, r.rows, r.Dk);
    amx::row_pairs(r.v.data() + t * r.rows / 2 * r.Dk, v + g.v_at(b, h, 0), s.v_strides[2], s.Tk, s.D, r.rows, r.Dk);
  });
  return r;
}

// forward_block with the bf16 path's products on AMX tiles (attention-amx.h): Sᵀ = K·Qᵀ from K's
// rounded rows and Qᵀ's pairs; O += P·V from P's rounded rows (the probabilities rounded, their
// sum l kept in float32) and V's pairs. Blocks are whole (64 keys, 64 queries, D rounded up to 32):
// a causal block's products cover the whole block, and keys past the block's last (or past the
// causal band) meet probabilities of 0.
void forward_block_amx(float* out, float* lse, const float* q, const float* v, const RoundedKv& kv, const Geometry& g,
                       int64_t b, int64_t h, int64_t i0) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, Dk = kv.Dk, nq = std::min(kBq, s.Tq - i0), head = b * s.Hkv + h / g.group;
  // Scratch (floats): Sᵀ (kBk × kBq), O (kBq × Dk); bfloat16 P rows (kBq × kBk); pairs of Qᵀ
  // (Dk/2 × kBq) and of a V block that starts on an odd row (kBk/2 × Dk).
  float* ST = t_scratch.get(static_cast<size_t>(kBk * kBq + kBq * Dk + kBq * kBk / 2 + Dk * kBq / 2 + kBk * Dk / 2));
  float* O = ST + kBk * kBq;
  uint16_t* Pb = reinterpret_cast<uint16_t*>(O + kBq * Dk);
  uint32_t* Qp = reinterpret_cast<uint32_t*>(Pb + kBq * kBk);
  uint32_t* Vodd = Qp + Dk / 2 * kBq;
  amx::col_pairs(Qp, q + g.q_at(b, h, i0), s.q_strides[2], nq, D, kBq, Dk);
  std::fill(O, O + kBq * Dk, 0.f);
  alignas(64) float m[kBq], l[kBq], corr[kBq];
  std::fill(m, m + kBq, kNegInf);
  std::fill(l, l + kBq, 0.f);
  const int64_t jend = g.last_key(i0 + nq - 1) + 1;
  for (int64_t j0 = first_block(g, b, h, i0, nq, jend); j0 < jend; j0 += kBk) {
    const int64_t nk = std::min(kBk, jend - j0), delta = g.delta(i0, j0);
    amx::mm(kBk, kBq, Dk, kv.k_rows(head, j0), Dk, Qp, kBq, ST, kBq, false, kBk, kBq);
    scores(ST, nullptr, kBq, nk, nq, &g, b, h, i0, j0);
    online(ST, kBq, nk, nq, delta, m, l, nullptr, 0, D, corr);
    for (int64_t r = 0; r < nq; r++)
      if (corr[r] != 1.f) for (int64_t d = 0; d < D; d++) O[r * Dk + d] *= corr[r];
    amx::cols_bf16(Pb, ST, kBq, nk, kBq, kBk, kBq);
    const uint32_t* V = kv.v_pairs(head, j0);
    if (j0 % 2) {
      amx::row_pairs(Vodd, v + g.v_at(b, h / g.group, j0), s.v_strides[2], nk, D, kBk, Dk);
      V = Vodd;
    }
    amx::mm(kBq, Dk, kBk, Pb, kBk, V, Dk, O, Dk, true, kBq, Dk);
  }
  finish_rows(out, lse, O, Dk, m, l, g, b, h, i0, nq);
}

// backward_task with the bf16 path's five products on AMX tiles, from rounded operands: Sᵀ = K·Qᵀ
// as the forward made it; dV += Pᵀ·dO; dPᵀ = V·dOᵀ; dQ += dS·K; dK += dSᵀ·Q. A key block's K and
// V (rows, and K's pairs) are rounded once for the query blocks that meet it, and a query block's
// Q and dO (pairs of their rows and of their transposes) once for the key blocks that meet it: on
// first use, kept for the task (causal, each query block meets every key block up to its own).
void backward_task_amx(const DqHeads& dqh, const DkvRows& dkv, const float* dout, const float* out, const float* lse,
                       const float* q, const float* k, const float* v, const Geometry& g, int64_t b, int64_t kvh,
                       int64_t kb0, int64_t kb1, int64_t gi0, int64_t gi1) {
  const AttentionShape& s = g.s;
  const int64_t D = s.D, Dk = (D + 31) / 32 * 32, qrs = s.q_strides[2], ors = s.o_strides[2];
  const bool want_dq = dqh.p != nullptr;
  const int64_t capped = s.softcap > 0.f ? kBk * kBq : 0;
  // Scratch (floats): Pᵀ, dSᵀ (kBk × kBq), the soft-cap's 1 − tanh²; bfloat16 K and V rows
  // (kBk × Dk), Pᵀ and dSᵀ rows (kBk × kBq), dS rows (kBq × kBk); pairs of K (kBk/2 × Dk).
  const int64_t halves = 2 * kBk * Dk + 3 * kBk * kBq, words = kBk / 2 * Dk;
  float* PT = t_scratch.get(static_cast<size_t>(2 * kBk * kBq + capped + halves / 2 + words));
  float *dST = PT + kBk * kBq, *dcap = capped ? dST + kBk * kBq : nullptr;
  uint16_t* Kb = reinterpret_cast<uint16_t*>(dST + kBk * kBq + capped);
  uint16_t *Vb = Kb + kBk * Dk, *Pb = Vb + kBk * Dk, *dSTb = Pb + kBk * kBq, *dSb = dSTb + kBk * kBq;
  uint32_t* Kp = reinterpret_cast<uint32_t*>(dSb + kBq * kBk);
  // The query side of (head gi, query block qb): pairs of Qᵀ and dOᵀ (Dk/2 × kBq each), of Q and
  // dO (kBq/2 × Dk each), at side + ((gi − gi0)·qblocks + qb)·per words; one slot more after them
  // for a block that does not start at a multiple of kBq (Tq < Tk), converted at each use.
  const int64_t qblocks = (s.Tq + kBq - 1) / kBq, per = 4 * kBq / 2 * Dk, spare = (gi1 - gi0) * qblocks;
  uint32_t* side = reinterpret_cast<uint32_t*>(t_query_side.get(static_cast<size_t>((spare + 1) * per)));
  std::vector<char> ready(static_cast<size_t>(spare), 0);
  const std::vector<float> Di = output_dots(dout, out, g, b, kvh, gi0, gi1);
  for (int64_t j0 = kb0 * kBk; j0 < std::min(s.Tk, kb1 * kBk); j0 += kBk) {
    const int64_t nk = std::min(kBk, s.Tk - j0);
    const float *Kj = k + g.k_at(b, kvh, j0), *Vj = v + g.v_at(b, kvh, j0);
    float *dKj = dkv.dk ? dkv.dk + j0 * dkv.ldk : nullptr, *dVj = dkv.dv ? dkv.dv + j0 * dkv.ldv : nullptr;
    amx::rows_bf16(Kb, Kj, s.k_strides[2], nk, D, kBk, Dk);
    amx::rows_bf16(Vb, Vj, s.v_strides[2], nk, D, kBk, Dk);
    if (want_dq) amx::row_pairs(Kp, Kj, s.k_strides[2], nk, D, kBk, Dk);
    const int64_t ist = g.first_query(j0), iend = g.query_end(j0, nk);
    for (int64_t gi = gi0; gi < gi1; gi++) {
      const int64_t h = kvh * g.group + gi, row0 = (b * s.H + h) * s.Tq;
      const DqRows dq = dqh.of(gi);
      for (int64_t i0 = ist; i0 < iend; i0 += kBq) {
        const int64_t nq = std::min(kBq, s.Tq - i0), delta = g.delta(i0, j0);
        const float *Q = q + g.q_at(b, h, i0), *dO = dout + g.o_at(b, h, i0);
        const bool aligned = i0 % kBq == 0;
        const int64_t slot = aligned ? (gi - gi0) * qblocks + i0 / kBq : spare;
        uint32_t *Qt = side + slot * per, *dOt = Qt + Dk / 2 * kBq, *Qp = dOt + Dk / 2 * kBq, *dOp = Qp + kBq / 2 * Dk;
        if (!aligned || !ready[slot]) {
          amx::col_pairs(Qt, Q, qrs, nq, D, kBq, Dk);
          if (want_dq || dKj) amx::col_pairs(dOt, dO, ors, nq, D, kBq, Dk);
          if (dKj) amx::row_pairs(Qp, Q, qrs, nq, D, kBq, Dk);
          if (dVj) amx::row_pairs(dOp, dO, ors, nq, D, kBq, Dk);
          if (aligned) ready[slot] = 1;
        }
        amx::mm(kBk, kBq, Dk, Kb, Dk, Qt, kBq, PT, kBq, false, kBk, kBq);
        scores(PT, dcap, kBq, nk, nq, &g, b, h, i0, j0);
        probs(PT, kBq, nk, nq, delta, lse + row0 + i0);
        if (dVj) {
          amx::rows_bf16(Pb, PT, kBq, nk, kBq, kBk, kBq);
          amx::mm(kBk, Dk, kBq, Pb, kBq, dOp, Dk, dVj, dkv.ldv, true, nk, D);
        }
        if (!want_dq && !dKj) continue;
        amx::mm(kBk, kBq, Dk, Vb, Dk, dOt, kBq, dST, kBq, false, kBk, kBq);
        dscores(dST, PT, dcap, kBq, nk, nq, Di.data() + gi * s.Tq + i0, s.scale, delta);
        if (want_dq) {
          amx::cols_bf16(dSb, dST, kBq, nk, kBq, kBk, kBq);
          amx::mm(kBq, Dk, kBk, dSb, kBk, Kp, Dk, dq.p + i0 * dq.ld, dq.ld, true, nq, D);
        }
        if (dKj) {
          amx::rows_bf16(dSTb, dST, kBq, nk, kBq, kBk, kBq);
          amx::mm(kBk, Dk, kBq, dSTb, kBq, Qp, Dk, dKj, dkv.ldk, true, nk, D);
        }
      }
    }
  }
}

}  // namespace ak::attn
