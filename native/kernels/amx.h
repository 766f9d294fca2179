// The AMX tile state a thread's products use (gemm-amx.cc): every tile 16 rows of 64 bytes —
// tmm0–3 sums, tmm4–5 a left operand, tmm6–7 a right one — for matmul_bf16dot's kernels and
// attention's bf16 blocks alike.
#pragma once

namespace ak::amx {

// Whether the tiles are usable here (has_amx()); configure and release must not be called otherwise.
bool usable();
// Loads this thread's tile configuration; release() frees the tile state.
void configure();
void release();

}  // namespace ak::amx
