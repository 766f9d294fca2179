// The GEMM driver (gemm.h) and the batched matmul kernel built on it.
// Threads split the M×N output of each (jc, pc) step into blocks of whole A blocks and B
// micro-panels, so no two threads write the same C element and no reduction is needed; the
// shared B panel is packed cooperatively first (BLIS's ic-loop parallelism, Smith et al.,
// "Anatomy of High-Performance Many-Threaded Matrix Multiplication", IPDPS 2014).
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "scratch.h"

namespace ak {
namespace {

using gemm::Config;
using gemm::View;

// Below this many multiply-adds a product runs on one thread: waking the pool costs a few
// microseconds, about what 2^18 FMAs take on one AVX2 core.
constexpr double kParallelWork = 1 << 18;

thread_local ScratchBuffer t_packed_a, t_packed_b;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// One task: rows [ic, ic+m) of C against micro-panels [p0, p1) of the packed B panel. With a
// `bias` (the first K block of a product that starts from it), each C tile is set to the bias
// rows just before its micro-kernel adds onto it, while the tile is in L1: the numbers of a bias
// written over all of C first and accumulated onto, without that pass over C.
void block(const Config& cf, View a, int64_t ic, int64_t m, int64_t pc, int64_t kc, const float* bp,
           int64_t jc, int64_t nc, int64_t p0, int64_t p1, float* c, int64_t ldc, bool beta, const float* bias) {
  const int mr = cf.mr, nr = cf.nr;
  float* ap = t_packed_a.get(static_cast<size_t>(ceil_div(m, mr) * mr * kc));
  gemm::pack_a(ap, a, ic, m, pc, kc, mr);
  alignas(64) float tmp[16 * 64];
  for (int64_t p = p0; p < p1; p++) {
    const int64_t jr = p * nr, nn = std::min<int64_t>(nr, nc - jr);
    const float* bpanel = bp + p * nr * kc;
    for (int64_t ir = 0; ir < m; ir += mr) {
      const int64_t mm = std::min<int64_t>(mr, m - ir);
      float* cij = c + (ic + ir) * ldc + jc + jr;
      const float* bj = bias ? bias + jc + jr : nullptr;
      if (mm == mr && nn == nr) {
        if (bj)
          for (int64_t i = 0; i < mr; i++) std::memcpy(cij + i * ldc, bj, sizeof(float) * nr);
        cf.kernel(kc, ap + ir * kc, bpanel, cij, ldc, beta || bj);
        continue;
      }
      cf.kernel(kc, ap + ir * kc, bpanel, tmp, nr, false);
      for (int64_t i = 0; i < mm; i++)
        for (int64_t j = 0; j < nn; j++)
          cij[i * ldc + j] = (bj ? bj[j] : beta ? cij[i * ldc + j] : 0.f) + tmp[i * nr + j];
    }
  }
}

// A small output over a long K (the weight gradients Xᵀ·dY of a training step: K is the batch's
// tokens, M×N a weight matrix) leaves too few M×N blocks to share between threads without each
// packing the same A block. Splitting K instead gives every thread its own slice of both operands,
// packed once; the partial products are summed at the end, a pass over M×N that is small next to
// the M×N×K of the product.
constexpr int64_t kSplitKMaxOutput = 1 << 17;  // M·N (512 KiB of C)

template <class BV>
void gemm_t(int64_t M, int64_t N, int64_t K, View a, BV b, float* c, int64_t ldc, bool accumulate, bool threads,
            const float* bias = nullptr);

template <class BV>
bool split_k(int64_t M, int64_t N, int64_t K, View a, BV b, float* c, int64_t ldc, bool accumulate, int64_t T) {
  if (T < 2 || M * N > kSplitKMaxOutput || K < 4 * std::max(M, N) || K < 256 * T) return false;
  thread_local ScratchBuffer t_partial;
  // Thread 0 writes into C itself; threads 1..T-1 into their rows of `partial`.
  float* partial = t_partial.get(static_cast<size_t>((T - 1) * M * N));
  parallel_for(T, [&](int64_t t) {
    const int64_t k0 = K * t / T, k1 = K * (t + 1) / T;
    const View at{a.p + k0 * a.cs, a.rs, a.cs};
    BV bt = b;
    bt.p += k0 * b.rs;
    if (t == 0) gemm_t(M, N, k1 - k0, at, bt, c, ldc, accumulate, false);
    else gemm_t(M, N, k1 - k0, at, bt, partial + (t - 1) * M * N, N, false, false);
  });
  parallel_range(M, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      float* ci = c + i * ldc;
      for (int64_t t = 1; t < T; t++) {
        const float* pi = partial + (t - 1) * M * N + i * N;
        for (int64_t j = 0; j < N; j++) ci[j] += pi[j];
      }
    }
  });
  return true;
}

// C's rows ← the bias row (N): what the thin and split-K paths accumulate onto.
void bias_rows(float* c, int64_t ldc, const float* bias, int64_t M, int64_t N) {
  for (int64_t i = 0; i < M; i++) std::memcpy(c + i * ldc, bias, sizeof(float) * N);
}

