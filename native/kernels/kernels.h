// The native kernels, one C++ function per kernel of src/backend/kernels.ts with the same stem
// (geluForward → gelu_forward) and the same conventions: forward kernels overwrite, backward
// kernels accumulate (+=), a null gradient pointer is skipped, strides are in elements and 0 on
// a broadcast axis. Plain C++: binding.cc unwraps the JavaScript arguments and calls these.
#pragma once

#include <cstdint>
#include <vector>

namespace ak {

using Dims = std::vector<int64_t>;
using std::size_t;

enum class UnaryOp { neg, exp, log, sqrt, tanh, relu, pow };
enum class BinaryOp { add, sub, mul, div };

void matmul(float* out, const float* a, const float* b, int64_t batch, int64_t M, int64_t N, int64_t K,
            bool transA, bool transB, int64_t strideA, int64_t strideB, int64_t strideOut, bool accumulate);

// out (M×N) (+)= a (M×K) · op(w), w 16-bit (bfloat16 when bf16, else binary16) stored (N, K) when
// transB, else (K, N), widened exactly (gemm-half.cc).
void matmul_half(float* out, const float* a, const uint16_t* w, bool bf16, int64_t M, int64_t N, int64_t K,
                 bool transB, bool accumulate);
// out (M×N) (+)= a (M×K) · Wᵀ with W (N, K) = q·scale per row, int8 codes (gemm-int8.cc).
void matmul_int8(float* out, const float* a, const int8_t* q, const float* scales, int64_t M, int64_t N, int64_t K,
                 bool accumulate);
// out (M×N) = bias (N, every row) + op(a)·op(b): bit for bit matmul accumulating onto the bias
// written over out, without that extra pass over out (gemm.cc).
// out (M, N) += fl(scale·p) with p = a (M, K)·bᵀ, b stored (N, K): bit for bit matmul into a
// buffer, a multiply by scale and an add onto out (gemm-scaled-add.cc).
void matmul_scaled_add(float* out, const float* a, const float* b, int64_t M, int64_t N, int64_t K, float scale);
void matmul_bias(float* out, const float* a, const float* b, const float* bias, int64_t M, int64_t N, int64_t K,
                 bool transA, bool transB);
void embedding_forward_half(float* out, const int32_t* ids, const uint16_t* table, bool bf16, int64_t N, int64_t C);

void unary_forward(UnaryOp op, float* out, const float* inp, int64_t n, float p);
void unary_backward(UnaryOp op, float* dinp, const float* dout, const float* inp, const float* out, int64_t n, float p);
void gelu_forward(float* out, const float* inp, int64_t n);
void gelu_backward(float* dinp, const float* inp, const float* dout, int64_t n);
void silu_forward(float* out, const float* inp, int64_t n);
// out = act(gate) ⊙ up (SiLU, or tanh-GELU with gelu), a chunk at a time: silu_forward or
// gelu_forward then the product, as binary_forward's mul rounds it: the same bits, in one pass
// over memory (out may be gate).
void glu_forward(float* out, const float* gate, const float* up, int64_t n, bool gelu);
// rows × D float32 values of src (row r at r·D) rounded to bfloat16 (nearest, ties to even; a NaN
// stays a quiet NaN) into dst at r·dst_row + dst_at: tensor/half.ts's roundRowsToBf16.
void round_rows_bf16(uint16_t* dst, int64_t dst_row, int64_t dst_at, const float* src, int64_t rows, int64_t D);
void silu_backward(float* dinp, const float* inp, const float* dout, int64_t n);
// The backward of out = act(gate) ⊙ up (act SiLU, or tanh-GELU with `gelu`) from its gradient g, in
// one pass: dgate (or null) += act′(gate)·(g·up); dup (or null) = g·act(gate) with up_fresh, else
// += it. Bit for bit the separate passes: the activation, two products and silu/gelu_backward.
void glu_backward(float* dgate, float* dup, const float* g, const float* gate, const float* up, int64_t n, bool gelu,
                  bool up_fresh);

void binary_forward(BinaryOp op, float* out, const float* a, const Dims& as, const float* b, const Dims& bs,
                    const Dims& shape);
void binary_backward(BinaryOp op, float* da, float* db, const float* dout, const float* a, const Dims& as,
                     const float* b, const Dims& bs, const Dims& shape);

void sum_forward(float* out, const float* inp, int64_t outer, int64_t R, int64_t inner);
void sum_backward(float* dinp, const float* dout, int64_t outer, int64_t R, int64_t inner);
void max_forward(float* out, int32_t* argmax, const float* inp, int64_t outer, int64_t R, int64_t inner);
void max_backward(float* dinp, const float* dout, const int32_t* argmax, int64_t outer, int64_t R, int64_t inner);

void softmax_forward(float* out, const float* inp, int64_t N, int64_t C);
void softmax_backward(float* dinp, const float* dout, const float* out, int64_t N, int64_t C);
void log_softmax_forward(float* out, const float* inp, int64_t N, int64_t C);
void log_softmax_backward(float* dinp, const float* dout, const float* out, int64_t N, int64_t C);

void layer_norm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                        const float* bias, int64_t N, int64_t C, float eps);
void layer_norm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                         const float* weight, const float* mean, const float* rstd, int64_t N, int64_t C);
void rms_norm_forward(float* out, float* rstd, const float* inp, const float* weight, int64_t N, int64_t C, float eps);
void rms_norm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                       const float* rstd, int64_t N, int64_t C);

