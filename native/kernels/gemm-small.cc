// Thin products (M ≤ 4, or N ≤ 4 with A's rows contiguous): a decode step of one token, a value
// head, a logit for one position. Packing would read the long operand once just to copy it and
// the register tile would be mostly padding, so these run as matrix-vector loops that stream the
// long operand once, vectorised along its contiguous direction (the GEMV view of GEMM).
#include <algorithm>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "pool.h"
#include "rows.h"

namespace ak {
namespace {

constexpr int64_t kThin = 4;  // at most 4 rows: the tiles below stay in registers

// C[0:MT, jc:jc+W] (+)= A·B[:, jc:jc+W] with B's rows contiguous: an MT×W tile of C in registers
// while B is streamed down its rows once (the micro-kernel idea without packing).
template <int MT, int W>
static AK_INLINE void axpy_tile(int64_t K, gemm::View a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                bool accumulate, int64_t n) {
  float t[MT][W] = {};
  for (int64_t k = 0; k < K; k++) {
    const float* br = b + k * ldb;
    for (int i = 0; i < MT; i++) {
      const float aik = a.p[i * a.rs + k * a.cs];
      if (n == W)
        for (int j = 0; j < W; j++) t[i][j] += aik * br[j];
      else
        for (int j = 0; j < n; j++) t[i][j] += aik * br[j];
    }
  }
  for (int i = 0; i < MT; i++)
    for (int64_t j = 0; j < n; j++) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0.f) + t[i][j];
}

template <int MT>
static AK_INLINE void axpy_rows(int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc, bool accumulate,
                                int64_t j0, int64_t j1) {
  constexpr int W = MT <= 2 ? 64 : 32;
  for (int64_t j = j0; j < j1; j += W)
    axpy_tile<MT, W>(K, a, b.p + j, b.rs, c + j, ldc, accumulate, std::min<int64_t>(W, j1 - j));
}

static AK_INLINE void axpy_body(int64_t M, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc,
                                bool accumulate, int64_t j0, int64_t j1) {
  switch (M) {
    case 1: axpy_rows<1>(K, a, b, c, ldc, accumulate, j0, j1); break;
    case 2: axpy_rows<2>(K, a, b, c, ldc, accumulate, j0, j1); break;
    case 3: axpy_rows<3>(K, a, b, c, ldc, accumulate, j0, j1); break;
    default: axpy_rows<4>(K, a, b, c, ldc, accumulate, j0, j1); break;
  }
}

// C[i0:i1, j0:j1] (+)= dot products of contiguous rows: A row i (stride `lda`) with row j of Bᵀ
// (stride `ldbt`).
static AK_INLINE void dots_body(int64_t K, const float* a, int64_t lda, const float* bt, int64_t ldbt, float* c,
                                int64_t ldc, bool accumulate, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  for (int64_t i = i0; i < i1; i++)
    for (int64_t j = j0; j < j1; j++) {
      const float s = row_dot(a + i * lda, bt + j * ldbt, K);
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
    }
}

AK_MULTIVERSION(void, axpy, axpy_body,
                (int64_t M, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc, bool accumulate, int64_t j0,
                 int64_t j1),
                (M, K, a, b, c, ldc, accumulate, j0, j1))
AK_MULTIVERSION(void, dots, dots_body,
                (int64_t K, const float* a, int64_t lda, const float* bt, int64_t ldbt, float* c, int64_t ldc,
                 bool accumulate, int64_t i0, int64_t i1, int64_t j0, int64_t j1),
                (K, a, lda, bt, ldbt, c, ldc, accumulate, i0, i1, j0, j1))

// Copies the rows×cols matrix v into a contiguous row-major buffer.
std::vector<float> gather(gemm::View v, int64_t rows, int64_t cols) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < cols; k++) out[r * cols + k] = v.p[r * v.rs + k * v.cs];
  return out;
}

}  // namespace

bool sgemm_thin(int64_t M, int64_t N, int64_t K, gemm::View a, gemm::View b, float* c, int64_t ldc, bool accumulate,
                bool threads) {
  const bool thin_m = M <= kThin, thin_n = N <= kThin && a.cs == 1;
  if (!(thin_m || thin_n) || K <= 0) return false;
  const bool split = threads && double(M) * N * K >= (1 << 18);
  auto over = [&](int64_t total, auto&& f) {
    if (split) parallel_range(total, 64, f);
    else f(int64_t(0), total);
  };
  if (thin_m && b.cs == 1) {
    over(N, [&](int64_t lo, int64_t hi) { axpy(M, K, a, b, c, ldc, accumulate, lo, hi); });
    return true;
  }
  // Dot products need A's rows and Bᵀ's rows (B's columns) contiguous; the thin side is copied
  // when it is not, the long side already is (else the packed path takes the product).
  std::vector<float> at, bt;
  const float* ap = a.p;
  int64_t lda = a.rs;
  if (a.cs != 1) { at = gather(a, M, K); ap = at.data(); lda = K; }
  const float* bp = b.p;
  int64_t ldb = b.cs;
  if (b.rs != 1) {
    if (!thin_n) return false;
    bt = gather(gemm::View{b.p, b.cs, b.rs}, N, K);
    bp = bt.data();
    ldb = K;
  }
  if (thin_m) over(N, [&](int64_t lo, int64_t hi) { dots(K, ap, lda, bp, ldb, c, ldc, accumulate, 0, M, lo, hi); });
  else over(M, [&](int64_t lo, int64_t hi) { dots(K, ap, lda, bp, ldb, c, ldc, accumulate, lo, hi, 0, N); });
  return true;
}

}  // namespace ak
