// 16-bit weights (bfloat16 or IEEE binary16) read directly by the matmul and the embedding
// gather (issue 18 point 3, issue 20 point 2): frozen weights stay at 2 bytes each and are widened
// to float32 as the kernels read them. Widening is exact, and every product here runs the float32
// code on the widened values in the same order, so results equal, bit for bit, those of the
// float32 model whose weights are the widened checkpoint: packing widens the B panels of the
// blocked GEMM, and the thin (decode) products widen a few rows of B at a time, held in L1/L2,
// then run the float32 thin kernels on them. The activations stay float32 throughout (AVX-512
// BF16's dpbf16 would round them to bfloat16 and change the numbers).
#include <algorithm>
#include <cstring>

#include "cpu.h"
#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "rows.h"
#include "scratch.h"

#ifdef AK_X86
#include <immintrin.h>
#endif

namespace ak {
namespace {

static AK_INLINE float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static AK_INLINE uint32_t to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// binary16 → float32 without branches, so that it vectorises. A normal half (exponent field e ≥ 1)
// has its fields moved into float32 place and is rescaled by 2^-112 (the bias 127 − 15 = 112),
// which also carries e = 31 to infinity or NaN; a subnormal m·2^-24 is built as (0.5 + m·2^-24) −
// 0.5, both steps exact. Every value is exact; a signalling NaN comes back quiet.
static AK_INLINE float f16_to_f32(uint16_t h) {
  const uint32_t w = uint32_t(h) << 16, sign = w & 0x80000000u, two_w = w + w;
  const float normal = from_bits((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
  const float subnormal = from_bits((two_w >> 17) | (126u << 23)) - 0.5f;
  return from_bits(sign | (two_w < (1u << 27) ? to_bits(subnormal) : to_bits(normal)));
}

static AK_INLINE void widen_body(float* dst, const uint16_t* src, int64_t n, bool bf16) {
  if (bf16) {
    // bfloat16 is the top half of a float32.
    for (int64_t i = 0; i < n; i++) dst[i] = from_bits(uint32_t(src[i]) << 16);
  } else {
    for (int64_t i = 0; i < n; i++) dst[i] = f16_to_f32(src[i]);
  }
}

AK_MULTIVERSION(void, widen_mv, widen_body, (float* dst, const uint16_t* src, int64_t n, bool bf16), (dst, src, n, bf16))

#ifdef AK_X86
// GCC 12 flags the undefined pass-through operand inside its own conversion intrinsic.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// F16C's conversion, part of AVX-512F in its 512-bit form: 16 halves per instruction.
AK_TARGET_AVX512 static void widen_f16_avx512(float* dst, const uint16_t* src, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i))));
  for (; i < n; i++) dst[i] = f16_to_f32(src[i]);
}
#pragma GCC diagnostic pop
#endif

thread_local ScratchBuffer t_widened, t_thin;

// Rows of B widened per thin call: about 32 KiB of float32, so they are still in L1 when read.
constexpr int64_t kThinFloats = 8192;

// Every element of a dense B (rows·cols in its own layout) widened, as a float32 view of the same
// layout; for the products the thin paths below do not split (tiny weights, odd layouts).
gemm::View widen_all(gemm::HalfView b, int64_t K, int64_t N, ScratchBuffer& buf) {
  float* w = buf.get(static_cast<size_t>(K * N));
  gemm::widen(w, b.p, K * N, b.bf16);
  return gemm::View{w, b.rs, b.cs};
}

}  // namespace

