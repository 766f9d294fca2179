// Which instruction set the kernels run with, chosen once at load from what the CPU reports
// (__builtin_cpu_supports) and lowerable for tests, so that every SIMD path can be checked
// against the JS reference on one machine.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AK_X86 1
// The AVX-512 path assumes the Skylake-X subset (F, DQ, BW, VL), present on every AVX-512 CPU
// sold since 2017 (Intel Skylake-SP on, AMD Zen 4 on).
#define AK_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define AK_TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif

// AK_INLINE_LAMBDA goes after a lambda's parameter list: a lambda that is not inlined into an
// AK_MULTIVERSION body is compiled once, for the baseline ISA.
#if defined(__GNUC__) || defined(__clang__)
#define AK_INLINE inline __attribute__((always_inline))
#define AK_INLINE_LAMBDA __attribute__((always_inline))
#else
#define AK_INLINE inline
#define AK_INLINE_LAMBDA
#endif

namespace ak {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

Isa best_isa();
Isa isa();
// Lowers (never raises past best_isa()) the instruction set; returns the one now in force.
Isa set_isa(Isa want);
const char* isa_name(Isa i);

}  // namespace ak

// AK_MULTIVERSION(ret, name, body, params, args) defines `static ret name params` that calls the
// always-inline `body` compiled three times: inside an AVX-512 function, an AVX2+FMA function and
// a baseline one, picked per call by isa(). GCC and Clang inline a baseline function into a
// function with a wider target and vectorise it for that target ("function multiversioning" by
// hand, which, unlike target_clones, lets a test pick the path). On other CPUs it is one function.
#ifdef AK_X86
#define AK_MULTIVERSION(ret, name, body, params, args)                              \
  AK_TARGET_AVX512 static ret name##_avx512 params { return body args; }            \
  AK_TARGET_AVX2 static ret name##_avx2 params { return body args; }                \
  static ret name##_generic params { return body args; }                            \
  static ret name params {                                                          \
    switch (ak::isa()) {                                                            \
      case ak::Isa::avx512: return name##_avx512 args;                              \
      case ak::Isa::avx2: return name##_avx2 args;                                  \
      default: return name##_generic args;                                          \
    }                                                                               \
  }
#else
#define AK_MULTIVERSION(ret, name, body, params, args) \
  static ret name params { return body args; }
#endif
