// Broadcasting binary ops and `where`. After coalescing (walk.h) the row strides are almost
// always (1, 1) for same-shape operands or (1, 0) / (0, 1) for a bias or per-row broadcast,
// and each of those gets a loop the compiler vectorises; anything else takes the strided loop.
#include "cpu.h"
#include "kernels.h"
#include "pool.h"
#include "walk.h"

namespace ak {
namespace {

struct Add { AK_INLINE float operator()(float x, float y) const { return x + y; } };
struct Sub { AK_INLINE float operator()(float x, float y) const { return x - y; } };
struct Mul { AK_INLINE float operator()(float x, float y) const { return x * y; } };
struct Div { AK_INLINE float operator()(float x, float y) const { return x / y; } };

template <class F>
static AK_INLINE void op_row(float* out, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n, F f) {
  if (sa == 1 && sb == 1) for (int64_t j = 0; j < n; j++) out[j] = f(a[j], b[j]);
  else if (sa == 1 && sb == 0) { const float y = *b; for (int64_t j = 0; j < n; j++) out[j] = f(a[j], y); }
  else if (sa == 0 && sb == 1) { const float x = *a; for (int64_t j = 0; j < n; j++) out[j] = f(x, b[j]); }
  else for (int64_t j = 0; j < n; j++) out[j] = f(a[j * sa], b[j * sb]);
}

// Operands: 0 = out (contiguous), 1 = a, 2 = b.
template <class F>
static AK_INLINE void op_rows(const Walk& w, int64_t r0, int64_t r1, float* out, const float* a, const float* b, F f) {
  const int64_t sa = w.stride(1), sb = w.stride(2), n = w.n();
  w.each(r0, r1, [&](int64_t oo, int64_t oa, int64_t ob) AK_INLINE_LAMBDA { op_row(out + oo, a + oa, sa, b + ob, sb, n, f); });
}

static AK_INLINE void binary_fwd_body(BinaryOp op, const Walk* w, int64_t r0, int64_t r1, float* out, const float* a,
                                      const float* b) {
  switch (op) {
    case BinaryOp::add: op_rows(*w, r0, r1, out, a, b, Add{}); break;
    case BinaryOp::sub: op_rows(*w, r0, r1, out, a, b, Sub{}); break;
    case BinaryOp::mul: op_rows(*w, r0, r1, out, a, b, Mul{}); break;
    case BinaryOp::div: op_rows(*w, r0, r1, out, a, b, Div{}); break;
  }
}

// d[j·sd] += g(j); a stride of 0 (a broadcast operand) sums the row first.
template <class G>
static AK_INLINE void grad_row(float* d, int64_t sd, int64_t n, G g) {
  if (sd == 0) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; j++) s += g(j);
    *d += s;
  } else if (sd == 1) {
    for (int64_t j = 0; j < n; j++) d[j] += g(j);
  } else {
    for (int64_t j = 0; j < n; j++) d[j * sd] += g(j);
  }
}

// Operands: 0 = dout (contiguous), 1 = a and da, 2 = b and db.
static AK_INLINE void binary_bwd_body(BinaryOp op, const Walk* w, int64_t r0, int64_t r1, float* da, float* db,
                                      const float* dout, const float* a, const float* b) {
  const int64_t sa = w->stride(1), sb = w->stride(2), n = w->n();
  w->each(r0, r1, [&](int64_t oo, int64_t oa, int64_t ob) AK_INLINE_LAMBDA {
    const float* g = dout + oo;
    const float *x = a + oa, *y = b + ob;
    float *dx = da ? da + oa : nullptr, *dy = db ? db + ob : nullptr;
    switch (op) {
      case BinaryOp::add:
        if (dx) grad_row(dx, sa, n, [&](int64_t j) { return g[j]; });
        if (dy) grad_row(dy, sb, n, [&](int64_t j) { return g[j]; });
        break;
      case BinaryOp::sub:
        if (dx) grad_row(dx, sa, n, [&](int64_t j) { return g[j]; });
        if (dy) grad_row(dy, sb, n, [&](int64_t j) { return -g[j]; });
        break;
      case BinaryOp::mul:
        if (dx) grad_row(dx, sa, n, [&](int64_t j) { return g[j] * y[j * sb]; });
        if (dy) grad_row(dy, sb, n, [&](int64_t j) { return g[j] * x[j * sa]; });
        break;
      case BinaryOp::div:
        if (dx) grad_row(dx, sa, n, [&](int64_t j) { return g[j] / y[j * sb]; });
        if (dy) grad_row(dy, sb, n, [&](int64_t j) { const float v = y[j * sb]; return -(g[j] * x[j * sa]) / (v * v); });
        break;
    }
  });
}

