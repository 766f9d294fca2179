// The block products of attention.cc's bf16 path on AMX tiles (attention-amx.cc): the operands
// of a 64-row block's products rounded to bfloat16 (to nearest even, as matmul_bf16dot rounds its
// activations), their products exact in float32 and summed in float32 by the tile unit, one chain
// over k in steps of 32. A left operand is bfloat16 rows; a right one a pairs panel (gemm-bf16.h's
// layout: word l of pair row p holds rows 2p and 2p + 1 of column l, low half first).
#pragma once

#include <cstdint>

#include "amx.h"

namespace ak::amx {

// Each between configure() and release() (amx.h) on the calling thread.
// C (M×N floats, row stride ldc) (+)= A·B for A bfloat16 rows (M × K, lda apart) and B a pairs
// panel (K/2 pair rows of N words, ldb words apart). M and N multiples of 32, K of 32. Only the
// first `rows` rows and `cols` columns of C are written (the rest of the sums is dropped).
void mm(int64_t M, int64_t N, int64_t K, const uint16_t* A, int64_t lda, const uint32_t* B, int64_t ldb, float* C,
        int64_t ldc, bool accumulate, int64_t rows, int64_t cols);

// dst (rows_pad × cols_pad, row stride cols_pad) ← src's first `rows` rows of `cols` floats (row
// stride lds) rounded to bfloat16; zeros past them.
void rows_bf16(uint16_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad, int64_t cols_pad);
// dst (cols_pad × rows_pad) ← the transpose of the same, rounded: src's columns as rows.
void cols_bf16(uint16_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad, int64_t cols_pad);
// src as the right operand (k = its rows): pair row p, word c holds src[2p][c] and src[2p+1][c];
// rows_pad / 2 pair rows of cols_pad words, zeros past rows and cols.
void row_pairs(uint32_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad, int64_t cols_pad);
// srcᵀ as the right operand (k = src's columns): pair row p, word r holds src[r][2p] and
// src[r][2p+1]; cols_pad / 2 pair rows of rows_pad words, zeros past rows and cols.
void col_pairs(uint32_t* dst, const float* src, int64_t lds, int64_t rows, int64_t cols, int64_t rows_pad, int64_t cols_pad);

}  // namespace ak::amx