void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t N, int64_t C);
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t N, int64_t C);
void cross_entropy_forward(float* losses, float* lse, const float* logits, const int32_t* targets, int64_t N,
                           int64_t V, int64_t ignore_index);
// dlogits (+)= dlosses·(softmax(logits) − onehot(targets)) per row; without accumulate, each row
// is zeroed first (in cache, just before its sums), an ignored target's row left 0.
void cross_entropy_backward(float* dlogits, const float* dlosses, const float* logits, const float* lse,
                            const int32_t* targets, int64_t N, int64_t V, int64_t ignore_index, bool accumulate);
// cross_entropy_forward, then cross_entropy_backward for dlosses = 1 and a multiply by scale, into
// the logits themselves (an ignored row's become 0): the same bits, one row at a time.
void cross_entropy_fused(float* losses, float* lse, float* logits, const int32_t* targets, int64_t N, int64_t V,
                         int64_t ignore_index, float scale);

struct AttentionShape {
  int64_t B, H, Hkv, Tq, Tk, D;
  float scale;
  bool causal;
  const float* mask;  // may be null
  int64_t mask_strides[4];
  // Element strides of (batch, head, row) for q and dq, k and dk, v and dv, out and dout; each
  // row's D values are contiguous. lse is always (B, H, Tq), contiguous.
  int64_t q_strides[3], k_strides[3], v_strides[3], o_strides[3];
  // Scores s → softcap·tanh(s/softcap) before the mask (Gemma 2), 0: none. A window w > 0 (causal
  // only) hides key j from query i unless j > i + Tk − Tq − w, 0: none.
  float softcap;
  int64_t window;
  // Permission to round the products' operands to bfloat16 (q, k, v, dout, the probabilities and
  // the scores' gradient; float32 sums) where the CPU has AMX tiles: attention.cc's bf16 path.
  // Elsewhere, and without it, every product is float32.
  bool bf16 = false;
};
void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const AttentionShape& s);
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                        const float* q, const float* k, const float* v, const AttentionShape& s);
// One decoding query per (b, h) over the first Tk rows of a bfloat16 cache k, v (B, Hkv, cap, D):
// out, q (B, H, D); mask (optional) added to the scaled (soft-capped) scores at b·ms[0] + h·ms[1] +
// j·ms[2]; window > 0 reads only the last `window` keys (attention-decode.cc).
void attention_decode_half(float* out, const float* q, const uint16_t* k, const uint16_t* v, const float* mask,
                           const int64_t* mask_strides, int64_t B, int64_t H, int64_t Hkv, int64_t cap, int64_t Tk,
                           int64_t D, float scale, float softcap, int64_t window);

void strided_copy(float* out, const float* inp, int64_t inp_offset, const Dims& inp_strides, const Dims& shape,
                  bool accumulate);
void strided_scatter(float* out, int64_t out_offset, const Dims& out_strides, const float* inp, const Dims& shape,
                     bool accumulate);

// Rotary position embedding over a (B, h, T, D) view of x (row (b, hh, t) at offset + b·strides[0]
// + hh·strides[1] + t·strides[2]); out and g contiguous, cos and sin (B, T, D); D even.
void rotary_forward(float* out, const float* x, const float* cos, const float* sin, const Dims& shape, const Dims& strides,
                    int64_t offset);
void rotary_backward(float* dx, const float* g, const float* cos, const float* sin, const Dims& shape, const Dims& strides,
                     int64_t offset);

