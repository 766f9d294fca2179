// Elementwise kernels: the unary table, GELU and SiLU, the fused AdamW step and Σx².
// Each body is compiled per ISA by AK_MULTIVERSION and split over threads in chunks.
#include <cmath>
#include <vector>

#include "cpu.h"
#include "half16.h"
#include "kernels.h"
#include "pool.h"
#include "vmath.h"

namespace ak {
namespace {

// Memory-bound loops gain from a second thread only past a few hundred KiB.
constexpr int64_t kGrain = 1 << 15;

static AK_INLINE void unary_fwd_body(UnaryOp op, float* out, const float* inp, int64_t n, float p) {
  switch (op) {
    case UnaryOp::neg: for (int64_t i = 0; i < n; i++) out[i] = -inp[i]; break;
    case UnaryOp::exp: for (int64_t i = 0; i < n; i++) out[i] = exp_f(inp[i]); break;
    case UnaryOp::log: for (int64_t i = 0; i < n; i++) out[i] = std::log(inp[i]); break;
    case UnaryOp::sqrt: for (int64_t i = 0; i < n; i++) out[i] = std::sqrt(inp[i]); break;
    case UnaryOp::tanh: for (int64_t i = 0; i < n; i++) out[i] = std::tanh(inp[i]); break;
    case UnaryOp::relu: for (int64_t i = 0; i < n; i++) out[i] = inp[i] > 0.f ? inp[i] : 0.f; break;
    case UnaryOp::pow: for (int64_t i = 0; i < n; i++) out[i] = std::pow(inp[i], p); break;
  }
}

static AK_INLINE void unary_bwd_body(UnaryOp op, float* dinp, const float* dout, const float* inp, const float* out,
                                     int64_t n, float p) {
  switch (op) {
    case UnaryOp::neg: for (int64_t i = 0; i < n; i++) dinp[i] -= dout[i]; break;
    case UnaryOp::exp: for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i]; break;
    case UnaryOp::log: for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] / inp[i]; break;
    case UnaryOp::sqrt: for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * 0.5f / out[i]; break;
    case UnaryOp::tanh: for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.f - out[i] * out[i]); break;
    case UnaryOp::relu: for (int64_t i = 0; i < n; i++) dinp[i] += inp[i] > 0.f ? dout[i] : 0.f; break;
    case UnaryOp::pow: for (int64_t i = 0; i < n; i++) dinp[i] += dout[i] * p * std::pow(inp[i], p - 1.f); break;
  }
}

// GELU, tanh form (Hendrycks & Gimpel 2016), rewritten with 1 + tanh(u) = 2σ(2u) so that the
// negative tail is x·σ(2u), accurate in float, instead of x·(1 + tanh u), which cancels to 0.
constexpr float kGeluS = 0.7978845608028654f;  // √(2/π)
constexpr float kGeluC = 0.044715f;

static AK_INLINE void gelu_fwd_body(float* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float x = inp[i], u = kGeluS * (x + kGeluC * x * x * x);
    out[i] = x * sigmoid_f(2.f * u);
  }
}

// d/dx = ½(1 + t) + ½x(1 − t²)u′ with t = tanh u, i.e. s + 2x·s(1 − s)·u′ with s = σ(2u).
static AK_INLINE void gelu_bwd_body(float* dinp, const float* inp, const float* dout, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float x = inp[i], u = kGeluS * (x + kGeluC * x * x * x);
    float s = sigmoid_f(2.f * u), du = kGeluS * (1.f + 3.f * kGeluC * x * x);
    dinp[i] += dout[i] * (s + 2.f * x * s * (1.f - s) * du);
  }
}

static AK_INLINE void silu_fwd_body(float* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = inp[i] * sigmoid_f(inp[i]);
}

static AK_INLINE void silu_bwd_body(float* dinp, const float* inp, const float* dout, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float s = sigmoid_f(inp[i]);
    dinp[i] += dout[i] * s * (1.f + inp[i] * (1.f - s));
  }
}

