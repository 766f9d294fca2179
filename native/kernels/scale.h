// Kernels of the optimizer step beside adamw_update (kernels.h): see scale.cc.
#pragma once

#include <cstdint>

namespace ak {

// x[i] = float(double(x[i]) · s), for i < n: a JavaScript Float32Array's x[i] *= s, bit for bit.
void scale_in_place(float* x, int64_t n, double s);

}  // namespace ak
