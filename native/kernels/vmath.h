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

}  // namespace ak
