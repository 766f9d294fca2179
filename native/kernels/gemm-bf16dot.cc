// Opt-in bfloat16 compute for products with a bfloat16 weight (issue 20: batch-32 decoding and
// the LoRA step at real shapes), with AVX-512 BF16's vdpbf16ps: each 32-bit lane adds two
// products of bfloat16 pairs to a float32 sum, twice the multiply-adds of a float32 FMA per
// instruction. The activations are rounded to bfloat16 (round to nearest even, _mm512_cvtne2ps_pbh,
// as torch's autocast to bf16 rounds them), the weights are used as stored; a product of two
// bfloat16 values is exact in float32, so only the float32 sums round. vdpbf16ps treats subnormal
// inputs as zero and flushes subnormal sums, which activations and weights of a trained model
// never are. Unlike matmul_half this does not equal the float32 product: the rounding of the
// activations is the point of the mode, and the order of the sums is the kernels' own.
//
// Two schemes, one per layout a frozen weight is used in. out = a·Wᵀ (W (N, K) stored out-in:
// every forward projection) runs 32 rows of a at a time with the roles swapped (swap_tile below):
// a's rounded rows are packed as a panel of (k, k+1) pairs and W's rows are broadcast a pair at a
// time from where they lie, so W is never packed. Each output is then one chain of vdpbf16ps
// over k whatever M is, so a row's numbers do not depend on the rows beside it. Against the
// packed-strip scheme below run on a·Wᵀ (W's strips gathered into pairs per call), the 32-row
// chunks were 1.08–1.19× faster at M = 512 and 2048 on C's and D's projections (2-core Zen 4).
// out = a·W (the input gradient dy·W) is "broadcast a, load B" as in gemm-avx512.cc: B's 32-column
// strips packed per call into pairs, a KC-deep block at a time, which 12 rows of a at once reuse.
// Packing per call, rather than a packed copy of every weight kept beside it, costs no memory. An
// earlier kernel that read W's rows in place as dot products (16 lanes reduced per output) was
// slower than both at M = 32.
// Without AVX-512 BF16 (or with the ISA lowered for a test) a scalar loop of the same semantics
// runs, summing k in order as the JS reference does. Where the CPU has AMX, gemm-amx.cc's tiles
// run instead of both kernels here (has_amx()).
#include <algorithm>
#include <cstring>

#include "cpu.h"
#include "gemm-bf16.h"
#include "half16.h"
#include "kernels.h"
#include "pool.h"
#include "scratch.h"

#ifdef AK_X86
#include <immintrin.h>
// GCC 12 flags the undefined pass-through operands inside its own AVX-512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ak {
namespace {

static inline float widen_bf16(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void reference(float* out, const float* a, const uint16_t* w, int64_t M, int64_t N, int64_t K, bool transB, bool accumulate) {
  parallel_range(M, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, N * K)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++)
      for (int64_t j = 0; j < N; j++) {
        float s = 0;
        for (int64_t k = 0; k < K; k++) s += widen_bf16(round_bf16(a[i * K + k])) * widen_bf16(transB ? w[j * K + k] : w[k * N + j]);
        out[i * N + j] = accumulate ? out[i * N + j] + s : s;
      }
  });
}

#ifdef AK_X86
static const bool kHasBf16 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}();

constexpr int64_t MB = 256;  // rows of a rounded per block: a bounded scratch (MB·K·2 bytes)
constexpr int64_t KC = 512;  // k per packed block: 32 KiB of pairs, re-read by every tile of rows

thread_local ScratchBuffer t_a, t_panel;
using bf16::pack_pairs;
using bf16::round_rows;

constexpr int MR = 12;  // 24 accumulators, 2 rows of B and a broadcast: 27 of the 32 registers