template <class T>
static AK_INLINE void where_fwd_rows(const Walk& w, int64_t r0, int64_t r1, float* out, const T* c, const float* a,
                                     const float* b) {
  // The output is contiguous of the same shape, so its offset is the row number times n.
  const int64_t sc = w.stride(0), sa = w.stride(1), sb = w.stride(2), n = w.n();
  int64_t oo = r0 * n;
  w.each(r0, r1, [&](int64_t pc, int64_t pa, int64_t pb) AK_INLINE_LAMBDA {
    for (int64_t j = 0; j < n; j++) out[oo + j] = c[pc + j * sc] != 0 ? a[pa + j * sa] : b[pb + j * sb];
    oo += n;
  });
}

template <class T>
static AK_INLINE void where_bwd_rows(const Walk& w, float* da, float* db, const float* dout, const T* c) {
  const int64_t sc = w.stride(0), sa = w.stride(1), sb = w.stride(2), n = w.n();
  int64_t oo = 0;
  w.each(0, w.rows(), [&](int64_t pc, int64_t pa, int64_t pb) AK_INLINE_LAMBDA {
    const float* g = dout + oo;
    const T* ci = c + pc;
    if (da) grad_row(da + pa, sa, n, [&](int64_t j) { return ci[j * sc] != 0 ? g[j] : 0.f; });
    if (db) grad_row(db + pb, sb, n, [&](int64_t j) { return ci[j * sc] != 0 ? 0.f : g[j]; });
    oo += n;
  });
}

static AK_INLINE void where_fwd_body(const Walk* w, int64_t r0, int64_t r1, float* out, const void* c, bool ci,
                                     const float* a, const float* b) {
  if (ci) where_fwd_rows(*w, r0, r1, out, static_cast<const int32_t*>(c), a, b);
  else where_fwd_rows(*w, r0, r1, out, static_cast<const float*>(c), a, b);
}

static AK_INLINE void where_bwd_body(const Walk* w, float* da, float* db, const float* dout, const void* c, bool ci) {
  if (ci) where_bwd_rows(*w, da, db, dout, static_cast<const int32_t*>(c));
  else where_bwd_rows(*w, da, db, dout, static_cast<const float*>(c));
}

AK_MULTIVERSION(void, binary_fwd, binary_fwd_body,
                (BinaryOp op, const Walk* w, int64_t r0, int64_t r1, float* out, const float* a, const float* b),
                (op, w, r0, r1, out, a, b))
AK_MULTIVERSION(void, binary_bwd, binary_bwd_body,
                (BinaryOp op, const Walk* w, int64_t r0, int64_t r1, float* da, float* db, const float* dout,
                 const float* a, const float* b),
                (op, w, r0, r1, da, db, dout, a, b))
AK_MULTIVERSION(void, where_fwd, where_fwd_body,
                (const Walk* w, int64_t r0, int64_t r1, float* out, const void* c, bool ci, const float* a,
                 const float* b),
                (w, r0, r1, out, c, ci, a, b))
AK_MULTIVERSION(void, where_bwd, where_bwd_body,
                (const Walk* w, float* da, float* db, const float* dout, const void* c, bool ci),
                (w, da, db, dout, c, ci))

int64_t rows_grain(const Walk& w) { return 1 + (1 << 14) / (w.n() ? w.n() : 1); }

}  // namespace

void binary_forward(BinaryOp op, float* out, const float* a, const Dims& as, const float* b, const Dims& bs,
                    const Dims& shape) {
  const Dims os = contiguous(shape);
  const Walk w(shape, &os, &as, &bs);
  parallel_range(w.rows(), rows_grain(w), [&](int64_t lo, int64_t hi) { binary_fwd(op, &w, lo, hi, out, a, b); });
}

// Serial when a broadcast operand receives sums from many rows; split across threads when each
// wanted gradient element belongs to one row (a residual connection's two same-shape operands).
void binary_backward(BinaryOp op, float* da, float* db, const float* dout, const float* a, const Dims& as,
                     const float* b, const Dims& bs, const Dims& shape) {
  const Dims os = contiguous(shape);
  const Walk w(shape, &os, &as, &bs);
  if ((da && !w.injective(1)) || (db && !w.injective(2))) {
    binary_bwd(op, &w, 0, w.rows(), da, db, dout, a, b);
    return;
  }
  parallel_range(w.rows(), rows_grain(w), [&](int64_t lo, int64_t hi) { binary_bwd(op, &w, lo, hi, da, db, dout, a, b); });
}

void where_forward(float* out, const void* cond, bool cond_is_int, const Dims& cs, const float* a, const Dims& as,
                   const float* b, const Dims& bs, const Dims& shape) {
  // The output is not an operand of the walk, so axes merge only where cond, a and b allow and
  // rows stay whole rows of the output.
  const Walk w(shape, &cs, &as, &bs);
  parallel_range(w.rows(), rows_grain(w),
                 [&](int64_t lo, int64_t hi) { where_fwd(&w, lo, hi, out, cond, cond_is_int, a, b); });
}

void where_backward(float* da, float* db, const float* dout, const void* cond, bool cond_is_int, const Dims& cs,
                    const Dims& as, const Dims& bs, const Dims& shape) {
  const Walk w(shape, &cs, &as, &bs);
  where_bwd(&w, da, db, dout, cond, cond_is_int);
}

}  // namespace ak
