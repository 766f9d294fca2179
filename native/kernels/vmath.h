// Branch-free float math that compilers vectorise inside the AK_MULTIVERSION bodies (a call to
// expf would stop the vectoriser). exp_f follows Cephes' expf: n = round(x/ln2), r = x − n·ln2 in
// two parts (Cody & Waite 1980) and a degree-6 polynomial on |r| ≤ ln2/2, within 2 ulp of expf.
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu.h"

namespace ak {

static AK_INLINE float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

static AK_INLINE float exp_f(float x) {
  // Below −86.6 (e^x < 2.4e−38) the result is flushed to 0, which is what softmax wants for
  // masked (−∞) scores and keeps 2^(n−1) a normal number; 2^n is applied as 2^(n−1)·2 so that
  // n = 128 near the top of the range overflows only when the true result does.
  const float lo = -86.6f, hi = 88.72283f;
  float xc = x < lo ? lo : x > hi ? hi : x;
  float n = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  float y = p * bits_to_float((static_cast<int32_t>(n) + 126) << 23) * 2.f;
  y = x > hi ? __builtin_inff() : y;
  y = x < lo ? 0.f : y;
  return x != x ? x : y;
}

// σ(x) = 1 / (1 + e^−x), exact in the tails (no 1 − tiny cancellation on either side).
static AK_INLINE float sigmoid_f(float x) { return 1.f / (1.f + exp_f(-x)); }

// tanh, within 3 ulp of tanhf: the odd Taylor series to x¹⁷ below |x| = 0.55 (the next term is
// under 1e−8 of the result there), 1 − 2/(e^2|x| + 1) above it, where the difference cancels
// nothing. Gemma 2's attention soft-cap runs it on every score.
static AK_INLINE float tanh_f(float x) {
  const float a = x < 0.f ? -x : x, z = x * x;
  float p = 5.90027441e-4f;
  p = p * z - 1.45583439e-3f;
  p = p * z + 3.59212804e-3f;
  p = p * z - 8.86323553e-3f;
  p = p * z + 2.18694885e-2f;
  p = p * z - 5.39682540e-2f;
  p = p * z + 1.33333333e-1f;
  p = p * z - 3.33333333e-1f;
  const float big = 1.f - 2.f / (exp_f(2.f * a) + 1.f);
  return a < 0.55f ? x + x * z * p : x < 0.f ? -big : big;
}

}  // namespace ak