// c (mr ≤ R rows, cols ≤ 32) (+)= Σ_p ab pairs (rows lda32 words apart) · packed pairs. Rows
// past mr repeat the last (computed, not stored).
template <int R>
AK_TARGET_BF16 void pair_tile(const uint32_t* ab, int64_t lda32, const uint32_t* panel, int64_t pairs, float* c, int64_t ldc, int mr,
                              int64_t cols, bool accumulate) {
  __m512 acc[R][2];
  for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const uint32_t* ar[R];
  for (int i = 0; i < R; i++) ar[i] = ab + std::min(i, mr - 1) * lda32;
  for (int64_t p = 0; p < pairs; p++) {
    const __m512bh b0 = (__m512bh)(_mm512_load_si512(panel + p * 32));
    const __m512bh b1 = (__m512bh)(_mm512_load_si512(panel + p * 32 + 16));
#pragma GCC unroll 12
    for (int i = 0; i < R; i++) {
      const __m512bh x = (__m512bh)(_mm512_set1_epi32(int(ar[i][p])));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], x, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], x, b1);
    }
  }
  const __mmask16 m0 = cols >= 16 ? 0xffff : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? __mmask16((1u << (cols - 16)) - 1) : 0;
  for (int i = 0; i < mr; i++) {
    float* ci = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_maskz_loadu_ps(m0, ci));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_maskz_loadu_ps(m1, ci + 16));
    }
    _mm512_mask_storeu_ps(ci, m0, acc[i][0]);
    _mm512_mask_storeu_ps(ci + 16, m1, acc[i][1]);
  }
}

// out (m, N) (+)= ab (m, K)·W, W (K, N) row-major: 32-column strips [lo, hi) of this thread, a
// K block at a time (so that ab's block stays in L2 while every strip uses it: ab itself, at the
// LM head's K of 49k–152k, is larger than the L3), and within it up to kGroup strips packed at once.
constexpr int64_t kGroup = 8;  // 8 panels of KC/2 pairs × 32 lanes: 256 KiB, in L2 beside ab's block
AK_TARGET_BF16 void strips(float* out, const uint16_t* ab, int64_t lda, const uint16_t* w, int64_t m, int64_t N, int64_t K,
                           bool accumulate, int64_t lo, int64_t hi) {
  constexpr int64_t panel = KC / 2 * 32;
  uint32_t* panels = reinterpret_cast<uint32_t*>(t_panel.get(size_t(kGroup * panel)));
  for (int64_t k0 = 0; k0 < K || k0 == 0; k0 += KC) {
    const int64_t kn = std::min(KC, K - k0), pairs = (kn + 1) / 2;
    for (int64_t g = lo; g < hi; g += kGroup) {
      const int64_t strips_here = std::min(kGroup, hi - g);
      pack_pairs(panels, panel, w, N, K, k0, kn, g * 32, strips_here);
      for (int64_t t = 0; t < strips_here; t++) {
        const int64_t j = (g + t) * 32, cols = std::min<int64_t>(32, N - j);
        for (int64_t i = 0; i < m; i += MR) {
          // A short last tile runs 4 or 8 rows wide (32 rows: 12 + 12 + 8, none wasted).
          const int mr = int(std::min<int64_t>(MR, m - i));
          const auto tile = mr <= 4 ? pair_tile<4> : mr <= 8 ? pair_tile<8> : pair_tile<MR>;
          tile(reinterpret_cast<const uint32_t*>(ab + i * lda + k0), lda / 2, panels + t * panel, pairs, out + i * N + j, N, mr,
               cols, accumulate || k0 > 0);
        }
      }
    }
  }
}

