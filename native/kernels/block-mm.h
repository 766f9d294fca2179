// Products of small blocks already in L1 (attention's 64-row query and key blocks): C (+)= A·B
// with an MR×W register tile and no packing, since a 64×64×D product does too little work per
// element for packing to pay (packed, attention's blocks ran at about 40% of the GEMM's rate).
// A is read one element at a time through any strides (a broadcast per multiply-add row), so a
// transposed A costs nothing; B's rows must be contiguous and readable up to n rounded up to
// kBlockPad (the source rows when n fills whole vectors, else the caller's padded copies).
#pragma once

#include <cstdint>

namespace ak {

constexpr int64_t kBlockPad = 16;  // floats: one AVX-512 vector
inline int64_t block_pad(int64_t n) { return (n + kBlockPad - 1) / kBlockPad * kBlockPad; }

// The part of a causal block a product needs, for query q and key c, visible when
// c ≤ q + delta: `cols_from_row` (rows = keys, cols = queries) computes only from the vector
// holding each row tile's first visible column on, `k_to_row` (rows = queries, k = keys) and
// `k_from_row` (rows = keys, k = queries) sum only over the visible k. What a product skips is
// left as it was in C (cols_from_row) or contributes nothing (the k bands).
enum class Band { all, cols_from_row, k_to_row, k_from_row };

// C (rows × n, row stride ldc) = (accumulate ? C : 0) + A·B, A(r, k) = a[r·ars + k·acs] for
// k < K, B's row k at b + k·ldb.
void block_mm(int64_t rows, int64_t n, int64_t K, const float* a, int64_t ars, int64_t acs, const float* b,
              int64_t ldb, float* c, int64_t ldc, bool accumulate, Band band = Band::all, int64_t delta = 0);

}  // namespace ak
