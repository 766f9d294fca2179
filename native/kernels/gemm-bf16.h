// What the two bf16-compute product kernels share (gemm-bf16dot.cc with vdpbf16ps, gemm-amx.cc
// with AMX tiles): a's rows rounded to bfloat16, and the two packed layouts of (k, k+1) pairs
// that both instructions read — a pair of bfloat16 values in each 32-bit word.
#pragma once

#include <cstdint>

#include "cpu.h"

#ifdef AK_X86
#define AK_TARGET_BF16 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx2,fma")))

namespace ak::bf16 {

// Rows [lo, hi) of a (K floats apart) rounded to bfloat16 (to nearest even), each padded with
// zeros to lda (a multiple of 32).
void round_rows(uint16_t* dst, int64_t lda, const float* a, int64_t lo, int64_t hi, int64_t K);

// A (kn, 32-column) block of W (K, N) at (k0, j) as pairs: lane l of pair p holds W[k0+2p][j+l]
// in its low half and W[k0+2p+1][j+l] in its high half; columns past N and the row past K are 0.
// `strips` such blocks side by side in W (j, j + 32, ...) go to dst, dst + panel, ...
void pack_pairs(uint32_t* dst, int64_t panel, const uint16_t* w, int64_t N, int64_t K, int64_t k0, int64_t kn, int64_t j,
                int64_t strips);

// M ≤ 32 rounded rows (lda apart) as a pairs panel: lane i of pair p is row i's word p, lanes
// past M are 0.
void pack_rows(uint32_t* xp, const uint16_t* ab, int64_t lda, int64_t M, int64_t pairs);

// Chunks [lo, hi) of a's M rows (K floats apart), 32 rows a chunk, rounded (rows lda apart) and
// packed as pairs panels of `pairs` pairs, chunk c at xp + c·pairs·32.
void pack_chunks(uint32_t* xp, int64_t pairs, const float* a, int64_t M, int64_t K, int64_t lda, int64_t lo, int64_t hi);

}  // namespace ak::bf16

namespace ak {
// matmul_bf16dot (kernels.h) on AMX tiles (gemm-amx.cc), which it calls where has_amx().
void matmul_bf16_amx(float* out, const float* a, const uint16_t* w, int64_t M, int64_t N, int64_t K, bool transB,
                     bool accumulate);

// One x·Wᵀ of several that read the same a: out (M, N) (+)= bf16(a)·Wᵀ, W (N, K) bfloat16.
struct AmxPart {
  float* out;
  const uint16_t* w;
  int64_t N;
  bool accumulate;
};
// Every part's product, a rounded and packed once and all the parts' blocks of W shared out among
// the threads in one parallel region (has_amx() only). matmul_bf16_amx's x·Wᵀ is this with one
// part; each output is the same chain over k however the blocks are shared, so a part's numbers
// are those of its own call.
void matmul_bf16_amx_parts(const float* a, int64_t M, int64_t K, const AmxPart* parts, int64_t count);
}  // namespace ak
#endif