// Up to 32 rows of a against W (N, K) stored out-in (every a·Wᵀ, 32 rows a call: see the top):
// the roles swap, outᵀ = W·aᵀ. a's rounded rows are packed as the pairs panel (lane i: row i;
// M·K words), and W's rows are broadcast a 32-bit pair at a time straight from where they lie, so
// W, the big operand, is read once per 32 rows and never packed. Each tile's R×32 sums go through
// `buf` into out's columns. At M = 32 on C's projections (576×576, 1536×576, 576×1536; 2-core
// Zen 4) this first ran at 200–210 GFLOP/s where packing W's strips per call ran at 125–135, the
// gather being most of it. While a tile runs it asks for the next tile's rows (R·K·2 contiguous
// bytes), one line per pair step: a decode step's weights come from DRAM, not the caches, and
// twelve rows read 4 bytes at a time are more streams than the hardware prefetchers follow well.
// Rep against rep in one process with the prefetch switched, weights cycled through more than the
// L3 (medians): 32×896·4864×896ᵀ 293 → 375 GFLOP/s, 32×576·1536×576ᵀ 273 → 376, 8 rows 100 →
// 191; weights already in cache unchanged. With K's odd last pair taken out of the loop as well
// (swap_step), bench/bf16dot-stream.ts gives that first shape 438 GFLOP/s hot, 381–386 streamed.
constexpr int R = 12;
// acc[r] += pair p of W's row r (its 32-bit word, or `last` alone for K odd) times x's pairs p.
template <int NB>
AK_TARGET_BF16 static inline void swap_step(__m512 (&acc)[R][NB], const uint16_t* const (&wr)[R], const uint32_t* xp, int64_t p,
                                            bool last) {
  __m512bh b[NB];
  for (int h = 0; h < NB; h++) b[h] = (__m512bh)(_mm512_load_si512(xp + p * 32 + 16 * h));
#pragma GCC unroll 12
  for (int r = 0; r < R; r++) {
    uint32_t pair;
    if (!last) std::memcpy(&pair, wr[r] + 2 * p, 4);
    else pair = wr[r][2 * p];  // its partner in x is 0
    const __m512bh x = (__m512bh)(_mm512_set1_epi32(int(pair)));
    for (int h = 0; h < NB; h++) acc[r][h] = _mm512_dpbf16_ps(acc[r][h], x, b[h]);
  }
}

template <int NB>
AK_TARGET_BF16 void swap_tile(const uint16_t* w, int64_t K, int rows, const uint32_t* xp, float* buf, const char* next,
                              int64_t next_bytes) {
  __m512 acc[R][NB];
  for (int r = 0; r < R; r++)
    for (int b = 0; b < NB; b++) acc[r][b] = _mm512_setzero_ps();
  const uint16_t* wr[R];
  for (int r = 0; r < R; r++) wr[r] = w + std::min(r, rows - 1) * K;
  const int64_t whole = K / 2, ahead = std::min(whole, (next_bytes + 63) / 64);
  for (int64_t p = 0; p < ahead; p++) {
    _mm_prefetch(next + p * 64, _MM_HINT_T0);
    swap_step<NB>(acc, wr, xp, p, false);
  }
  for (int64_t p = ahead; p < whole; p++) swap_step<NB>(acc, wr, xp, p, false);
  if (K % 2) swap_step<NB>(acc, wr, xp, whole, true);
  for (int r = 0; r < R; r++)
    for (int h = 0; h < NB; h++) _mm512_storeu_ps(buf + r * 32 + 16 * h, acc[r][h]);
}

// W's row tiles [lo, hi) against `chunks` pairs panels of up to 32 rows each (chunk c: rows
// [32c, 32c + 32) of out, panel xp + c·panel): each tile of W is read from memory once, for every
// chunk while it is in L1, and the next tile is asked for while the first chunk runs.
AK_TARGET_BF16 void swap_tiles(float* out, const uint32_t* xp, int64_t panel, int64_t chunks, const uint16_t* w, int64_t M,
                               int64_t N, int64_t K, bool accumulate, int64_t lo, int64_t hi) {
  alignas(64) float buf[R * 32];
  for (int64_t t = lo; t < hi; t++) {
    const int64_t j = t * R;
    const int rows = int(std::min<int64_t>(R, N - j));
    const int64_t next_rows = t + 1 < hi ? std::min<int64_t>(R, N - j - R) : 0;
    const char* next = reinterpret_cast<const char*>(w + (j + R) * K);
    for (int64_t c = 0; c < chunks; c++) {
      const int64_t m = std::min<int64_t>(32, M - 32 * c), ahead = c == 0 ? next_rows * K * 2 : 0;
      if (m <= 16) swap_tile<1>(w + j * K, K, rows, xp + c * panel, buf, next, ahead);
      else swap_tile<2>(w + j * K, K, rows, xp + c * panel, buf, next, ahead);
      float* oc = out + 32 * c * N;
      for (int64_t i = 0; i < m; i++)
        for (int r = 0; r < rows; r++) oc[i * N + j + r] = accumulate ? oc[i * N + j + r] + buf[r * 32 + i] : buf[r * 32 + i];
    }
  }
}

