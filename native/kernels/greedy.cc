// Greedy decoding's pick over a batch of logit rows (issue 20, batch-32 decoding at 49,152 and
// 151,936 entries): per row the first index of the maximum and Σ exp(x − max) in float64, summed
// in index order. JavaScript's greedyPick (src/model/sampling/filters.ts) turns them into the
// token and its log-probability; its logSoftmaxT sums Math.exp, V8's port of fdlibm's e_exp.c, so
// the exp here is that algorithm too, operation for operation, and the sum bit for bit the same
// (conformance: rows.test.ts against the JS reference, which calls Math.exp). Sampling at a
// temperature (pickToken without top-k/top-p) has the same two loops over a row, x / t − m and
// x / t − lse: softmax_sums and inverse_cdf make them here too, bit for bit (conformance:
// sample.test.ts). Nothing may be fused into an FMA (the build passes -ffp-contract=fast): one
// rounding fewer changes the bits.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <cstdint>
#include <cstring>
#include <limits>

#include "cpu.h"
#include "kernels.h"
#include "pool.h"

#ifdef AK_X86
#include <immintrin.h>
// GCC 12 flags the undefined pass-through operands inside its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace ak {
namespace {

constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10, kInvLn2 = 1.44269504088896338700e+00;
constexpr double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03, kP3 = 6.61375632143793436117e-05,
                 kP4 = -1.65339022054652515390e-06, kP5 = 4.13813679705723846039e-08;

static inline double from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// fdlibm's exp (e_exp.c, Sun Microsystems 1993, as FreeBSD's msun and V8's ieee754::exp carry it).
double fd_exp(double x) {
  const double huge = 1.0e+300, twom1000 = 9.33263618503218878990e-302;
  const double o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02;
  const double halF[2] = {0.5, -0.5}, ln2HI[2] = {kLn2Hi, -kLn2Hi}, ln2LO[2] = {kLn2Lo, -kLn2Lo};
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  uint32_t hx = uint32_t(bits >> 32);
  const int32_t xsb = (hx >> 31) & 1;
  hx &= 0x7fffffff;
  double hi = 0.0, lo = 0.0;
  int32_t k = 0;
  if (hx >= 0x40862E42) {  // |x| ≥ 709.78…: overflow, underflow, ±∞ or NaN
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | uint32_t(bits)) != 0) return x + x;
      return xsb == 0 ? x : 0.0;
    }
    if (x > o_threshold) return huge * huge;
    if (x < u_threshold) return twom1000 * twom1000;
  }
  if (hx > 0x3fd62e42) {  // |x| > ln2 / 2: x = k·ln2 + r
    if (hx < 0x3FF0A2B2) {
      hi = x - ln2HI[xsb];
      lo = ln2LO[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = int32_t(kInvLn2 * x + halF[xsb]);
      const double t = k;
      hi = x - t * kLn2Hi;
      lo = t * kLn2Lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {  // |x| < 2^-28
    if (huge + x > 1.0) return 1.0 + x;
  }
  const double t = x * x;
  const double twopk = from_bits(uint64_t(uint32_t(0x3ff00000 + ((k >= -1021 ? k : k + 1000) << 20))) << 32);
  const double c = x - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) return k == 1024 ? y * 2.0 * from_bits(0x7fe0000000000000ull) : y * twopk;
  return y * twom1000 * twopk;
}

// Σ exp(row[i] / t − m) over i in order, exp as fd_exp (t = 1: the greedy pick's Σ exp(row[i] − m)).
double sum_exp_scalar(const float* row, int64_t V, double m, double t = 1.0) {
  double s = 0;
  for (int64_t i = 0; i < V; i++) s += fd_exp(double(row[i]) / t - m);
  return s;
}

// The first i with u < Σ_{j ≤ i} exp(row[j] / t − lse), summed in order; −1 when the sum never passes u.
int64_t inverse_cdf_scalar(const float* row, int64_t V, double t, double lse, double u) {
  double acc = 0;
  for (int64_t i = 0; i < V; i++) {
    acc += fd_exp(double(row[i]) / t - lse);
    if (u < acc) return i;
  }
  return -1;
}

#ifdef AK_X86
// fd_exp of 8 lanes: its three branches for −700 < x ≤ −2^-28 (every entry of a row but its
// maximum and ties with it) in AVX-512 lanes, the same operations in the same order — x = k·ln2 + r
// reduced for |x| > ln2 / 2 (k = −1 up to 1.5·ln2, where fdlibm subtracts −ln2 as a constant: the
// same value as t·ln2 at t = −1), r = x below — each lane then keeping its branch's result, into
// e. Returns the lanes it computed; the others (below −700, within 2^-28 of 0, NaN) must take
// fd_exp itself.
AK_TARGET_AVX512 unsigned exp8(__m512d x, double* e) {
  const __m512d inv = _mm512_set1_pd(kInvLn2), mhalf = _mm512_set1_pd(-0.5);
  const __m512d hi2 = _mm512_set1_pd(kLn2Hi), lo2 = _mm512_set1_pd(kLn2Lo), one = _mm512_set1_pd(1.0), two = _mm512_set1_pd(2.0);
  // Branch bounds by fdlibm's high words: |x| ≥ 0x3FF0A2B2… (general), > 0x3fd62e42… (reduced), ≥ 0x3e300000… (not tiny).
  const __m512d floor = _mm512_set1_pd(-700.0), general_edge = _mm512_set1_pd(-from_bits(uint64_t(0x3FF0A2B2) << 32));
  const __m512d reduce_edge = _mm512_set1_pd(-from_bits(uint64_t(0x3fd62e43) << 32)), tiny_edge = _mm512_set1_pd(-from_bits(uint64_t(0x3e300000) << 32));
  const __mmask8 above_floor = _mm512_cmp_pd_mask(x, floor, _CMP_GT_OQ);
  const __mmask8 general = above_floor & _mm512_cmp_pd_mask(x, general_edge, _CMP_LE_OQ);
  const __mmask8 reduced = above_floor & _mm512_cmp_pd_mask(x, reduce_edge, _CMP_LE_OQ);  // general, and k = −1 below 1.5·ln2
  const __mmask8 small = _mm512_cmp_pd_mask(x, reduce_edge, _CMP_GT_OQ) & _mm512_cmp_pd_mask(x, tiny_edge, _CMP_LE_OQ);
  __m256i k = _mm512_cvttpd_epi32(_mm512_add_pd(_mm512_mul_pd(inv, x), mhalf));
  k = _mm256_mask_blend_epi32(__mmask8(reduced & ~general), k, _mm256_set1_epi32(-1));
  k = _mm256_mask_blend_epi32(__mmask8(~reduced), k, _mm256_setzero_si256());
  const __m512d t = _mm512_cvtepi32_pd(k);
  const __m512d hi = _mm512_sub_pd(x, _mm512_mul_pd(t, hi2)), lo = _mm512_mul_pd(t, lo2);
  const __m512d r = _mm512_mask_blend_pd(reduced, x, _mm512_sub_pd(hi, lo)), rr = _mm512_mul_pd(r, r);
  __m512d p = _mm512_mul_pd(rr, _mm512_set1_pd(kP5));
  p = _mm512_mul_pd(rr, _mm512_add_pd(_mm512_set1_pd(kP4), p));
  p = _mm512_mul_pd(rr, _mm512_add_pd(_mm512_set1_pd(kP3), p));
  p = _mm512_mul_pd(rr, _mm512_add_pd(_mm512_set1_pd(kP2), p));
  p = _mm512_mul_pd(rr, _mm512_add_pd(_mm512_set1_pd(kP1), p));
  const __m512d c = _mm512_sub_pd(r, p), rc = _mm512_mul_pd(r, c);
  // reduced: (1 − ((lo − r·c / (2 − c)) − hi))·2^k; small (k = 0): 1 − (r·c / (c − 2) − r).
  const __m512d y = _mm512_sub_pd(one, _mm512_sub_pd(_mm512_sub_pd(lo, _mm512_div_pd(rc, _mm512_sub_pd(two, c))), hi));
  const __m512i bias = _mm512_slli_epi64(_mm512_cvtepi32_epi64(_mm256_add_epi32(k, _mm256_set1_epi32(1023))), 52);
  // The k = 0 branch's division only when a lane takes it (entries within ln2/2 of the maximum).
  const __m512d y0 = small ? _mm512_sub_pd(one, _mm512_sub_pd(_mm512_div_pd(rc, _mm512_sub_pd(c, two)), r)) : one;
  _mm512_storeu_pd(e, _mm512_mask_blend_pd(reduced, y0, _mm512_mul_pd(y, _mm512_castsi512_pd(bias))));
  return reduced | small;
}

// x_i = row[i] / t − c in float64 (JavaScript's `logits[i] / t - c`), 8 at a time; t = 1 (the
// greedy pick's) divides exactly, so its division is left out.
AK_TARGET_AVX512 AK_INLINE __m512d shifted8(const float* row, __m512d t, bool divide, __m512d c) {
  const __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(row));
  return _mm512_sub_pd(divide ? _mm512_div_pd(x, t) : x, c);
}