// The GLU's backward in one pass (see glu_backward in kernels.h): the activation recomputed as
// silu_fwd_body / gelu_fwd_body make it, dUp = g·act, dAct = g·up, and dGate += dAct·act′ as
// silu_bwd_body / gelu_bwd_body add it — each value the expression the separate passes store.
template <bool kGelu, bool kGate, bool kUp, bool kUpFresh>
static AK_INLINE void glu_bwd_loop(float* dgate, float* dup, const float* g, const float* gate, const float* up,
                                   int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    // s: GELU's σ(2u) or SiLU's σ(x); act = x·s either way.
    const float x = gate[i], u = kGelu ? kGeluS * (x + kGeluC * x * x * x) : 0.f;
    const float s = kGelu ? sigmoid_f(2.f * u) : sigmoid_f(x), act = x * s;
    if constexpr (kUp) {
      if constexpr (kUpFresh) dup[i] = g[i] * act;
      else dup[i] += g[i] * act;
    }
    if constexpr (kGate) {
      const float da = g[i] * up[i];
      if constexpr (kGelu) dgate[i] += da * (s + 2.f * x * s * (1.f - s) * (kGeluS * (1.f + 3.f * kGeluC * x * x)));
      else dgate[i] += da * s * (1.f + x * (1.f - s));
    }
  }
}

template <bool kGelu>
static AK_INLINE void glu_bwd_act(float* dgate, float* dup, const float* g, const float* gate, const float* up,
                                  int64_t n, bool up_fresh) {
  if (dgate && dup && up_fresh) glu_bwd_loop<kGelu, true, true, true>(dgate, dup, g, gate, up, n);
  else if (dgate && dup) glu_bwd_loop<kGelu, true, true, false>(dgate, dup, g, gate, up, n);
  else if (dgate) glu_bwd_loop<kGelu, true, false, false>(dgate, dup, g, gate, up, n);
  else if (up_fresh) glu_bwd_loop<kGelu, false, true, true>(dgate, dup, g, gate, up, n);
  else glu_bwd_loop<kGelu, false, true, false>(dgate, dup, g, gate, up, n);
}

static AK_INLINE void glu_bwd_body(float* dgate, float* dup, const float* g, const float* gate, const float* up,
                                   int64_t n, bool gelu, bool up_fresh) {
  if (gelu) glu_bwd_act<true>(dgate, dup, g, gate, up, n, up_fresh);
  else glu_bwd_act<false>(dgate, dup, g, gate, up, n, up_fresh);
}

static AK_INLINE double sum_squares_body(const float* inp, int64_t n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += double(inp[i]) * double(inp[i]);
  return s;
}

struct Adam {
  float lr, beta1, beta2, eps, decay, inv_bc1, inv_bc2;
};

static AK_INLINE void adamw_body(float* param, const float* grad, float* m, float* v, int64_t n, Adam a) {
  for (int64_t i = 0; i < n; i++) {
    float g = grad[i];
    float mi = a.beta1 * m[i] + (1.f - a.beta1) * g;
    float vi = a.beta2 * v[i] + (1.f - a.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] * a.decay - a.lr * (mi * a.inv_bc1) / (std::sqrt(vi * a.inv_bc2) + a.eps);
  }
}

AK_MULTIVERSION(void, unary_fwd, unary_fwd_body, (UnaryOp op, float* out, const float* inp, int64_t n, float p),
                (op, out, inp, n, p))
AK_MULTIVERSION(void, unary_bwd, unary_bwd_body,
                (UnaryOp op, float* dinp, const float* dout, const float* inp, const float* out, int64_t n, float p),
                (op, dinp, dout, inp, out, n, p))
AK_MULTIVERSION(void, gelu_fwd, gelu_fwd_body, (float* out, const float* inp, int64_t n), (out, inp, n))
AK_MULTIVERSION(void, gelu_bwd, gelu_bwd_body, (float* dinp, const float* inp, const float* dout, int64_t n),
                (dinp, inp, dout, n))
AK_MULTIVERSION(void, silu_fwd, silu_fwd_body, (float* out, const float* inp, int64_t n), (out, inp, n))
AK_MULTIVERSION(void, silu_bwd, silu_bwd_body, (float* dinp, const float* inp, const float* dout, int64_t n),
                (dinp, inp, dout, n))