#endif

}  // namespace

bool has_bf16dot() {
#ifdef AK_X86
  return kHasBf16 && isa() == Isa::avx512;
#else
  return false;
#endif
}

void matmul_bf16dot(float* out, const float* a, const uint16_t* w, int64_t M, int64_t N, int64_t K, bool transB, bool accumulate) {
  if (M <= 0 || N <= 0) return;
#ifdef AK_X86
  if (has_amx()) {
    matmul_bf16_amx(out, a, w, M, N, K, transB, accumulate);
    return;
  }
  if (has_bf16dot()) {
    const int64_t lda = std::max<int64_t>(32, (K + 31) / 32 * 32);
    if (transB) {
      // 32 rows of a a pass over W. A W larger than half the L3 (the LM head's: 56 MB at C,
      // 272 MB at D) would come from DRAM once a pass, so then every chunk of a is packed first
      // (chunks·K·64 bytes) and one pass over W serves them all: the LM head's forward
      // 110×896·151936×896ᵀ 306–336 → 376–404 GFLOP/s, 128×576·49152×576ᵀ 303–385 → 358–399.
      // Smaller weights stay in the L3 between passes: grouping 2 to 8 chunks there changed
      // nothing measurable.
      const int64_t pairs = (K + 1) / 2, panel = pairs * 32, all = (M + 31) / 32;
      const int64_t chunks = N * K * 2 > (16 << 20) ? all : 1;
      uint32_t* xp = reinterpret_cast<uint32_t*>(t_panel.get(size_t(chunks * panel)));
      for (int64_t c0 = 0; c0 < all; c0 += chunks) {
        const int64_t n = std::min(chunks, all - c0), rows = std::min<int64_t>(M - 32 * c0, 32 * n);
        bf16::pack_chunks(xp, pairs, a + 32 * c0 * K, rows, K, lda, 0, n);
        parallel_range((N + R - 1) / R, 4, [&](int64_t lo, int64_t hi) {
          swap_tiles(out + 32 * c0 * N, xp, panel, n, w, rows, N, K, accumulate, lo, hi);
        });
      }
      return;
    }
    for (int64_t m0 = 0; m0 < M; m0 += MB) {
      const int64_t m = std::min(MB, M - m0);
      uint16_t* ab = reinterpret_cast<uint16_t*>(t_a.get(size_t(m * lda / 2)));
      const float* am = a + m0 * K;
      float* om = out + m0 * N;
      parallel_range(m, 16, [&](int64_t lo, int64_t hi) { round_rows(ab, lda, am, lo, hi, K); });
      // One even share of the strips per thread: each share runs every K block over ab, so more
      // shares than threads (the pool's balancing) read ab again per share — at the LM head's K,
      // from DRAM. Even shares ran the step's a·W products 1.14–1.22× faster (2-core Zen 4).
      parallel_shares((N + 31) / 32, [&](int64_t lo, int64_t hi) { strips(om, ab, lda, w, m, N, K, accumulate, lo, hi); });
    }
    return;
  }
#endif
  reference(out, a, w, M, N, K, transB, accumulate);
}

}  // namespace ak
