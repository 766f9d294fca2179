// The N-API face of native/kernels: one KERNEL statement per kernel, which unwraps and checks its
// JavaScript arguments (binding-args.h) and calls the C++ kernel of the same stem (geluForward →
// ak::gelu_forward). Argument order and meaning are those of src/backend/kernels.ts.
#include <napi.h>

#include <cmath>
#include <utility>
#include <vector>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "binding-args.h"
#include "kernels/cpu.h"
#include "kernels/kernels.h"
#include "kernels/pool.h"
#include "kernels/scale.h"

using binding::Args;
using binding::batched;
using binding::extent;
using binding::product;
using ak::Dims;

namespace {

std::vector<std::pair<const char*, Napi::Function::Callback>>& table() {
  static std::vector<std::pair<const char*, Napi::Function::Callback>> t;
  return t;
}
struct Register {
  Register(const char* name, Napi::Function::Callback f) { table().emplace_back(name, f); }
};

}  // namespace

// KERNEL(jsName, statements): a kernel returning undefined, whose statements see `a` (its Args),
// registered on the addon as jsName. Shapes are read first, then each buffer is checked against
// the extent the kernel will touch as it is unwrapped.
#define KERNEL(name, ...)                                                                   \
  static Napi::Value name(const Napi::CallbackInfo& info) {                                 \
    const Args a(info, #name);                                                              \
    __VA_ARGS__;                                                                            \
    return info.Env().Undefined();                                                          \
  }                                                                                         \
  static const Register register_##name(#name, name);

KERNEL(matmul,
    const int64_t B = a.size(3, "batch"), M = a.size(4, "M"), N = a.size(5, "N"), K = a.size(6, "K");
    const int64_t sA = a.size(9, "strideA"), sB = a.size(10, "strideB"), sO = a.size(11, "strideOut");
    ak::matmul(a.f32(0, "out", batched(B, sO, M * N)), a.f32(1, "a", batched(B, sA, M * K)),
               a.f32(2, "b", batched(B, sB, K * N)), B, M, N, K, a.flag(7, "transA"), a.flag(8, "transB"),
               sA, sB, sO, a.flag(12, "accumulate")))

KERNEL(matmulHalf, const int64_t M = a.size(4, "M"), N = a.size(5, "N"), K = a.size(6, "K");
    ak::matmul_half(a.f32(0, "out", M * N), a.f32(1, "a", M * K), a.u16(2, "w", K * N), a.flag(3, "bf16"), M, N, K,
                    a.flag(7, "transB"), a.flag(8, "accumulate")))

KERNEL(matmulInt8, const int64_t M = a.size(4, "M"), N = a.size(5, "N"), K = a.size(6, "K");
    ak::matmul_int8(a.f32(0, "out", M * N), a.f32(1, "a", M * K), a.i8(2, "q", N * K), a.f32(3, "scales", N), M, N, K,
                    a.flag(7, "accumulate")))

KERNEL(unaryForward, const int64_t n = a.size(3, "n");
    ak::unary_forward(binding::unary_op(a, 0), a.f32(1, "out", n), a.f32(2, "inp", n), n, float(a.num(4, "p"))))
KERNEL(unaryBackward, const int64_t n = a.size(5, "n");
    ak::unary_backward(binding::unary_op(a, 0), a.f32(1, "dinp", n), a.f32(2, "dout", n), a.f32(3, "inp", n),
                       a.f32(4, "out", n), n, float(a.num(6, "p"))))
KERNEL(geluForward, const int64_t n = a.size(2, "n"); ak::gelu_forward(a.f32(0, "out", n), a.f32(1, "inp", n), n))
KERNEL(geluBackward, const int64_t n = a.size(3, "n");
    ak::gelu_backward(a.f32(0, "dinp", n), a.f32(1, "inp", n), a.f32(2, "dout", n), n))
KERNEL(siluForward, const int64_t n = a.size(2, "n"); ak::silu_forward(a.f32(0, "out", n), a.f32(1, "inp", n), n))
KERNEL(gluForward, const int64_t n = a.size(3, "n");
    ak::glu_forward(a.f32(0, "out", n), a.f32(1, "gate", n), a.f32(2, "up", n), n, a.flag(4, "gelu")))
KERNEL(roundRowsBf16, const int64_t rows = a.size(2, "rows"), width = a.size(3, "width"), at = a.size(4, "dstOffset"),
    stride = a.size(5, "dstStride"); const int64_t need = rows ? at + (rows - 1) * stride + width : 0;
    ak::round_rows_bf16(a.u16w(0, "dst", need), stride, at, a.f32(1, "src", rows * width), rows, width))
KERNEL(siluBackward, const int64_t n = a.size(3, "n");
    ak::silu_backward(a.f32(0, "dinp", n), a.f32(1, "inp", n), a.f32(2, "dout", n), n))
KERNEL(gluBackward, const int64_t n = a.size(5, "n");
    ak::glu_backward(a.f32n(0, "dgate", n), a.f32n(1, "dup", n), a.f32(2, "g", n), a.f32(3, "gate", n),
                     a.f32(4, "up", n), n, a.flag(6, "gelu"), a.flag(7, "upFresh")))

KERNEL(binaryForward, const Dims as = a.dims(3, "aStrides"), bs = a.dims(5, "bStrides"), sh = a.shape(6, "shape");
    ak::binary_forward(binding::binary_op(a, 0), a.f32(1, "out", product(sh)), a.f32(2, "a", extent(0, as, sh)), as,
                       a.f32(4, "b", extent(0, bs, sh)), bs, sh))
KERNEL(binaryBackward, const Dims as = a.dims(5, "aStrides"), bs = a.dims(7, "bStrides"), sh = a.shape(8, "shape");
    ak::binary_backward(binding::binary_op(a, 0), a.f32n(1, "da", extent(0, as, sh)),
                        a.f32n(2, "db", extent(0, bs, sh)), a.f32(3, "dout", product(sh)),
                        a.f32(4, "a", extent(0, as, sh)), as, a.f32(6, "b", extent(0, bs, sh)), bs, sh))

KERNEL(sumForward, const int64_t O = a.size(2, "outer"), R = a.size(3, "R"), I = a.size(4, "inner");
    ak::sum_forward(a.f32(0, "out", O * I), a.f32(1, "inp", O * R * I), O, R, I))
KERNEL(sumBackward, const int64_t O = a.size(2, "outer"), R = a.size(3, "R"), I = a.size(4, "inner");
    ak::sum_backward(a.f32(0, "dinp", O * R * I), a.f32(1, "dout", O * I), O, R, I))
KERNEL(maxForward, const int64_t O = a.size(3, "outer"), R = a.size(4, "R"), I = a.size(5, "inner");
    ak::max_forward(a.f32(0, "out", O * I), a.i32(1, "argmax", O * I), a.f32(2, "inp", O * R * I), O, R, I))
KERNEL(maxBackward, const int64_t O = a.size(3, "outer"), R = a.size(4, "R"), I = a.size(5, "inner");
    ak::max_backward(a.f32(0, "dinp", O * R * I), a.f32(1, "dout", O * I), a.ids(2, "argmax", O * I, R), O, R, I))

KERNEL(softmaxForward, const int64_t n = a.size(2, "N"), C = a.size(3, "C");
    ak::softmax_forward(a.f32(0, "out", n * C), a.f32(1, "inp", n * C), n, C))
KERNEL(softmaxBackward, const int64_t n = a.size(3, "N"), C = a.size(4, "C");
    ak::softmax_backward(a.f32(0, "dinp", n * C), a.f32(1, "dout", n * C), a.f32(2, "out", n * C), n, C))
KERNEL(logSoftmaxForward, const int64_t n = a.size(2, "N"), C = a.size(3, "C");
    ak::log_softmax_forward(a.f32(0, "out", n * C), a.f32(1, "inp", n * C), n, C))
KERNEL(logSoftmaxBackward, const int64_t n = a.size(3, "N"), C = a.size(4, "C");
    ak::log_softmax_backward(a.f32(0, "dinp", n * C), a.f32(1, "dout", n * C), a.f32(2, "out", n * C), n, C))

KERNEL(layerNormForward, const int64_t n = a.size(6, "N"), C = a.size(7, "C");
    ak::layer_norm_forward(a.f32(0, "out", n * C), a.f32(1, "mean", n), a.f32(2, "rstd", n), a.f32(3, "inp", n * C),
                           a.f32(4, "weight", C), a.f32n(5, "bias", C), n, C, float(a.num(8, "eps"))))
KERNEL(layerNormBackward, const int64_t n = a.size(8, "N"), C = a.size(9, "C");
    ak::layer_norm_backward(a.f32n(0, "dinp", n * C), a.f32n(1, "dweight", C), a.f32n(2, "dbias", C),
                            a.f32(3, "dout", n * C), a.f32(4, "inp", n * C), a.f32(5, "weight", C),
                            a.f32(6, "mean", n), a.f32(7, "rstd", n), n, C))
KERNEL(rmsNormForward, const int64_t n = a.size(4, "N"), C = a.size(5, "C");
    ak::rms_norm_forward(a.f32(0, "out", n * C), a.f32(1, "rstd", n), a.f32(2, "inp", n * C), a.f32(3, "weight", C),
                         n, C, float(a.num(6, "eps"))))
KERNEL(rmsNormBackward, const int64_t n = a.size(6, "N"), C = a.size(7, "C");
    ak::rms_norm_backward(a.f32n(0, "dinp", n * C), a.f32n(1, "dweight", C), a.f32(2, "dout", n * C),
                          a.f32(3, "inp", n * C), a.f32(4, "weight", C), a.f32(5, "rstd", n), n, C))

// The table's row count is its length / C; every id is checked against it.
KERNEL(embeddingForward, const int64_t n = a.size(3, "N"), C = a.size(4, "C"); float* table = a.f32(2, "table", 0);
    ak::embedding_forward(a.f32(0, "out", n * C), a.ids(1, "ids", n, C ? a.len(2) / C : 0), table, n, C))
KERNEL(embeddingForwardHalf, const int64_t n = a.size(4, "N"), C = a.size(5, "C");
    const uint16_t* table = a.u16(2, "table", 0);
    ak::embedding_forward_half(a.f32(0, "out", n * C), a.ids(1, "ids", n, C ? a.len(2) / C : 0), table,
                               a.flag(3, "bf16"), n, C))
KERNEL(embeddingBackward, const int64_t n = a.size(3, "N"), C = a.size(4, "C"); float* dtable = a.f32(0, "dtable", 0);
    ak::embedding_backward(dtable, a.f32(1, "dout", n * C), a.ids(2, "ids", n, C ? a.len(0) / C : 0), n, C))
KERNEL(crossEntropyForward, const int64_t n = a.size(4, "N"), V = a.size(5, "V"), ig = a.i64(6, "ignoreIndex");
    ak::cross_entropy_forward(a.f32(0, "losses", n), a.f32(1, "lse", n), a.f32(2, "logits", n * V),
                              a.ids(3, "targets", n, V, ig), n, V, ig))
KERNEL(crossEntropyBackward, const int64_t n = a.size(5, "N"), V = a.size(6, "V"), ig = a.i64(7, "ignoreIndex");
    ak::cross_entropy_backward(a.f32(0, "dlogits", n * V), a.f32(1, "dlosses", n), a.f32(2, "logits", n * V),
                               a.f32(3, "lse", n), a.ids(4, "targets", n, V, ig), n, V, ig, a.flag(8, "accumulate")))
KERNEL(crossEntropyFused, const int64_t n = a.size(4, "N"), V = a.size(5, "V"), ig = a.i64(6, "ignoreIndex");
    ak::cross_entropy_fused(a.f32(0, "losses", n), a.f32(1, "lse", n), a.f32(2, "logits", n * V), a.ids(3, "targets", n, V, ig), n, V,
                            ig, float(a.num(7, "scale"))))

// (mask, maskStrides) at `mask`, then (B, H, Hkv, Tq, Tk, D, scale, causal, layout) from index
// `i`: layout holds the (batch, head, row) strides of q, k, v and out, in that order.
static ak::AttentionShape attention_shape(const Args& a, size_t i, size_t mask) {
  ak::AttentionShape s{a.size(i, "B"), a.size(i + 1, "H"), a.size(i + 2, "Hkv"), a.size(i + 3, "Tq"),
                       a.size(i + 4, "Tk"), a.size(i + 5, "D"), float(a.num(i + 6, "scale")), a.flag(i + 7, "causal"),
                       nullptr, {0, 0, 0, 0}, {}, {}, {}, {}, 0.f, 0};
  if (s.Hkv == 0 || s.H % s.Hkv != 0)
    a.fail<Napi::RangeError>("H", "must be a multiple of Hkv, got H = " + std::to_string(s.H) +
                                      ", Hkv = " + std::to_string(s.Hkv));
  const Dims ms = a.dims(mask + 1, "maskStrides");
  for (size_t d = 0; d < 4 && d < ms.size(); d++) s.mask_strides[d] = ms[d];
  s.mask = a.f32n(mask, "mask", extent(0, ms, Dims{s.B, s.H, s.Tq, s.Tk}));
  const Dims lay = a.dims(i + 8, "layout");
  if (lay.size() != 12) a.fail<Napi::RangeError>("layout", "must hold 12 strides (q, k, v, out × batch, head, row), got " + std::to_string(lay.size()));
  for (int64_t st : lay)
    if (st < 0) a.fail<Napi::RangeError>("layout", "must hold strides ≥ 0, got " + std::to_string(st));
  int64_t* dst[4] = {s.q_strides, s.k_strides, s.v_strides, s.o_strides};
  for (int t = 0; t < 4; t++)
    for (int d = 0; d < 3; d++) dst[t][d] = lay[t * 3 + d];
  if (a.given(i + 9)) s.softcap = float(a.num(i + 9, "softcap"));
  if (!(s.softcap >= 0.f && std::isfinite(s.softcap)))
    a.fail<Napi::RangeError>("softcap", "must be a finite number ≥ 0 (0: none), got " + std::to_string(s.softcap));
  if (a.given(i + 10)) s.window = a.size(i + 10, "window");
  if (s.window > 0 && !s.causal) a.fail<Napi::RangeError>("window", "needs causal attention, got window " + std::to_string(s.window));
  if (a.given(i + 11)) s.bf16 = a.flag(i + 11, "bf16");
  return s;
}
// Elements a (batch, head, row) view with D contiguous values per row touches.
static binding::Range heads_extent(const int64_t* st, int64_t B, int64_t H, int64_t T, int64_t D) {
  return extent(0, Dims{st[0], st[1], st[2], 1}, Dims{B, H, T, D});
}
KERNEL(attentionForward, const ak::AttentionShape s = attention_shape(a, 7, 5);
    const auto qx = heads_extent(s.q_strides, s.B, s.H, s.Tq, s.D), ox = heads_extent(s.o_strides, s.B, s.H, s.Tq, s.D);
    const auto kx = heads_extent(s.k_strides, s.B, s.Hkv, s.Tk, s.D), vx = heads_extent(s.v_strides, s.B, s.Hkv, s.Tk, s.D);
    ak::attention_forward(a.f32(0, "out", ox), a.f32(1, "lse", s.B * s.H * s.Tq), a.f32(2, "q", qx), a.f32(3, "k", kx),
                          a.f32(4, "v", vx), s))
KERNEL(attentionBackward, const ak::AttentionShape s = attention_shape(a, 11, 9);
    const auto qx = heads_extent(s.q_strides, s.B, s.H, s.Tq, s.D), ox = heads_extent(s.o_strides, s.B, s.H, s.Tq, s.D);
    const auto kx = heads_extent(s.k_strides, s.B, s.Hkv, s.Tk, s.D), vx = heads_extent(s.v_strides, s.B, s.Hkv, s.Tk, s.D);
    ak::attention_backward(a.f32n(0, "dq", qx), a.f32n(1, "dk", kx), a.f32n(2, "dv", vx), a.f32(3, "dout", ox),
                           a.f32(4, "out", ox), a.f32(5, "lse", s.B * s.H * s.Tq), a.f32(6, "q", qx), a.f32(7, "k", kx),
                           a.f32(8, "v", vx), s))

// attentionDecodeHalf(out, q, k, v, mask, maskStrides [b, h, j], B, H, Hkv, cap, Tk, D, scale, softcap, window).
KERNEL(attentionDecodeHalf, const int64_t B = a.size(6, "B"), H = a.size(7, "H"), Hkv = a.size(8, "Hkv"),
    cap = a.size(9, "cap"), Tk = a.size(10, "Tk"), D = a.size(11, "D"), window = a.size(14, "window");
    const float scale = float(a.num(12, "scale")), softcap = float(a.num(13, "softcap"));
    if (Hkv == 0 || H % Hkv != 0)
      a.fail<Napi::RangeError>("H", "must be a multiple of Hkv, got H = " + std::to_string(H) + ", Hkv = " + std::to_string(Hkv));
    if (Tk < 1 || Tk > cap)
      a.fail<Napi::RangeError>("Tk", "must be in [1, cap = " + std::to_string(cap) + "], got " + std::to_string(Tk));
    if (!(softcap >= 0.f && std::isfinite(softcap)))
      a.fail<Napi::RangeError>("softcap", "must be a finite number ≥ 0 (0: none), got " + std::to_string(softcap));
    const Dims ms = a.dims(5, "maskStrides");
    if (ms.size() != 3) a.fail<Napi::RangeError>("maskStrides", "must hold 3 strides (batch, head, key)");
    ak::attention_decode_half(a.f32(0, "out", B * H * D), a.f32(1, "q", B * H * D), a.u16(2, "k", B * Hkv * cap * D),
                              a.u16(3, "v", B * Hkv * cap * D), a.f32n(4, "mask", extent(0, ms, Dims{B, H, Tk})),
                              ms.data(), B, H, Hkv, cap, Tk, D, scale, softcap, window))

KERNEL(stridedCopy, const int64_t off = a.i64(2, "inpOffset");
    const Dims st = a.dims(3, "inpStrides"), sh = a.shape(4, "shape");
    ak::strided_copy(a.f32(0, "out", product(sh)), a.f32(1, "inp", extent(off, st, sh)), off, st, sh,
                     a.flag(5, "accumulate")))
// rotaryForward(out, x, cos, sin, shape [B, h, T, D], strides [sB, sH, sT], offset) and
// rotaryBackward(dx, g, cos, sin, shape, strides, offset).
static void rotary_args(const Args& a, Dims* shape, Dims* strides, int64_t* offset) {
  *shape = a.shape(4, "shape");
  *strides = a.dims(5, "strides");
  *offset = a.i64(6, "offset");
  if (shape->size() != 4) a.fail<Napi::RangeError>("shape", "must be [B, h, T, D]");
  if (strides->size() != 3) a.fail<Napi::RangeError>("strides", "must be [sB, sH, sT]");
  if ((*shape)[3] % 2) a.fail<Napi::RangeError>("shape", "D must be even, got " + std::to_string((*shape)[3]));
}
KERNEL(rotaryForward, Dims sh, st; int64_t off; rotary_args(a, &sh, &st, &off);
    const Dims view{st[0], st[1], st[2], 1};
    const int64_t tables = sh[0] * sh[2] * sh[3];
    ak::rotary_forward(a.f32(0, "out", product(sh)), a.f32(1, "x", extent(off, view, sh)), a.f32(2, "cos", tables),
                       a.f32(3, "sin", tables), sh, st, off))
KERNEL(rotaryBackward, Dims sh, st; int64_t off; rotary_args(a, &sh, &st, &off);
    const Dims view{st[0], st[1], st[2], 1};
    const int64_t tables = sh[0] * sh[2] * sh[3];
    ak::rotary_backward(a.f32(0, "dx", extent(off, view, sh)), a.f32(1, "g", product(sh)), a.f32(2, "cos", tables),
                        a.f32(3, "sin", tables), sh, st, off))
KERNEL(stridedScatter, const int64_t off = a.i64(1, "outOffset");
    const Dims st = a.dims(2, "outStrides"), sh = a.shape(4, "shape");
    ak::strided_scatter(a.f32(0, "out", extent(off, st, sh)), off, st, a.f32(3, "inp", product(sh)), sh,
                        a.flag(5, "accumulate")))

KERNEL(whereForward, bool ci; const Dims cs = a.dims(2, "condStrides"), as = a.dims(4, "aStrides");
    const Dims bs = a.dims(6, "bStrides"), sh = a.shape(7, "shape");
    const void* c = a.cond(1, "cond", extent(0, cs, sh), &ci);
    ak::where_forward(a.f32(0, "out", product(sh)), c, ci, cs, a.f32(3, "a", extent(0, as, sh)), as,
                      a.f32(5, "b", extent(0, bs, sh)), bs, sh))
KERNEL(whereBackward, bool ci; const Dims cs = a.dims(4, "condStrides"), as = a.dims(5, "aStrides");
    const Dims bs = a.dims(6, "bStrides"), sh = a.shape(7, "shape");
    const void* c = a.cond(3, "cond", extent(0, cs, sh), &ci);
    ak::where_backward(a.f32n(0, "da", extent(0, as, sh)), a.f32n(1, "db", extent(0, bs, sh)),
                       a.f32(2, "dout", product(sh)), c, ci, cs, as, bs, sh))

KERNEL(adamwUpdate, const int64_t n = a.size(4, "n");
    ak::adamw_update(a.f32(0, "param", n), a.f32(1, "grad", n), a.f32(2, "m", n), a.f32(3, "v", n), n,
                     float(a.num(5, "lr")), float(a.num(6, "beta1")), float(a.num(7, "beta2")), float(a.num(8, "eps")),
                     float(a.num(9, "weightDecay")), a.size(10, "step")))

KERNEL(scaleInPlace, const int64_t n = a.size(1, "n"); ak::scale_in_place(a.f32(0, "x", n), n, a.num(2, "s")))
KERNEL(matmulScaledAdd, const int64_t M = a.size(3, "M"), N = a.size(4, "N"), K = a.size(5, "K");
    ak::matmul_scaled_add(a.f32(0, "out", M * N), a.f32(1, "a", M * K), a.f32(2, "b", N * K), M, N, K, float(a.num(6, "scale"))))
KERNEL(matmulBias, const int64_t M = a.size(4, "M"), N = a.size(5, "N"), K = a.size(6, "K");
    ak::matmul_bias(a.f32(0, "out", M * N), a.f32(1, "a", M * K), a.f32(2, "b", K * N), a.f32(3, "bias", N), M, N, K,
                    a.flag(7, "transA"), a.flag(8, "transB")))

// decodeLayer(x, h, t, q, qr, k, kn, v, o, gate, up, rstd, s, p, inNorm, qNorm, kNorm, postAttnNorm,
// mlpNorm, postMlpNorm, qW, kW, vW, oW, gateW, upW, downW, qBias, kBias, vBias, kCache, vCache, cos,
// sin, keyMask, dims, eps, scale, softcap[, kr]): one decoder layer (kernels.h's DecodeLayer), dims =
// [B, C, H, Hkv, D, F, Tk, L, cap, window, half (0 float32, 1 bfloat16, 2 binary16), gelu (0, 1)],
// then optionally separate (1: each projection in its own parallel region, the path before
// grouping), bf16Dot (1: bfloat16 weights' products by matmulBf16Dot) and cache (0 float32, 1
// bfloat16: kCache and vCache are Uint16Arrays and kr, (B, Hkv·D) float32, is given).
static ak::DecodeWeight decode_weight(const Args& a, size_t i, const char* name, int64_t n, int64_t half, const float* bias) {
  if (half) return {a.u16(i, name, n), true, half == 1, bias};
  return {a.f32(i, name, n), false, false, bias};
}
static Napi::Value decodeLayer(const Napi::CallbackInfo& info) {
  const Args a(info, "decodeLayer");
  const Dims d = a.shape(35, "dims");
  if (d.size() < 12 || d.size() > 15) a.fail<Napi::RangeError>("dims", "must hold 12 to 15 sizes, got " + std::to_string(d.size()));
  const int64_t B = d[0], C = d[1], H = d[2], Hkv = d[3], D = d[4], F = d[5], Tk = d[6], L = d[7], cap = d[8], half = d[10];
  const bool bf16_dot = d.size() > 13 && d[13] != 0, cache16 = d.size() > 14 && d[14] != 0;
  if (Hkv == 0 || H % Hkv != 0 || D % 2 != 0 || Tk != L + 1 || cap < Tk || half > 2 || (d.size() > 14 && d[14] > 1))
    a.fail<Napi::RangeError>("dims", "must have H a multiple of Hkv, D even, Tk = L + 1 ≤ cap, half ≤ 2 and cache 0 or 1");
  const int64_t HD = H * D, KD = Hkv * D;
  ak::DecodeScratch s{a.f32(0, "x", B * C), a.f32(1, "h", B * C), a.f32(2, "t", B * C), a.f32(3, "q", B * HD),
                      a.f32(4, "qr", B * HD), a.f32(5, "k", B * KD), a.f32(6, "kn", B * KD), a.f32(7, "v", B * KD),
                      a.f32(8, "o", B * HD), a.f32(9, "gate", B * F), a.f32(10, "up", B * F), a.f32(11, "rstd", B * H),
                      a.f32(12, "s", B * H * Tk), a.f32(13, "p", B * H * Tk)};
  ak::DecodeLayer l{B, C, H, Hkv, D, F, Tk, L, cap, d[9], float(a.num(36, "eps")), float(a.num(37, "scale")),
                    float(a.num(38, "softcap")), d[11] != 0,
                    a.f32(14, "inNorm", C), a.f32n(15, "qNorm", D), a.f32n(16, "kNorm", D), a.f32n(17, "postAttnNorm", C),
                    a.f32(18, "mlpNorm", C), a.f32n(19, "postMlpNorm", C),
                    decode_weight(a, 20, "qW", HD * C, half, a.f32n(27, "qBias", HD)),
                    decode_weight(a, 21, "kW", KD * C, half, a.f32n(28, "kBias", KD)),
                    decode_weight(a, 22, "vW", KD * C, half, a.f32n(29, "vBias", KD)),
                    decode_weight(a, 23, "oW", C * HD, half, nullptr), decode_weight(a, 24, "gateW", F * C, half, nullptr),
                    decode_weight(a, 25, "upW", F * C, half, nullptr), decode_weight(a, 26, "downW", C * F, half, nullptr),
                    cache16 ? nullptr : a.f32(30, "kCache", B * Hkv * cap * D),
                    cache16 ? nullptr : a.f32(31, "vCache", B * Hkv * cap * D), a.f32(32, "cos", B * D),
                    a.f32(33, "sin", B * D), a.f32(34, "keyMask", B * Tk)};
  if ((l.q_norm == nullptr) != (l.k_norm == nullptr)) a.fail<Napi::TypeError>("kNorm", "must be given exactly when qNorm is");
  l.separate = d.size() > 12 && d[12] != 0;
  l.bf16_dot = bf16_dot;
  if (cache16) {
    l.kcache16 = a.u16w(30, "kCache", B * Hkv * cap * D);
    l.vcache16 = a.u16w(31, "vCache", B * Hkv * cap * D);
    s.kr = a.f32(39, "kr", B * KD);
  }
  ak::decode_layer(l, s);
  return info.Env().Undefined();
}
static const Register register_decodeLayer("decodeLayer", decodeLayer);

static Napi::Value sumSquares(const Napi::CallbackInfo& info) {
  const Args a(info, "sumSquares");
  const int64_t n = a.size(1, "n");
  return Napi::Number::New(info.Env(), ak::sum_squares(a.f32(0, "inp", n), n));
}
static const Register register_sumSquares("sumSquares", sumSquares);

KERNEL(matmulBf16Dot, const int64_t M = a.size(3, "M"), N = a.size(4, "N"), K = a.size(5, "K");
    ak::matmul_bf16dot(a.f32(0, "out", M * N), a.f32(1, "a", M * K), a.u16(2, "w", K * N), M, N, K, a.flag(6, "transB"),
                       a.flag(7, "accumulate")))

// Its float64 sums come back in a Float64Array, which Args does not unwrap: checked here.
static Napi::Value greedyRows(const Napi::CallbackInfo& info) {
  const Args a(info, "greedyRows");
  const int64_t B = a.size(3, "B"), V = a.size(4, "V");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(info.Env(), "greedyRows: sum must be a Float64Array");
  Napi::Float64Array sum = info[1].As<Napi::Float64Array>();
  if (int64_t(sum.ElementLength()) < B)
    throw Napi::RangeError::New(info.Env(), "greedyRows: sum has " + std::to_string(sum.ElementLength()) + " elements; expected at least B = " + std::to_string(B));
  if (V < 1 && B > 0) throw Napi::RangeError::New(info.Env(), "greedyRows: V must be ≥ 1");
  ak::greedy_rows(a.i32(0, "token", B), sum.Data(), a.f32(2, "logits", B * V), B, V);
  return info.Env().Undefined();
}
static const Register register_greedyRows("greedyRows", greedyRows);

// softmaxSums(stats, logits, B, V, temperature): stats, a Float64Array of 2·B, checked here.
static Napi::Value softmaxSums(const Napi::CallbackInfo& info) {
  const Args a(info, "softmaxSums");
  const int64_t B = a.size(2, "B"), V = a.size(3, "V");
  const double t = a.num(4, "temperature");
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(info.Env(), "softmaxSums: stats must be a Float64Array");
  Napi::Float64Array stats = info[0].As<Napi::Float64Array>();
  if (int64_t(stats.ElementLength()) < 2 * B)
    throw Napi::RangeError::New(info.Env(), "softmaxSums: stats has " + std::to_string(stats.ElementLength()) + " elements; expected at least 2·B = " + std::to_string(2 * B));
  if (!(t > 0) || !std::isfinite(t)) a.fail<Napi::RangeError>("temperature", "must be a finite number > 0, got " + std::to_string(t));
  ak::softmax_sums(stats.Data(), a.f32(1, "logits", B * V), B, V, t);
  return info.Env().Undefined();
}
static const Register register_softmaxSums("softmaxSums", softmaxSums);

// inverseCdf(logits, V, temperature, lse, u) → the token, or −1.
static Napi::Value inverseCdf(const Napi::CallbackInfo& info) {
  const Args a(info, "inverseCdf");
  const int64_t V = a.size(1, "V");
  const double t = a.num(2, "temperature");
  if (!(t > 0) || !std::isfinite(t)) a.fail<Napi::RangeError>("temperature", "must be a finite number > 0, got " + std::to_string(t));
  const int64_t i = ak::inverse_cdf(a.f32(0, "logits", V), V, t, a.num(3, "lse"), a.num(4, "u"));
  return Napi::Number::New(info.Env(), double(i));
}
static const Register register_inverseCdf("inverseCdf", inverseCdf);

// Controls beside the kernels: which SIMD path and how many threads (for tests and benchmarks).
static Napi::Value config(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", ak::isa_name(ak::isa()));
  o.Set("bestIsa", ak::isa_name(ak::best_isa()));
  o.Set("threads", ak::num_threads());
  o.Set("bf16Dot", ak::has_bf16dot());
  o.Set("amx", ak::has_amx());
  return o;
}
static const Register register_config("config", config);

static Napi::Value setAmx(const Napi::CallbackInfo& info) {
  const Args a(info, "setAmx");
  return Napi::Boolean::New(info.Env(), ak::set_amx(a.flag(0, "on")));
}
static const Register register_setAmx("setAmx", setAmx);

static Napi::Value setIsa(const Napi::CallbackInfo& info) {
  const Args a(info, "setIsa");
  const std::string want = a.str(0, "isa");
  for (ak::Isa i : {ak::Isa::generic, ak::Isa::avx2, ak::Isa::avx512})
    if (want == ak::isa_name(i)) return Napi::String::New(info.Env(), ak::isa_name(ak::set_isa(i)));
  a.fail<Napi::RangeError>("isa", "is '" + want + "', expected one of generic, avx2, avx512");
}
static const Register register_setIsa("setIsa", setIsa);

static Napi::Value setThreads(const Napi::CallbackInfo& info) {
  const Args a(info, "setThreads");
  return Napi::Number::New(info.Env(), ak::set_num_threads(static_cast<int>(a.size(0, "threads"))));
}
static const Register register_setThreads("setThreads", setThreads);

// A training step allocates hundreds of tensors of a few MB, and Node backs each typed array with
// calloc. glibc serves blocks above its mmap threshold (128 KiB at first, raised dynamically)
// with fresh mmap'd pages, one page fault per 4 KiB on first touch, and returns freed heap tops
// to the kernel past its trim threshold; either way the next step faults the same memory in
// again. Keeping blocks up to 32 MiB (glibc's ceiling for this setting) in the heap and not
// trimming it lets freed tensors' memory be reused: on config B of `alignkit bench` the faults
// fell from about 13,000 to 600 per step. Blocks past 32 MiB (a prefill's 2,048 × 4,864 MLP
// activations at Qwen2.5-0.5B's shape, 40 MB each) would still get fresh mappings, so mmap is
// not used for blocks at all: with it, batch-32 decoding at that shape spent ~0.6 s of a 20 s run
// faulting pages in (binaryForward(mul) alone 627 → 253 ms). Set once, when the addon loads; the
// JS backend does not need it to work, only to go faster.
static void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

static Napi::Object init(Napi::Env env, Napi::Object exports) {
  keep_freed_memory();
  for (auto& [name, fn] : table()) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

NODE_API_MODULE(alignkit, init)
