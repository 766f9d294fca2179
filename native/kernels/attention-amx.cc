// attention-amx.h's tile products and the roundings that feed them. A 64×64×64 block product is
// 32 tdpbf16ps here (each 16×16×32); the float32 block_mm took 8,192 FMAs of 16 lanes for it,
// which kept attention's products at the two AVX-512 cores' peak and made them most of a LoRA
// step's attention at SmolLM2's shape (issue 20).
#include "attention-amx.h"

#include <algorithm>
#include <cstdlib>

#include "cpu.h"
#include "transpose16.h"

#if defined(AK_X86) && defined(__linux__)
#define AK_AMX_ATTENTION 1
#include <immintrin.h>
#define AK_TARGET_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx2,fma")))
#endif

namespace ak::amx {

#ifdef AK_AMX_ATTENTION
namespace {

AK_TARGET_AMX inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

// Row r of src (cols floats), columns [c0, c0 + 16), zeros past cols or when r ≥ rows.
AK_TARGET_AMX inline __m512 load16(const float* src, int64_t lds, int64_t r, int64_t rows, int64_t c0, int64_t cols) {
  return r < rows ? _mm512_maskz_loadu_ps(lanes(cols - c0), src + r * lds + c0) : _mm512_setzero_ps();
}

}  // namespace

AK_TARGET_AMX void mm(int64_t M, int64_t N, int64_t K, const uint16_t* A, int64_t lda, const uint32_t* B, int64_t ldb,
                      float* C, int64_t ldc, bool accumulate, int64_t rows, int64_t cols) {
  alignas(64) float tmp[32 * 32];
  const int64_t sa = lda * 2, sb = ldb * 4, sc = ldc * 4;
  for (int64_t i = 0; i < M; i += 32)
    for (int64_t j = 0; j < N; j += 32) {
      const int64_t ri = std::min<int64_t>(32, rows - i), cj = std::min<int64_t>(32, cols - j);
      if (ri <= 0 || cj <= 0) continue;
      float* c = C + i * ldc + j;
      // A whole 32×32 block of C is read into the sums and written back by the tiles.
      const bool whole = ri == 32 && cj == 32;
      if (whole && accumulate) {
        _tile_loadd(0, c, sc);
        _tile_loadd(1, c + 16, sc);
        _tile_loadd(2, c + 16 * ldc, sc);
        _tile_loadd(3, c + 16 * ldc + 16, sc);
      } else {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
      }
      const uint16_t *a0 = A + i * lda, *a1 = a0 + 16 * lda;
      for (int64_t k = 0; k < K; k += 32) {
        const uint32_t* b = B + (k / 2) * ldb + j;
        _tile_loadd(4, a0 + k, sa);
        _tile_loadd(5, a1 + k, sa);
        _tile_loadd(6, b, sb);
        _tile_loadd(7, b + 16, sb);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      if (whole) {
        _tile_stored(0, c, sc);
        _tile_stored(1, c + 16, sc);
        _tile_stored(2, c + 16 * ldc, sc);
        _tile_stored(3, c + 16 * ldc + 16, sc);
        continue;
      }
      _tile_stored(0, tmp, 128);
      _tile_stored(1, tmp + 16, 128);
      _tile_stored(2, tmp + 16 * 32, 128);
      _tile_stored(3, tmp + 16 * 32 + 16, 128);
      for (int64_t r = 0; r < ri; r++)
        for (int64_t h = 0; h < 2; h++) {
          const __mmask16 m = lanes(cj - 16 * h);
          if (!m) continue;
          float* o = c + r * ldc + 16 * h;
          const __m512 v = _mm512_load_ps(tmp + r * 32 + 16 * h);
          _mm512_mask_storeu_ps(o, m, accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, o), v) : v);
        }
    }
}

AK_TARGET_AMX void rows_bf16(uint16_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad,
                             int64_t cols_pad) {
  for (int64_t r = 0; r < rows_pad; r++)
    for (int64_t c0 = 0; c0 < cols_pad; c0 += 16) {
      const __m256bh v = _mm512_cvtneps_pbh(load16(src, lds, r, rows, c0, cols));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + r * cols_pad + c0), reinterpret_cast<const __m256i&>(v));
    }
}

AK_TARGET_AMX void cols_bf16(uint16_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad,
                             int64_t cols_pad) {
  for (int64_t r0 = 0; r0 < rows_pad; r0 += 16)
    for (int64_t c0 = 0; c0 < cols_pad; c0 += 16) {
      __m512 t[16];
      for (int l = 0; l < 16; l++) t[l] = load16(src, lds, r0 + l, rows, c0, cols);
      transpose16(t);
      for (int l = 0; l < 16; l++) {
        const __m256bh v = _mm512_cvtneps_pbh(t[l]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + (c0 + l) * rows_pad + r0), reinterpret_cast<const __m256i&>(v));
      }
    }
}

AK_TARGET_AMX void row_pairs(uint32_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad,
                             int64_t cols_pad) {
  // Words of the converted pair (row 2p in 0–15, row 2p + 1 in 16–31) interleaved: 0, 16, 1, 17, …
  alignas(64) static const uint16_t order[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                                 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i idx = _mm512_load_si512(order);
  for (int64_t p = 0; p < rows_pad / 2; p++)
    for (int64_t c0 = 0; c0 < cols_pad; c0 += 16) {
      const __m512bh v = _mm512_cvtne2ps_pbh(load16(src, lds, 2 * p + 1, rows, c0, cols), load16(src, lds, 2 * p, rows, c0, cols));
      _mm512_storeu_si512(dst + p * cols_pad + c0, _mm512_permutexvar_epi16(idx, reinterpret_cast<const __m512i&>(v)));
    }
}

AK_TARGET_AMX void col_pairs(uint32_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad,
                             int64_t cols_pad) {
  for (int64_t r0 = 0; r0 < rows_pad; r0 += 16)
    for (int64_t c0 = 0; c0 < cols_pad; c0 += 32) {
      __m512 t[16];
      for (int l = 0; l < 16; l++) {
        const __m512bh v = _mm512_cvtne2ps_pbh(load16(src, lds, r0 + l, rows, c0 + 16, cols), load16(src, lds, r0 + l, rows, c0, cols));
        t[l] = reinterpret_cast<const __m512&>(v);  // word w: columns c0 + 2w and c0 + 2w + 1 of the row
      }
      transpose16(t);
      for (int w = 0; w < 16; w++) _mm512_storeu_ps(reinterpret_cast<float*>(dst + (c0 / 2 + w) * rows_pad + r0), t[w]);
    }
}

#else
void mm(int64_t, int64_t, int64_t, const uint16_t*, int64_t, const uint32_t*, int64_t, float*, int64_t, bool, int64_t,
        int64_t) { std::abort(); }
void rows_bf16(uint16_t*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t) { std::abort(); }
void cols_bf16(uint16_t*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t) { std::abort(); }
void row_pairs(uint32_t*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t) { std::abort(); }
void col_pairs(uint32_t*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t) { std::abort(); }
#endif

}  // namespace ak::amx