// sum_exp_scalar's sum (at temperature t) with 8 exps at a time (exp8); the sum stays serial, in
// index order.
AK_TARGET_AVX512 double sum_exp_avx512(const float* row, int64_t V, double m, double t = 1.0) {
  const __m512d vm = _mm512_set1_pd(m), vt = _mm512_set1_pd(t);
  double s = 0, e[8];
  int64_t i = 0;
  for (; i + 8 <= V; i += 8) {
    const unsigned vector = exp8(shifted8(row + i, vt, t != 1.0, vm), e);
    for (int j = 0; j < 8; j++) s += (vector >> j) & 1 ? e[j] : fd_exp(double(row[i + j]) / t - m);
  }
  for (; i < V; i++) s += fd_exp(double(row[i]) / t - m);
  return s;
}

// inverse_cdf with 8 exps at a time; the running sum stays serial.
AK_TARGET_AVX512 int64_t inverse_cdf_avx512(const float* row, int64_t V, double t, double lse, double u) {
  const __m512d vl = _mm512_set1_pd(lse), vt = _mm512_set1_pd(t);
  double acc = 0, e[8];
  int64_t i = 0;
  for (; i + 8 <= V; i += 8) {
    const unsigned vector = exp8(shifted8(row + i, vt, t != 1.0, vl), e);
    for (int j = 0; j < 8; j++) {
      acc += (vector >> j) & 1 ? e[j] : fd_exp(double(row[i + j]) / t - lse);
      if (u < acc) return i + j;
    }
  }
  for (; i < V; i++) {
    acc += fd_exp(double(row[i]) / t - lse);
    if (u < acc) return i;
  }
  return -1;
}

