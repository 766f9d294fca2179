// Internals of the single-precision GEMM shared by the driver, the packing routines and the
// per-ISA micro-kernels. The structure is Goto & van de Geijn, "Anatomy of High-Performance
// Matrix Multiplication" (ACM TOMS 2008), in the five-loop form of BLIS (Van Zee & van de Geijn
// 2015): pack a kc×nc panel of B for the L3 cache and an mc×kc block of A for L2, then sweep an
// MR×NR register tile over them with a micro-kernel whose only memory traffic is the packed data.
#pragma once

#include <cstdint>

namespace ak {
namespace gemm {

// c[MR×NR tile, row stride ldc] = (accumulate ? c : 0) + Σ_k a[k·MR + i] · b[k·NR + j]
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);

struct Config {
  int mr, nr;          // register tile
  int64_t mc, kc, nc;  // cache blocks: A block in L2, B micro-panel in L1, B panel in L3
  MicroKernel kernel;
};

const Config& config_avx512();
const Config& config_avx2();
const Config& config_generic();
const Config& config();  // for the active ISA

// The K block of a product of depth K: K cut into equal blocks of at most config().kc (not kc, kc,
// ..., remainder), so that no pass is a short, overhead-bound one. Paths that must give the packed
// path's numbers split K the same way.
inline int64_t block_kc(int64_t K) {
  const int64_t blocks = (K + config().kc - 1) / config().kc;
  return (K + blocks - 1) / blocks;
}

// A strided matrix: element (r, c) at p[r·rs + c·cs]. A transposed operand is the same memory
// with rs and cs swapped, so the driver never branches on transposes; only packing does.
struct View {
  const float* p;
  int64_t rs, cs;
};

// A 16-bit operand (a frozen weight kept as the checkpoint stores it, issue 18): bfloat16 when
// `bf16`, else IEEE binary16. Packing widens it to float32 exactly, so the micro-kernels and the
// order of every sum are those of the float32 product of the widened matrix.
struct HalfView {
  const uint16_t* p;
  int64_t rs, cs;
  bool bf16;
};

// dst[0, n) = src[0, n) widened to float32 (exact for both formats).
void widen(float* dst, const uint16_t* src, int64_t n, bool bf16);

// Packs rows [i0, i0+m) × cols [k0, k0+k) of A into ⌈m/mr⌉ panels of mr×k (k-major), padding
// missing rows with zeros so the micro-kernel never sees a ragged edge.
void pack_a(float* dst, View a, int64_t i0, int64_t m, int64_t k0, int64_t k, int mr);
// Packs rows [k0, k0+k) × cols [j0, j0+n) of B into ⌈n/nr⌉ panels of k×nr, zero-padded.
void pack_b(float* dst, View b, int64_t k0, int64_t k, int64_t j0, int64_t n, int nr);
// The same panels from a 16-bit B, widened (gemm-half.cc).
void pack_b(float* dst, HalfView b, int64_t k0, int64_t k, int64_t j0, int64_t n, int nr);
// One panel of w lanes: dst[t·w + l] = src[l·lane + t·step] for l < w_used, t < len, and 0 for
// w_used ≤ l < w. With step 1 it is a transpose (attention's blocks use it so).
void pack_panel(float* dst, const float* src, int64_t lane, int64_t step, int64_t w_used, int64_t len, int w);

// C[0:M, j0:j1] (+)= A's M rows (stride lda) · W's rows j (W (N, K) 16-bit, row stride ldw), each
// sum in row_dot's AVX-512 order, four rows of W at a time (gemm-dots.cc). AVX-512 builds only.
void half_dots_avx512(int64_t M, int64_t K, const float* a, int64_t lda, const uint16_t* w, int64_t ldw, bool bf16,
                      float* c, int64_t ldc, bool accumulate, int64_t j0, int64_t j1);

}  // namespace gemm

// The thin-product path (gemm-small.cc) for M ≤ 4, or N ≤ 4 with A's rows contiguous; returns
// false, having done nothing, for every other product.
bool sgemm_thin(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc, bool accumulate,
                bool threads);

// 5 to 13 rows of a float32 A (rows contiguous) against a B contiguous along either axis, K at most
// the packed path's kc, on AVX-512 (gemm-few-rows.cc): the packed path's numbers without packing.
// Returns false, having done nothing, for every other product.
bool sgemm_few_rows(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc,
                    bool accumulate, bool threads);

// At most 16 columns of C from float32 A and B in any layout, on AVX-512 (gemm-few-cols.cc: a
// LoRA adapter's rank side): the packed path's numbers without its half-empty tile. Returns
// false, having done nothing, for every other product.
bool sgemm_few_cols(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc,
                    bool accumulate, bool threads);

// sgemm_thin for a 16-bit B: the same paths over widened copies of the parts of B each one reads.
bool sgemm_thin(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::HalfView b, float* c, int64_t ldc,
                bool accumulate, bool threads);

// C (M×N, row stride ldc) = (accumulate ? C : 0) + A·B with A and B read through their views.
// `threads` false keeps it on the calling thread (for callers that already split the work).
void sgemm(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc,
           bool accumulate, bool threads);
// sgemm with a 16-bit B: bit for bit the sgemm of B widened to float32, without the copy.
void sgemm(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::HalfView b, float* c, int64_t ldc,
           bool accumulate, bool threads);

}  // namespace ak
