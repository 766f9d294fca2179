// CPU feature detection for the run-time dispatch in cpu.h.
#include "cpu.h"

#include <atomic>

namespace ak {

static Isa detect() {
#ifdef AK_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma"))
    return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::generic;
}

static const Isa kBest = detect();
static std::atomic<Isa> g_isa{kBest};

Isa best_isa() { return kBest; }
Isa isa() { return g_isa.load(std::memory_order_relaxed); }

Isa set_isa(Isa want) {
  Isa got = static_cast<int>(want) > static_cast<int>(kBest) ? kBest : want;
  g_isa.store(got, std::memory_order_relaxed);
  return got;
}

const char* isa_name(Isa i) {
  switch (i) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace ak
