// The thin product x·Wᵀ (M ≤ 4 rows of x, W (N, K) stored out-in) on AVX-512, four rows of W at a
// time (issue 20, batch-1 decoding). row_dot's `omp simd` reduction, as GCC vectorises it for
// AVX-512, is one chain of fused multiply-adds per lane, 16 lanes: lane l sums x[i]·w[i] over
// i ≡ l (mod 16) below K rounded down to 16, the last K mod 16 products go into lane 0 in order,
// then the lanes are added one after the other from 0. One row at a time that is a chain of K/16
// dependent FMAs (4 cycles each) per row, which caps a core below the memory bandwidth at
// SmolLM2's K = 576; four rows run four independent chains over the same x (about twice the
// speed from cache, 1.5–1.9× from DRAM on a loaded 2-core Zen 4), and each row's sum keeps
// exactly that order, so every result keeps its bits (test/conformance/half.test.ts holds the
// half products to the float32 kernels' on the widened weights).
#include <cstring>

#include "cpu.h"
#include "gemm.h"
#include "half16.h"

#ifdef AK_X86
#include <immintrin.h>
#endif

namespace ak {
namespace gemm {

#ifdef AK_X86
// GCC 12 flags the undefined pass-through operand inside its own conversion intrinsics.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace {

// How far ahead of the loads each row stream asks for its lines (elements). The address may run
// past the row into the next row of the same quarter, which is what that stream reads next, or
// past the weights altogether, which a prefetch never faults on. Rep against rep in one process
// over 512 MiB of bf16 rows streamed from DRAM (bench/thin-prefetch.c, two threads; medians of
// time without / time with): on the 2-core Zen 4, 256 elements ahead (512 bytes) 1.08× (128:
// 1.06×; 512: 1.04×; 1024: 1.03×); on the 2-core AMX Xeon (KVM), 256 1.16×, 512–1024
// 1.21–1.24×, and SmolLM2's whole decoding step (steps alternating between distances in one
// process) 8.86 ms at 768 or 1024 against 9.46 at 256 (p25 of 128 steps each). Each vendor gets
// its measured best; why the Xeon wants the lines asked for earlier was not measured.
int64_t prefetch_ahead() {
  static const int64_t ahead = (__builtin_cpu_init(), __builtin_cpu_is("intel")) ? 768 : 256;
  return ahead;
}

// c[r·ldc] (+)= x · w row r for r < R, rows ldw apart, each sum in row_dot's order (see the top).
template <HalfKind T, int R>
AK_TARGET_AVX512 static inline void dot_rows(const float* x, const uint16_t* w, int64_t ldw, int64_t K, float* c,
                                             int64_t ldc, bool accumulate, int64_t ahead) {
  __m512 acc[R];
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  const int64_t K16 = K & ~int64_t(15);
  for (int64_t i = 0; i < K16; i += 16) {
    const __m512 xv = _mm512_loadu_ps(x + i);
    if ((i & 31) == 0)  // once per 64-byte line of each stream
      for (int r = 0; r < R; r++) _mm_prefetch(reinterpret_cast<const char*>(w + r * ldw + i + ahead), _MM_HINT_T0);
    for (int r = 0; r < R; r++) acc[r] = _mm512_fmadd_ps(load_half16<T>(w + r * ldw + i), xv, acc[r]);
  }
  alignas(64) float lanes[16], tail[16];
  for (int r = 0; r < R; r++) {
    _mm512_store_ps(lanes, acc[r]);
    if (K16 < K) {
      _mm512_store_ps(tail, load_half_tail<T>(w + r * ldw + K16, K - K16));
      for (int64_t i = K16; i < K; i++) lanes[0] = __builtin_fmaf(tail[i - K16], x[i], lanes[0]);
    }
    float s = 0.f;
    for (int l = 0; l < 16; l++) s += lanes[l];
    c[r * ldc] = accumulate ? c[r * ldc] + s : s;
  }
}

// The four rows of a step come from the four quarters of [j0, j1), not from four neighbours: each
// quarter is then one sequential stream through memory, which the hardware prefetchers follow,
// where four neighbouring rows read side by side streamed from DRAM at half the speed of one row
// at a time (bench numbers in the commit that brought this file).
template <HalfKind T>
AK_TARGET_AVX512 static void dots(int64_t M, int64_t K, const float* a, int64_t lda, const uint16_t* w, int64_t ldw,
                                  float* c, int64_t ldc, bool accumulate, int64_t j0, int64_t j1) {
  const int64_t q = (j1 - j0) / 4, ahead = prefetch_ahead();
  for (int64_t t = 0; t < q; t++) {
    const int64_t j = j0 + t;
    for (int64_t i = 0; i < M; i++) dot_rows<T, 4>(a + i * lda, w + j * ldw, q * ldw, K, c + i * ldc + j, q, accumulate, ahead);
  }
  for (int64_t j = j0 + 4 * q; j < j1; j++)
    for (int64_t i = 0; i < M; i++) dot_rows<T, 1>(a + i * lda, w + j * ldw, ldw, K, c + i * ldc + j, 1, accumulate, ahead);
}

}  // namespace

void half_dots_avx512(int64_t M, int64_t K, const float* a, int64_t lda, const uint16_t* w, int64_t ldw, bool bf16,
                      float* c, int64_t ldc, bool accumulate, int64_t j0, int64_t j1) {
  if (bf16) dots<HalfKind::bf16>(M, K, a, lda, w, ldw, c, ldc, accumulate, j0, j1);
  else dots<HalfKind::f16>(M, K, a, lda, w, ldw, c, ldc, accumulate, j0, j1);
}
#pragma GCC diagnostic pop
#endif

}  // namespace gemm
}  // namespace ak
