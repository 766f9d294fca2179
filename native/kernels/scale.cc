// The gradient clip's rescale (src/nn/clip.ts): x[i] ← x[i]·s with s a float64, each product
// rounded once to float64 and then to float32, which is what a JavaScript typed-array store of
// x[i] * s gives. The clip ran as that JavaScript loop, a few ns per element on every step that
// clips (config A of `alignkit bench` clips every step: 0.8M values; B 10.8M); here it is a
// vectorised pass with the same bits, so training runs that clip keep their numbers.
#include "cpu.h"
#include "pool.h"
#include "scale.h"

namespace ak {
namespace {

constexpr int64_t kGrain = 1 << 15;  // as elementwise.cc: a second thread pays past a few hundred KiB

static AK_INLINE void scale_body(float* x, int64_t n, double s) {
  for (int64_t i = 0; i < n; i++) x[i] = static_cast<float>(static_cast<double>(x[i]) * s);
}

AK_MULTIVERSION(void, scale_f64, scale_body, (float* x, int64_t n, double s), (x, n, s))

}  // namespace

void scale_in_place(float* x, int64_t n, double s) {
  parallel_range(n, kGrain, [&](int64_t lo, int64_t hi) { scale_f64(x + lo, hi - lo, s); });
}

}  // namespace ak
