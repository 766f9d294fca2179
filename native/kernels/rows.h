// Row primitives shared by the row-wise kernels (softmaxes, norms, cross-entropy, attention).
// All are AK_INLINE so that they vectorise inside each caller's AK_MULTIVERSION body; the
// `omp simd reduction` pragmas (-fopenmp-simd, no OpenMP runtime) allow the reassociation a
// vector sum needs without -ffast-math, which would also break the ±∞ and NaN rules.
#pragma once

#include <cstdint>

#include "cpu.h"
#include "vmath.h"

namespace ak {

static AK_INLINE float row_max(const float* x, int64_t n) {
  float m = -__builtin_inff();
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

static AK_INLINE float row_sum(const float* x, int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

static AK_INLINE float row_dot(const float* x, const float* y, int64_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

// Σ exp(x − m), the denominator of a softmax shifted by its maximum.
static AK_INLINE float row_sum_exp(const float* x, int64_t n, float m) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += exp_f(x[i] - m);
  return s;
}

// How many of the first `limit` keys an additive mask hides (−∞) from every one of `rows` query
// rows, the rows `row_stride` apart (0: one row shared by all), the keys `key_stride` apart: a
// row's left padding, which the attention kernels skip without changing a bit.
static inline int64_t hidden_lead(const float* mask, int64_t rows, int64_t row_stride, int64_t key_stride, int64_t limit) {
  int64_t lead = limit > 0 ? limit : 0;
  if (row_stride == 0 && rows > 1) rows = 1;
  for (int64_t r = 0; r < rows && lead > 0; r++) {
    const float* m = mask + r * row_stride;
    int64_t j = 0;
    while (j < lead && m[j * key_stride] == -__builtin_inff()) j++;
    lead = j;
  }
  return lead;
}

// Rows per task so that one task touches about `bytes` of data.
static inline int64_t row_grain(int64_t row_len, int64_t bytes = 1 << 16) {
  int64_t g = bytes / (4 * (row_len > 0 ? row_len : 1));
  return g > 0 ? g : 1;
}

}  // namespace ak