AK_MULTIVERSION(void, glu_bwd, glu_bwd_body,
                (float* dgate, float* dup, const float* g, const float* gate, const float* up, int64_t n, bool gelu,
                 bool up_fresh),
                (dgate, dup, g, gate, up, n, gelu, up_fresh))
AK_MULTIVERSION(double, sum_sq, sum_squares_body, (const float* inp, int64_t n), (inp, n))
AK_MULTIVERSION(void, adamw, adamw_body, (float* param, const float* grad, float* m, float* v, int64_t n, Adam a),
                (param, grad, m, v, n, a))

#define AK_CHUNKED(n, call) parallel_range(n, kGrain, [&](int64_t lo, int64_t hi) { call; })

}  // namespace

void unary_forward(UnaryOp op, float* out, const float* inp, int64_t n, float p) {
  AK_CHUNKED(n, unary_fwd(op, out + lo, inp + lo, hi - lo, p));
}
void unary_backward(UnaryOp op, float* dinp, const float* dout, const float* inp, const float* out, int64_t n,
                    float p) {
  AK_CHUNKED(n, unary_bwd(op, dinp + lo, dout + lo, inp + lo, out + lo, hi - lo, p));
}
void gelu_forward(float* out, const float* inp, int64_t n) { AK_CHUNKED(n, gelu_fwd(out + lo, inp + lo, hi - lo)); }
void gelu_backward(float* dinp, const float* inp, const float* dout, int64_t n) {
  AK_CHUNKED(n, gelu_bwd(dinp + lo, inp + lo, dout + lo, hi - lo));
}
void silu_forward(float* out, const float* inp, int64_t n) { AK_CHUNKED(n, silu_fwd(out + lo, inp + lo, hi - lo)); }
void glu_forward(float* out, const float* gate, const float* up, int64_t n, bool gelu) {
  AK_CHUNKED(n, {
    if (gelu) gelu_fwd(out + lo, gate + lo, hi - lo);
    else silu_fwd(out + lo, gate + lo, hi - lo);
    for (int64_t i = lo; i < hi; i++) out[i] *= up[i];
  });
}
void round_rows_bf16(uint16_t* dst, int64_t dst_row, int64_t dst_at, const float* src, int64_t rows, int64_t D) {
  parallel_range(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(D, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++)
      for (int64_t d = 0; d < D; d++) dst[r * dst_row + dst_at + d] = round_bf16(src[r * D + d]);
  });
}
void silu_backward(float* dinp, const float* inp, const float* dout, int64_t n) {
  AK_CHUNKED(n, silu_bwd(dinp + lo, inp + lo, dout + lo, hi - lo));
}
void glu_backward(float* dgate, float* dup, const float* g, const float* gate, const float* up, int64_t n, bool gelu,
                  bool up_fresh) {
  if (!dgate && !dup) return;
  AK_CHUNKED(n, glu_bwd(dgate ? dgate + lo : nullptr, dup ? dup + lo : nullptr, g + lo, gate + lo, up + lo, hi - lo,
                        gelu, up_fresh));
}

double sum_squares(const float* inp, int64_t n) {
  if (n <= 0) return 0;
  std::vector<double> parts(static_cast<size_t>(chunk_count(n, kGrain)));
  parallel_chunks(n, kGrain, [&](int64_t c, int64_t lo, int64_t hi) { parts[c] = sum_sq(inp + lo, hi - lo); });
  double s = 0;
  for (double p : parts) s += p;
  return s;
}

void adamw_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int64_t step) {
  // Bias corrections in double: 1 − β2^step is ~1e−3 at step 1 and loses digits in float.
  const double bc1 = 1 - std::pow(double(beta1), double(step)), bc2 = 1 - std::pow(double(beta2), double(step));
  const Adam a{lr, beta1, beta2, eps, float(1 - double(lr) * weight_decay), float(1 / bc1), float(1 / bc2)};
  AK_CHUNKED(n, adamw(param + lo, grad + lo, m + lo, v + lo, hi - lo, a));
}

}  // namespace ak
