// One Llama-layout decoder layer for a decoding step, in one native call (issue 20, batch-1
// decoding): the ~20 kernel calls src/model/sampling/decode/llama.ts makes per layer (norm, q/k/v,
// RoPE, attention over the RowCache, o, residual, norm, gate/up, activation, down, residual), made
// from C++ to the same kernels with the same arguments in the same order, so the numbers are
// those of the TypeScript step bit for bit (test/golden/families/decoder.test.ts) without a
// JavaScript → native crossing, argument check and Dims array per kernel. Two places differ in
// how the work is shared out, not in what is summed (see project_all and heads_matmul).
#include <algorithm>
#include <initializer_list>

#include "cpu.h"
#include "gemm.h"
#include "gemm-bf16.h"
#include "half16.h"
#include "kernels.h"
#include "pool.h"

namespace ak {
namespace {

// out's M rows of N set to w's bias, where it has one: what the product then accumulates onto.
// Returns whether it had one.
bool bias_rows(float* out, const DecodeWeight& w, int64_t M, int64_t N) {
  if (w.bias)
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) out[m * N + n] = w.bias[n];
  return w.bias != nullptr;
}

// x·Wᵀ (+ bias) as steps.ts's project: the bias copied into each row, then the accumulating product
// (halfProduct's choice of kernel for a 16-bit weight).
void project(const DecodeLayer& l, float* out, const float* x, int64_t M, const DecodeWeight& w, int64_t N, int64_t K) {
  const bool acc = bias_rows(out, w, M, N);
  if (w.half && w.bf16 && l.bf16_dot) matmul_bf16dot(out, x, static_cast<const uint16_t*>(w.p), M, N, K, true, acc);
  else if (w.half) matmul_half(out, x, static_cast<const uint16_t*>(w.p), w.bf16, M, N, K, true, acc);
  else matmul(out, x, static_cast<const float*>(w.p), 1, M, N, K, false, true, 0, 0, 0, acc);
}

// The projections that read the same x (q, k and v; gate and up) in one parallel region, their
// output rows cut into chunks across the threads (issue 20, task i20n). Apart, each is one pool
// hand-off and join, and k and v (192 rows at SmolLM2's shape) are under sgemm_thin's threshold,
// so one core streams them alone. Each output element is still the one sum half_dots_avx512 makes
// for it when matmul_half runs the projection by itself (gemm-half.cc's thin path on AVX-512), so
// the bits are project()'s; elsewhere (float32 weights, other ISAs, more than 4 rows) project(),
// except under bf16 compute on AMX (below).
struct Part {
  float* out;
  const DecodeWeight& w;
  int64_t N;
};

void project_all(const DecodeLayer& l, const float* x, int64_t M, int64_t K, std::initializer_list<Part> parts) {
#ifdef AK_X86
  // Under bf16 compute on AMX, the parts' products in one call (matmul_bf16_amx_parts): x rounded
  // and packed once, every part's blocks of W in one parallel region, each output the sum
  // project()'s matmul_bf16dot makes for it. Apart, k and v (128 rows each at Qwen2.5-0.5B) were
  // each a pack of x and a hand-off and join for 4 blocks of W.
  if (!l.separate && l.bf16_dot && K > 0 && parts.size() <= 3 && has_amx()) {
    bool all = true;
    for (const Part& p : parts) all = all && p.w.half && p.w.bf16;
    if (all) {
      AmxPart amx[3];
      int64_t n = 0;
      for (const Part& p : parts) {
        const bool acc = bias_rows(p.out, p.w, M, p.N);
        amx[n++] = AmxPart{p.out, static_cast<const uint16_t*>(p.w.p), p.N, acc};
      }
      matmul_bf16_amx_parts(x, M, K, amx, n);
      return;
    }
  }
#endif
  bool grouped = !l.separate && !l.bf16_dot && M <= 4 && K > 0;
#ifdef AK_X86
  grouped = grouped && isa() == Isa::avx512;
#else
  grouped = false;
#endif
  for (const Part& p : parts) grouped = grouped && p.w.half && p.w.bf16 == parts.begin()->w.bf16;
  if (!grouped) {
    for (const Part& p : parts) project(l, p.out, x, M, p.w, p.N, K);
    return;
  }
#ifdef AK_X86
  int64_t total = 0;
  for (const Part& p : parts) {
    bias_rows(p.out, p.w, M, p.N);
    total += p.N;
  }
  auto rows = [&](int64_t lo, int64_t hi) {
    int64_t at = 0;
    for (const Part& p : parts) {
      const int64_t j0 = std::max(lo - at, int64_t(0)), j1 = std::min(hi - at, p.N);
      if (j0 < j1)
        gemm::half_dots_avx512(M, K, x, K, static_cast<const uint16_t*>(p.w.p), K, p.w.bf16, p.out, p.N,
                               p.w.bias != nullptr, j0, j1);
      at += p.N;
    }
  };
  parallel_range(total, 64, rows);
#endif
}

void add_into(float* x, const float* y, int64_t n) { binary_forward(BinaryOp::add, x, x, Dims{1}, y, Dims{1}, Dims{n}); }

// steps.ts's rotate: x·cos + rotate_half(x)·sin, each product rounded to float32 before the sum
// (applyRope's mul, mul, add), hence no contraction into a fused multiply-add here.
__attribute__((optimize("fp-contract=off"))) void rotate(float* dst, int64_t dst_row, int64_t dst_at, const float* src,
                                                           int64_t rows, int64_t heads, int64_t D, const float* cos,
                                                           const float* sin) {
  const int64_t half = D / 2;
  for (int64_t r = 0; r < rows; r++) {
    const float* x = src + r * D;
    const int64_t t = (r / heads) * D;
    float* o = dst + r * dst_row + dst_at;
    for (int64_t d = 0; d < D; d++) {
      const float rot = d < half ? -x[d + half] : x[d - half];
      const float a = x[d] * cos[t + d], b = rot * sin[t + d];
      o[d] = a + b;
    }
  }
}

// matmul over `batch` heads' products. matmul hands them to the pool when there are several
// (one per key/value head); at batch 1 over a short cache that is a few µs of hand-off and join
// for about as much work, twice per layer (issue 20, task i20n), so below kParallelWork's 2^18
// multiply-adds in all they run here one after the other. Either way each head's product is
// sgemm's with no thread split (none pays below 2^18), so its bits are the same.
void heads_matmul(const DecodeLayer& l, float* out, const float* a, const float* b, int64_t batch, int64_t M, int64_t N,
                  int64_t K, bool transB, int64_t sa, int64_t sb, int64_t so) {
  if (l.separate || double(batch) * M * N * K >= double(1 << 18)) {
    matmul(out, a, b, batch, M, N, K, false, transB, sa, sb, so, false);
    return;
  }
  for (int64_t t = 0; t < batch; t++) matmul(out + t * so, a + t * sa, b + t * sb, 1, M, N, K, false, transB, 0, 0, 0, false);
}

// steps.ts's attend over the first Tk rows of the cache (a window's last rows only).
void attend(const DecodeLayer& l, const DecodeScratch& s, const float* q) {
  const int64_t B = l.B, H = l.H, Hkv = l.Hkv, D = l.D, Tk = l.Tk, cap = l.cap, g = H / Hkv;
  const int64_t j0 = l.window > 0 && l.window < Tk ? Tk - l.window : 0, n = Tk - j0, m = B * H * n;
  const Dims shape{B, H, 1, n}, row_major{H * n, n, n, 1}, scalar{0, 0, 0, 0};
  heads_matmul(l, s.s, q, l.kcache + j0 * D, B * Hkv, g, n, D, true, g * D, cap * D, g * n);
  binary_forward(BinaryOp::mul, s.s, s.s, row_major, &l.scale, scalar, shape);
  if (l.softcap > 0) {
    binary_forward(BinaryOp::div, s.s, s.s, row_major, &l.softcap, scalar, shape);
    unary_forward(UnaryOp::tanh, s.s, s.s, m, 0.f);
    binary_forward(BinaryOp::mul, s.s, s.s, row_major, &l.softcap, scalar, shape);
  }
  binary_forward(BinaryOp::add, s.s, s.s, row_major, l.key_mask + j0, Dims{Tk, 0, 0, 1}, shape);
  softmax_forward(s.p, s.s, B * H, n);
  heads_matmul(l, s.o, s.p, l.vcache + j0 * D, B * Hkv, g, D, n, false, g * n, cap * D, g * D);
}

// x += o_proj(attention(norm(x))), this token's rotated key and its value written into row L.
void attention(const DecodeLayer& l, const DecodeScratch& s) {
  const int64_t B = l.B, C = l.C, H = l.H, Hkv = l.Hkv, D = l.D;
  rms_norm_forward(s.h, s.rstd, s.x, l.in_norm, B, C, l.eps);
  project_all(l, s.h, B, C, {{s.q, l.q, H * D}, {s.k, l.k, Hkv * D}, {s.v, l.v, Hkv * D}});
  const float *qs = s.q, *ks = s.k;
  if (l.q_norm) {
    rms_norm_forward(s.o, s.rstd, s.q, l.q_norm, B * H, D, l.eps);
    rms_norm_forward(s.kn, s.rstd, s.k, l.k_norm, B * Hkv, D, l.eps);
    qs = s.o;
    ks = s.kn;
  }
  rotate(s.qr, D, 0, qs, B * H, H, D, l.cos, l.sin);
  if (l.kcache16) {
    rotate(s.kr, D, 0, ks, B * Hkv, Hkv, D, l.cos, l.sin);
    round_rows_bf16(l.kcache16, l.cap * D, l.L * D, s.kr, B * Hkv, D);
    round_rows_bf16(l.vcache16, l.cap * D, l.L * D, s.v, B * Hkv, D);
    const int64_t mask_strides[3] = {l.Tk, 0, 1};
    attention_decode_half(s.o, s.qr, l.kcache16, l.vcache16, l.key_mask, mask_strides, B, H, Hkv, l.cap, l.Tk, D, l.scale,
                          l.softcap, l.window > 0 && l.window < l.Tk ? l.window : 0);
  } else {
    rotate(l.kcache, l.cap * D, l.L * D, ks, B * Hkv, Hkv, D, l.cos, l.sin);
    for (int64_t r = 0; r < B * Hkv; r++)
      for (int64_t d = 0; d < D; d++) l.vcache[(r * l.cap + l.L) * D + d] = s.v[r * D + d];
    attend(l, s, s.qr);
  }
  project(l, s.t, s.o, B, l.o, C, H * D);
  if (l.post_attn_norm) {
    rms_norm_forward(s.h, s.rstd, s.t, l.post_attn_norm, B, C, l.eps);
    add_into(s.x, s.h, B * C);
  } else {
    add_into(s.x, s.t, B * C);
  }
}

// x += down(act(gate(h)) ⊙ up(h)) with h = norm(x).
void mlp(const DecodeLayer& l, const DecodeScratch& s) {
  const int64_t B = l.B, C = l.C, F = l.F;
  rms_norm_forward(s.h, s.rstd, s.x, l.mlp_norm, B, C, l.eps);
  project_all(l, s.h, B, C, {{s.gate, l.gate, F}, {s.up, l.up, F}});
  glu_forward(s.gate, s.gate, s.up, B * F, l.gelu);
  project(l, s.t, s.gate, B, l.down, C, F);
  if (l.post_mlp_norm) {
    rms_norm_forward(s.h, s.rstd, s.t, l.post_mlp_norm, B, C, l.eps);
    add_into(s.x, s.h, B * C);
  } else {
    add_into(s.x, s.t, B * C);
  }
}

}  // namespace

void decode_layer(const DecodeLayer& l, const DecodeScratch& s) {
  attention(l, s);
  mlp(l, s);
}

}  // namespace ak
