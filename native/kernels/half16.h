// 16-bit floats: one float32 rounded to bfloat16 (the bf16-compute products' reference, the
// decoding layer's bfloat16 KV cache), and sixteen 16-bit floats widened to float32 in one AVX-512
// register (both widenings exact), shared by the thin half products (gemm-dots.cc) and the decode
// attention over a bfloat16 cache (attention-decode.cc).
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu.h"

namespace ak {

// float32 → bfloat16, round to nearest even (a NaN kept a quiet NaN): what cvtne2ps_pbh does, and
// tensor/half.ts's bf16Bits.
static inline uint16_t round_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace ak

#ifdef AK_X86
#include <immintrin.h>

namespace ak {

enum class HalfKind { bf16, f16 };

// GCC 12 flags the undefined pass-through operand inside its own conversion intrinsics.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// 16 values from p widened to float32.
template <HalfKind T>
AK_TARGET_AVX512 static inline __m512 load_half16(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  if constexpr (T == HalfKind::bf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  else return _mm512_cvtph_ps(h);
}

// The first n < 16 values from p, the other lanes 0, without reading past p + n.
template <HalfKind T>
AK_TARGET_AVX512 static inline __m512 load_half_tail(const uint16_t* p, int64_t n) {
  const __m256i h = _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << n) - 1), p);
  if constexpr (T == HalfKind::bf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  else return _mm512_cvtph_ps(h);
}

#pragma GCC diagnostic pop

}  // namespace ak
#endif
