// Rounding and packing for the bf16-compute products (declared, with what each layout holds, in
// gemm-bf16.h).
#include "gemm-bf16.h"

#include <algorithm>

#include "scratch.h"
#include "transpose16.h"

#ifdef AK_X86
#include <immintrin.h>
// GCC 12 flags the undefined pass-through operands inside its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ak::bf16 {

// (A target function, since the threads' lambdas that call it do not inherit a caller's target.)
AK_TARGET_BF16 void round_rows(uint16_t* dst, int64_t lda, const float* a, int64_t lo, int64_t hi, int64_t K) {
    for (int64_t i = lo; i < hi; i++) {
      const float* s = a + i * K;
      uint16_t* d = dst + i * lda;
      for (int64_t k = 0; k < lda; k += 32) {
        const int64_t left = K - k;
        const __mmask16 m0 = left >= 16 ? 0xffff : left > 0 ? __mmask16((1u << left) - 1) : 0;
        const __mmask16 m1 = left >= 32 ? 0xffff : left > 16 ? __mmask16((1u << (left - 16)) - 1) : 0;
        const __m512bh r = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(m1, s + k + 16), _mm512_maskz_loadu_ps(m0, s + k));
        _mm512_storeu_si512(d + k, (__m512i)r);
      }
    }
}

// W's rows are read along their length, a row pair at a time, for every strip of the group,
// rather than 64 bytes of each of kn rows per block. Eight strips at a time: 512×4864·4864×896 at
// 369–387 GFLOP/s against 320–324 one at a time (1 and 4 alike; 16 no better), the LM head's
// product within the noise (2-core Zen 4).
AK_TARGET_BF16 void pack_pairs(uint32_t* dst, int64_t panel, const uint16_t* w, int64_t N, int64_t K, int64_t k0, int64_t kn,
                               int64_t j, int64_t strips) {
  for (int64_t p = 0; p < (kn + 1) / 2; p++) {
    const int64_t r = k0 + 2 * p;
    for (int64_t t = 0; t < strips; t++) {
      const int64_t jt = j + 32 * t, cols = std::min<int64_t>(32, N - jt);
      const __mmask16 m0 = cols >= 16 ? 0xffff : __mmask16((1u << cols) - 1);
      const __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : 0;
      const uint16_t* lo = w + r * N + jt;
      const uint16_t* hi = r + 1 < K ? lo + N : nullptr;
      for (int h = 0; h < 2; h++) {
        const __mmask16 mk = h ? m1 : m0;
        const __m512i l = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mk, lo + 16 * h));
        const __m512i u = hi ? _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(mk, hi + 16 * h)) : _mm512_setzero_si512();
        _mm512_store_si512(dst + t * panel + p * 32 + 16 * h, _mm512_or_si512(l, _mm512_slli_epi32(u, 16)));
      }
    }
  }
}

// Sixteen pairs of sixteen rows at a time, transposed in registers (transpose16 moves 32-bit
// lanes, whatever they hold). Against a word at a time, a decoding step's 32-row product
// 32×896·32×896ᵀ on one core (AMX Xeon): 9.5 → 7.9 µs a call.
AK_TARGET_BF16 void pack_rows(uint32_t* xp, const uint16_t* ab, int64_t lda, int64_t M, int64_t pairs) {
  const uint32_t* a32 = reinterpret_cast<const uint32_t*>(ab);
  for (int64_t p0 = 0; p0 < pairs; p0 += 16) {
    const int64_t n = std::min<int64_t>(16, pairs - p0);
    const __mmask16 mk = n >= 16 ? 0xffff : __mmask16((1u << n) - 1);
    for (int g = 0; g < 2; g++) {
      __m512 r[16];
      for (int x = 0; x < 16; x++) {
        const int64_t i = 16 * g + x;
        r[x] = i < M ? _mm512_castsi512_ps(_mm512_maskz_loadu_epi32(mk, a32 + i * (lda / 2) + p0)) : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int64_t x = 0; x < n; x++) _mm512_storeu_ps(reinterpret_cast<float*>(xp + (p0 + x) * 32 + 16 * g), r[x]);
    }
  }
}

void pack_chunks(uint32_t* xp, int64_t pairs, const float* a, int64_t M, int64_t K, int64_t lda, int64_t lo, int64_t hi) {
  thread_local ScratchBuffer t_rows;
  uint16_t* ab = reinterpret_cast<uint16_t*>(t_rows.get(size_t(32 * lda / 2)));
  for (int64_t c = lo; c < hi; c++) {
    const int64_t m = std::min<int64_t>(32, M - 32 * c);
    round_rows(ab, lda, a + 32 * c * K, 0, m, K);
    pack_rows(xp + c * pairs * 32, ab, lda, m, pairs);
  }
}

}  // namespace ak::bf16
#endif