// The scalar loop's pick in two passes: the largest value 16 lanes at a time (max_ps returns its
// second operand when either is NaN, so a NaN never wins, as in the scalar `row[i] > m`), then
// the first index holding it. ±0 compare equal in both; no entry above −∞ leaves index 0 and
// m = −∞. m is the maximum's value as the scalar loop leaves it (row[index], or −∞).
AK_TARGET_AVX512 int64_t first_max_avx512(const float* row, int64_t V, float& m) {
  __m512 vm = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  int64_t i = 0;
  for (; i + 16 <= V; i += 16) vm = _mm512_max_ps(_mm512_loadu_ps(row + i), vm);
  m = _mm512_reduce_max_ps(vm);
  for (; i < V; i++)
    if (row[i] > m) m = row[i];
  if (!(m > -std::numeric_limits<float>::infinity())) return 0;
  const __m512 want = _mm512_set1_ps(m);
  int64_t at = V;
  for (i = 0; i + 16 <= V && at == V; i += 16)
    if (const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(row + i), want, _CMP_EQ_OQ)) at = i + __builtin_ctz(hit);
  for (; i < V && at == V; i++)
    if (row[i] == m) at = i;
  m = row[at];  // +0 or −0, whichever comes first, as the scalar loop keeps it
  return at;
}
#endif

}  // namespace

void greedy_rows(int32_t* token, double* sum, const float* logits, int64_t B, int64_t V) {
  parallel_range(B, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; b++) {
      const float* row = logits + b * V;
      // The first index of the maximum (a NaN never wins a comparison, as in JavaScript).
#ifdef AK_X86
      if (isa() == Isa::avx512) {
        float m;
        token[b] = int32_t(first_max_avx512(row, V, m));
        sum[b] = sum_exp_avx512(row, V, m);
        continue;
      }
#endif
      int64_t best = 0;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < V; i++)
        if (row[i] > m) { m = row[i]; best = i; }
      token[b] = int32_t(best);
      sum[b] = sum_exp_scalar(row, V, m);
    }
  });
}

void softmax_sums(double* stats, const float* logits, int64_t B, int64_t V, double t) {
  parallel_range(B, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; b++) {
      const float* row = logits + b * V;
      // logSoftmaxT's max of row[i] / t: the largest row[i] divided (t > 0 keeps the order).
      float best = -std::numeric_limits<float>::infinity();
#ifdef AK_X86
      if (isa() == Isa::avx512) {
        first_max_avx512(row, V, best);
        const double m = double(best) / t;
        stats[2 * b] = m;
        stats[2 * b + 1] = sum_exp_avx512(row, V, m, t);
        continue;
      }
#endif
      for (int64_t i = 0; i < V; i++)
        if (row[i] > best) best = row[i];
      const double m = double(best) / t;
      stats[2 * b] = m;
      stats[2 * b + 1] = sum_exp_scalar(row, V, m, t);
    }
  });
}

int64_t inverse_cdf(const float* row, int64_t V, double t, double lse, double u) {
#ifdef AK_X86
  if (isa() == Isa::avx512) return inverse_cdf_avx512(row, V, t, lse, u);
#endif
  return inverse_cdf_scalar(row, V, t, lse, u);
}

}  // namespace ak