namespace gemm {

void widen(float* dst, const uint16_t* src, int64_t n, bool bf16) {
#ifdef AK_X86
  if (!bf16 && isa() == Isa::avx512) return widen_f16_avx512(dst, src, n);
#endif
  widen_mv(dst, src, n, bf16);
}

void pack_b(float* dst, HalfView b, int64_t k0, int64_t k, int64_t j0, int64_t n, int nr) {
  thread_local ScratchBuffer t_rows;
  if (b.cs == 1) {
    // B's rows contiguous (x·W with W (in, out), or the backward's dY·W): 16 rows widened at a
    // time, then copied panel by panel as the float32 packing does.
    float* t = t_rows.get(static_cast<size_t>(16 * n));
    for (int64_t t0 = 0; t0 < k; t0 += 16) {
      const int64_t t1 = std::min<int64_t>(k, t0 + 16);
      for (int64_t r = t0; r < t1; r++) widen(t + (r - t0) * n, b.p + (k0 + r) * b.rs + j0, n, b.bf16);
      float* d = dst;
      for (int64_t j = 0; j < n; j += nr, d += nr * k)
        for (int64_t r = t0; r < t1; r++) {
          const float* s = t + (r - t0) * n + j;
          const int64_t w = std::min<int64_t>(nr, n - j);
          std::memcpy(d + r * nr, s, sizeof(float) * w);
          for (int64_t l = w; l < nr; l++) d[r * nr + l] = 0.f;
        }
    }
    return;
  }
  // B's columns contiguous (x·Wᵀ with W (out, in), as nn.Linear stores it): each of a panel's
  // lanes is a run of one weight row, widened, then transposed by the float32 panel gather.
  float* t = t_rows.get(static_cast<size_t>(nr * k));
  for (int64_t j = 0; j < n; j += nr, dst += nr * k) {
    const int64_t used = std::min<int64_t>(nr, n - j);
    for (int64_t l = 0; l < used; l++) {
      const uint16_t* src = b.p + k0 * b.rs + (j0 + j + l) * b.cs;
      if (b.rs == 1) widen(t + l * k, src, k, b.bf16);
      else
        for (int64_t r = 0; r < k; r++) widen(t + l * k + r, src + r * b.rs, 1, b.bf16);
    }
    pack_panel(dst, t, k, 1, used, k, nr);
  }
}

}  // namespace gemm

// The float32 thin path (gemm-small.cc) over widened pieces of B. Each output element of those
// kernels is one sum over k in a fixed order, whatever block of columns a call covers, so cutting
// B into pieces changes no result.
bool sgemm_thin(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::HalfView b, float* c, int64_t ldc,
                bool accumulate, bool threads) {
  const bool thin_m = M <= 4, thin_n = N <= 4 && a.cs == 1;
  if (!(thin_m || thin_n) || K <= 0) return false;
  if (!thin_m || (b.cs != 1 && b.rs != 1)) return sgemm_thin(M, N, K, a, widen_all(b, K, N, t_thin), c, ldc, accumulate, threads);
  const bool split = threads && double(M) * N * K >= (1 << 18);
#ifdef AK_X86
  // A decode step's x·Wᵀ streams W once at 2 bytes an element, widened in registers, instead of
  // widening blocks of it into scratch and reading them back (gemm-dots.cc). Only on AVX-512,
  // where that kernel's order is row_dot's; AVX2's row_dot sums in 8 lanes.
  if (b.rs == 1 && a.cs == 1 && isa() == Isa::avx512) {
    auto dots = [&](int64_t lo, int64_t hi) { gemm::half_dots_avx512(M, K, a.p, a.rs, b.p, b.cs, b.bf16, c, ldc, accumulate, lo, hi); };
    if (split) parallel_range(N, 64, dots);
    else dots(0, N);
    return true;
  }
#endif
  // Columns [lo, hi) of C from widened columns of B: whole rows of Wᵀ (b.rs == 1, the decode
  // step's x·Wᵀ) in blocks of about kThinFloats, or 64-column strips of W's rows (b.cs == 1).
  auto part = [&](int64_t lo, int64_t hi) AK_INLINE_LAMBDA {
    const int64_t step = b.rs == 1 ? std::max<int64_t>(1, kThinFloats / K) : 64;
    float* w = t_widened.get(static_cast<size_t>(step * std::max(K, b.rs == 1 ? b.cs : K)));
    for (int64_t j = lo; j < hi; j += step) {
      const int64_t n = std::min(step, hi - j);
      gemm::View v;
      if (b.rs == 1) {
        gemm::widen(w, b.p + j * b.cs, (n - 1) * b.cs + K, b.bf16);
        v = gemm::View{w, 1, b.cs};
      } else {
        for (int64_t r = 0; r < K; r++) gemm::widen(w + r * n, b.p + r * b.rs + j, n, b.bf16);
        v = gemm::View{w, n, 1};
      }
      sgemm_thin(M, n, K, a, v, c + j, ldc, accumulate, false);
    }
  };
  if (split) parallel_range(N, 64, part);
  else part(0, N);
  return true;
}

void matmul_half(float* out, const float* a, const uint16_t* w, bool bf16, int64_t M, int64_t N, int64_t K,
                 bool transB, bool accumulate) {
  const gemm::HalfView b = transB ? gemm::HalfView{w, 1, K, bf16} : gemm::HalfView{w, N, 1, bf16};
  sgemm(M, N, K, gemm::View{a, K, 1}, b, out, N, accumulate, true);
}

void embedding_forward_half(float* out, const int32_t* ids, const uint16_t* table, bool bf16, int64_t N, int64_t C) {
  parallel_range(N, row_grain(C), [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; n++) gemm::widen(out + n * C, table + int64_t(ids[n]) * C, C, bf16);
  });
}

}  // namespace ak
