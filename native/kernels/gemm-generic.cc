// Portable GEMM micro-kernel in plain C++: a tile the compiler keeps in vector registers, 4×16 on
// arm64 (16 NEON accumulators of its 32 registers) and 4×8 elsewhere (8 of baseline x86-64's 16
// SSE registers; 4×16 spilled there and ran 4× slower). The conformance suite runs it too, by
// lowering the ISA, so the portable path is checked on every machine.
#include "cpu.h"
#include "gemm.h"

namespace ak {
namespace gemm {
namespace {

#if defined(__aarch64__)
constexpr int MR = 4, NR = 16;
#else
constexpr int MR = 4, NR = 8;
#endif

void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; k++, a += MR, b += NR)
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0.f) + acc[i][j];
}

}  // namespace

const Config& config_generic() {
  static const Config c{MR, NR, MR * 32, 256, 4096, kernel};
  return c;
}

const Config& config() {
  switch (isa()) {
#ifdef AK_X86
    case Isa::avx512: return config_avx512();
    case Isa::avx2: return config_avx2();
#endif
    default: return config_generic();
  }
}

}  // namespace gemm
}  // namespace ak