// `cond` is read as float or int32 by `cond_is_int`; only "≠ 0" matters.
void where_forward(float* out, const void* cond, bool cond_is_int, const Dims& cs, const float* a, const Dims& as,
                   const float* b, const Dims& bs, const Dims& shape);
void where_backward(float* da, float* db, const float* dout, const void* cond, bool cond_is_int, const Dims& cs,
                    const Dims& as, const Dims& bs, const Dims& shape);

// A projection's weight for decode_layer: W (N, K) stored out-in, float32 or 16-bit, and its bias.
struct DecodeWeight {
  const void* p;
  bool half, bf16;
  const float* bias;  // may be null
};
// One Llama-layout layer of a decoding step (decode-layer.cc, src/model/sampling/decode/llama.ts):
// B rows of C, H query and Hkv key/value heads of D, MLP width F; Tk = L + 1 keys, the cache
// (B, Hkv, cap, D) receiving row L; cos and sin (B, D); key_mask (B, Tk); window 0: none.
struct DecodeLayer {
  int64_t B, C, H, Hkv, D, F, Tk, L, cap, window;
  float eps, scale, softcap;  // softcap 0: none
  bool gelu;                  // GeGLU (Gemma), else SwiGLU
  const float *in_norm, *q_norm, *k_norm, *post_attn_norm, *mlp_norm, *post_mlp_norm;  // q_norm … may be null
  DecodeWeight q, k, v, o, gate, up, down;
  float *kcache, *vcache;  // a float32 cache, or null with kcache16/vcache16
  const float *cos, *sin, *key_mask;
  // The layer as before task i20n (benches' A/B): each projection in its own parallel region, the
  // attention's per-head products handed to the pool.
  bool separate = false;
  // bfloat16 weights' products through matmul_bf16dot (halfProduct's bf16Compute rule, which the
  // caller applies: bf16 compute and at least BF16_COMPUTE_MIN_ROWS rows).
  bool bf16_dot = false;
  // A bfloat16 cache (RowCache 'bfloat16'): keys and values rounded to nearest even as stored,
  // read by attention_decode_half.
  uint16_t *kcache16 = nullptr, *vcache16 = nullptr;
};
// The step's buffers, those of LlamaDecoder: x (B, C) is read and updated in place; kr (B, Hkv·D)
// holds the rotated keys before a bfloat16 cache rounds them (null with a float32 cache).
struct DecodeScratch {
  float *x, *h, *t, *q, *qr, *k, *kn, *v, *o, *gate, *up, *rstd, *s, *p;
  float* kr = nullptr;
};
void decode_layer(const DecodeLayer& layer, const DecodeScratch& scratch);

double sum_squares(const float* inp, int64_t n);
void adamw_update(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                  float eps, float weight_decay, int64_t step);

// out (M×N) (+)= bf16(a) (M×K) · op(w), w bfloat16 stored (N, K) when transB, else (K, N): a
// rounded to bfloat16, float32 sums (gemm-bf16dot.cc); vdpbf16ps where has_bf16dot().
void matmul_bf16dot(float* out, const float* a, const uint16_t* w, int64_t M, int64_t N, int64_t K, bool transB,
                    bool accumulate);
bool has_bf16dot();
// Whether matmul_bf16dot runs on AMX tiles (gemm-amx.cc): the CPU has AMX-BF16, Linux granted
// the tile state, vdpbf16ps is in use and set_amx has not switched it off (for tests and
// benchmarks; returns has_amx()).
bool has_amx();
bool set_amx(bool on);

// Greedy decoding over B rows of V logits: token[b] the first index of the maximum, sum[b] =
// Σ exp(x − max) in float64 in index order with fdlibm's exp, JavaScript's Math.exp (greedy.cc).
void greedy_rows(int32_t* token, double* sum, const float* logits, int64_t B, int64_t V);
// Sampling at temperature t > 0 over B rows of V logits (greedy.cc), logSoftmaxT's and pickToken's
// float64 arithmetic: stats[2b] = m = max_i row[i] / t, stats[2b + 1] = Σ_i exp(row[i] / t − m) in
// index order with fdlibm's exp; inverse_cdf: the first i with u < Σ_{j ≤ i} exp(row[j] / t − lse),
// summed in order, or −1 when the sum never passes u.
void softmax_sums(double* stats, const float* logits, int64_t B, int64_t V, double t);
int64_t inverse_cdf(const float* row, int64_t V, double t, double lse, double u);

}  // namespace ak