// The driver for a float32 or a 16-bit B (gemm.h's View or HalfView): only packing and the thin
// path differ between the two. A `bias` (N, with accumulate false) is C's starting value.
template <class BV>
void gemm_t(int64_t M, int64_t N, int64_t K, View a, BV b, float* c, int64_t ldc, bool accumulate, bool threads,
            const float* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (bias) bias_rows(c, ldc, bias, M, N);
    else if (!accumulate)
      for (int64_t i = 0; i < M; i++) std::memset(c + i * ldc, 0, sizeof(float) * N);
    return;
  }
  const int64_t T = threads && double(M) * N * K >= kParallelWork ? num_threads() : 1;
  if (bias && (M <= 4 || N <= 4 || (T >= 2 && M * N <= kSplitKMaxOutput))) {
    // The thin and split-K paths (and any product they might take): the bias first, as a whole.
    bias_rows(c, ldc, bias, M, N);
    return gemm_t(M, N, K, a, b, c, ldc, true, threads);
  }
  if (sgemm_thin(M, N, K, a, b, c, ldc, accumulate, threads)) return;
  const Config& cf = gemm::config();
  if (split_k(M, N, K, a, b, c, ldc, accumulate, T)) return;
  if constexpr (std::is_same<BV, View>::value)
    if (!bias && (sgemm_few_rows(M, N, K, a, b, c, ldc, accumulate, threads) ||
                  sgemm_few_cols(M, N, K, a, b, c, ldc, accumulate, threads)))
      return;
  const int64_t kc = gemm::block_kc(K);
  // M blocks: a multiple of the thread count when there are enough rows, so threads finish
  // together; when there are not, each A block is also split along N below.
  int64_t mblocks = ceil_div(M, cf.mc);
  const int64_t mpanels = ceil_div(M, cf.mr);
  if (T > 1) mblocks = std::min(mpanels, ceil_div(mblocks, T) * T);
  const int64_t mc = ceil_div(ceil_div(M, mblocks), cf.mr) * cf.mr;
  mblocks = ceil_div(M, mc);
  const int64_t nsplit = T > 1 && mblocks < 2 * T ? ceil_div(2 * T, mblocks) : 1;

  for (int64_t jc = 0; jc < N; jc += cf.nc) {
    const int64_t nc = std::min(cf.nc, N - jc), npanels = ceil_div(nc, cf.nr);
    float* bp = t_packed_b.get(static_cast<size_t>(npanels * cf.nr * kc));
    for (int64_t pc = 0; pc < K; pc += kc) {
      const int64_t kk = std::min(kc, K - pc);
      const bool beta = accumulate || pc > 0;
      auto pack = [&](int64_t p0, int64_t p1) {
        gemm::pack_b(bp + p0 * cf.nr * kk, b, pc, kk, jc + p0 * cf.nr, std::min(nc, p1 * cf.nr) - p0 * cf.nr, cf.nr);
      };
      if (T > 1) parallel_range(npanels, 4, pack);
      else pack(0, npanels);
      auto task = [&](int64_t t) {
        const int64_t ib = t / nsplit, js = t % nsplit, ic = ib * mc;
        block(cf, a, ic, std::min(mc, M - ic), pc, kk, bp, jc, nc, npanels * js / nsplit,
              npanels * (js + 1) / nsplit, c, ldc, beta, pc == 0 ? bias : nullptr);
      };
      if (T > 1) parallel_for(mblocks * nsplit, task);
      else
        for (int64_t t = 0; t < mblocks * nsplit; t++) task(t);
    }
  }
}

}  // namespace

void sgemm(int64_t M, int64_t N, int64_t K, View a, View b, float* c, int64_t ldc, bool accumulate, bool threads) {
  gemm_t(M, N, K, a, b, c, ldc, accumulate, threads);
}

void sgemm(int64_t M, int64_t N, int64_t K, View a, gemm::HalfView b, float* c, int64_t ldc, bool accumulate,
           bool threads) {
  gemm_t(M, N, K, a, b, c, ldc, accumulate, threads);
}

void matmul_bias(float* out, const float* a, const float* b, const float* bias, int64_t M, int64_t N, int64_t K,
                 bool transA, bool transB) {
  const View va = transA ? View{a, 1, M} : View{a, K, 1}, vb = transB ? View{b, 1, K} : View{b, N, 1};
  gemm_t(M, N, K, va, vb, out, N, false, true, bias);
}

void matmul(float* out, const float* a, const float* b, int64_t batch, int64_t M, int64_t N, int64_t K,
            bool transA, bool transB, int64_t strideA, int64_t strideB, int64_t strideOut, bool accumulate) {
  auto va = [&](int64_t t) { return transA ? View{a + t * strideA, 1, M} : View{a + t * strideA, K, 1}; };
  auto vb = [&](int64_t t) { return transB ? View{b + t * strideB, 1, K} : View{b + t * strideB, N, 1}; };
  if (batch <= 0) return;
  // Outputs that alias across the batch (stride 0: a sum over the batch) must run in order.
  const bool disjoint = strideOut >= M * N;
  if (batch > 1 && disjoint && num_threads() > 1 && double(M) * N * K < 64.0 * kParallelWork) {
    parallel_for(batch, [&](int64_t t) { sgemm(M, N, K, va(t), vb(t), out + t * strideOut, N, accumulate, false); });
    return;
  }
  for (int64_t t = 0; t < batch; t++)
    sgemm(M, N, K, va(t), vb(t), out + t * strideOut, N, accumulate || (strideOut == 0 && t > 0), true);
}

}  // namespace ak
