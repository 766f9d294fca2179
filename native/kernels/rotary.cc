// Rotary position embedding for training (ops/fused/rotary.ts), rotate-half layout: forward
// out = x·cos + rotate_half(x)·sin over a (B, h, T, D) view of a projection, and its gradient.
// In JavaScript (a Math.fround per operation) the forward took 1.78 ms for SmolLM2-135M's queries
// at 512 tokens; here each row's D values run as vectors, 0.26 ms, and the LoRA step at that shape
// is 3–4% shorter.
// Rounding is the reference's (backend/js/rotary.ts): the forward rounds each product and then
// their sum (no contraction into an FMA, as in decode-layer.cc's rotate); the backward rounds the
// rotated term (plus zero), fuses g·cos onto it with one FMA, then adds to dx.
#include <algorithm>
#include <cmath>

#include "cpu.h"
#include "kernels.h"
#include "pool.h"

// Every function here, the ISA versions AK_MULTIVERSION makes included, without contraction: the
// forward's products and sum round separately, and the backward's one FMA is written out.
#pragma GCC optimize("fp-contract=off")

namespace ak {
namespace {

// Rows [lo, hi) of the (B, h, T) grid: fn(x's row start, the contiguous row, the tables' row).
template <class F>
void rows(int64_t lo, int64_t hi, const Dims& shape, const Dims& strides, int64_t offset, F&& fn) {
  const int64_t h = shape[1], T = shape[2], D = shape[3];
  for (int64_t row = lo; row < hi; row++) {
    const int64_t t = row % T, hh = (row / T) % h, b = row / (T * h);
    fn(offset + b * strides[0] + hh * strides[1] + t * strides[2], row * D, (b * T + t) * D);
  }
}

template <class F>
void over_rows(const Dims& shape, const Dims& strides, int64_t offset, F&& fn) {
  const int64_t n = shape[0] * shape[1] * shape[2], grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, shape[3]));
  parallel_range(n, grain, [&](int64_t lo, int64_t hi) { rows(lo, hi, shape, strides, offset, fn); });
}

AK_INLINE void rotate_body(float* o, const float* x, const float* c, const float* s, int64_t half) {
#pragma omp simd
  for (int64_t d = 0; d < half; d++) {
    const float lo = x[d], hi = x[d + half];
    const float a = lo * c[d], b = -hi * s[d];
    const float e = hi * c[d + half], f = lo * s[d + half];
    o[d] = a + b;
    o[d + half] = e + f;
  }
}

AK_INLINE void unrotate_body(float* dx, const float* g, const float* c, const float* s, int64_t half) {
#pragma omp simd
  for (int64_t d = 0; d < half; d++) {
    const float glo = g[d], ghi = g[d + half];
    const float tlo = 0.f + ghi * s[d + half], thi = 0.f + glo * s[d];
    dx[d] = dx[d] + std::fma(glo, c[d], tlo);
    dx[d + half] = dx[d + half] + std::fma(ghi, c[d + half], -thi);
  }
}

AK_MULTIVERSION(void, rotate_row, rotate_body, (float* o, const float* x, const float* c, const float* s, int64_t half),
                (o, x, c, s, half))
AK_MULTIVERSION(void, unrotate_row, unrotate_body,
                (float* dx, const float* g, const float* c, const float* s, int64_t half), (dx, g, c, s, half))

}  // namespace

void rotary_forward(float* out, const float* x, const float* cos, const float* sin, const Dims& shape, const Dims& strides,
                    int64_t offset) {
  const int64_t half = shape[3] / 2;
  over_rows(shape, strides, offset, [&](int64_t i, int64_t o, int64_t r) { rotate_row(out + o, x + i, cos + r, sin + r, half); });
}

void rotary_backward(float* dx, const float* g, const float* cos, const float* sin, const Dims& shape, const Dims& strides,
                     int64_t offset) {
  const int64_t half = shape[3] / 2;
  over_rows(shape, strides, offset, [&](int64_t i, int64_t o, int64_t r) { unrotate_row(dx + i, g + o, cos + r, sin + r, half); });
}

}  // namespace ak
