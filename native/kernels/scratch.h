// A thread's scratch buffer for the kernels: grows, never shrinks, 64-byte aligned (whole cache
// lines, and the GEMM micro-kernels' aligned loads of packed panels).
#pragma once

#include <cstddef>
#include <cstdlib>

namespace ak {

struct ScratchBuffer {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      cap = n;
    }
    return p;
  }
  ~ScratchBuffer() { std::free(p); }
};

}  // namespace ak
