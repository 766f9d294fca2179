// Argument unwrapping for binding.cc: typed arrays without copying (at their byteOffset), null
// for an optional gradient, number arrays for shapes and strides, each checked against the
// extent the kernel will touch, so that a bad call throws a TypeError or RangeError naming the
// kernel, the argument and what was expected instead of reading out of bounds.
#pragma once

#include <napi.h>

#include <climits>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace binding {

using ak::Dims;

struct Range { int64_t lo, hi; };  // smallest and largest element offset touched

// Offsets touched by a strided view of `shape` starting at `offset` (hi < lo: none at all).
inline Range extent(int64_t offset, const Dims& strides, const Dims& shape) {
  Range r{offset, offset};
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] == 0) return {0, -1};
    const int64_t s = i < strides.size() ? strides[i] : 0, span = (shape[i] - 1) * s;
    (span < 0 ? r.lo : r.hi) += span;
  }
  return r;
}

inline int64_t product(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Elements touched by `batch` items of n elements, `stride` apart.
inline Range batched(int64_t batch, int64_t stride, int64_t n) {
  return batch > 0 && n > 0 ? Range{0, (batch - 1) * stride + n - 1} : Range{0, -1};
}

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel) : info_(info), kernel_(kernel) {}

  int64_t i64(size_t i, const char* name) const {
    if (!info_[i].IsNumber()) fail<Napi::TypeError>(name, "must be a number");
    const double v = info_[i].As<Napi::Number>().DoubleValue();
    if (v != static_cast<double>(static_cast<int64_t>(v))) fail<Napi::TypeError>(name, "must be an integer");
    return static_cast<int64_t>(v);
  }
  int64_t size(size_t i, const char* name) const {
    const int64_t v = i64(i, name);
    if (v < 0) fail<Napi::RangeError>(name, "must be ≥ 0, got " + std::to_string(v));
    return v;
  }
  // Whether an optional trailing argument was passed (and is not undefined).
  bool given(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined(); }
  double num(size_t i, const char* name) const {
    if (!info_[i].IsNumber()) fail<Napi::TypeError>(name, "must be a number");
    return info_[i].As<Napi::Number>().DoubleValue();
  }
  bool flag(size_t i, const char* name) const {
    if (!info_[i].IsBoolean()) fail<Napi::TypeError>(name, "must be a boolean");
    return info_[i].As<Napi::Boolean>().Value();
  }
  std::string str(size_t i, const char* name) const {
    if (!info_[i].IsString()) fail<Napi::TypeError>(name, "must be a string");
    return info_[i].As<Napi::String>().Utf8Value();
  }
  Dims dims(size_t i, const char* name) const {
    if (!info_[i].IsArray()) fail<Napi::TypeError>(name, "must be an array of integers");
    Napi::Array a = info_[i].As<Napi::Array>();
    Dims d(a.Length());
    for (uint32_t j = 0; j < a.Length(); j++) {
      Napi::Value v = a[j];
      if (!v.IsNumber()) fail<Napi::TypeError>(name, "must be an array of integers");
      d[j] = v.As<Napi::Number>().Int64Value();
    }
    return d;
  }

  Dims shape(size_t i, const char* name) const {
    Dims d = dims(i, name);
    for (int64_t v : d)
      if (v < 0) fail<Napi::RangeError>(name, "must hold sizes ≥ 0, got " + std::to_string(v));
    return d;
  }

  // A typed array of `type` covering [r.lo, r.hi], or null when `nullable` and null is passed.
  void* typed(size_t i, const char* name, napi_typedarray_type type, Range r, bool nullable) const {
    if (nullable && (info_[i].IsNull() || info_[i].IsUndefined())) return nullptr;
    const char* want = type == napi_float32_array  ? "a Float32Array"
                       : type == napi_uint16_array ? "a Uint16Array"
                       : type == napi_int8_array   ? "an Int8Array"
                                                   : "an Int32Array";
    if (!info_[i].IsTypedArray() || info_[i].As<Napi::TypedArray>().TypedArrayType() != type)
      fail<Napi::TypeError>(name, std::string("must be ") + want + (nullable ? " or null" : ""));
    Napi::TypedArray t = info_[i].As<Napi::TypedArray>();
    const int64_t len = static_cast<int64_t>(t.ElementLength());
    if (r.hi >= r.lo && (r.lo < 0 || r.hi >= len))
      fail<Napi::RangeError>(name, "has " + std::to_string(len) + " elements; the kernel reads [" +
                                       std::to_string(r.lo) + ", " + std::to_string(r.hi) + "]");
    // napi_get_typedarray_info's data pointer already includes the view's byteOffset.
    return static_cast<char*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  }
  float* f32(size_t i, const char* name, int64_t n) const { return f32(i, name, Range{0, n - 1}); }
  float* f32(size_t i, const char* name, Range r) const {
    return static_cast<float*>(typed(i, name, napi_float32_array, r, false));
  }
  float* f32n(size_t i, const char* name, int64_t n) const { return f32n(i, name, Range{0, n - 1}); }
  float* f32n(size_t i, const char* name, Range r) const {
    return static_cast<float*>(typed(i, name, napi_float32_array, r, true));
  }
  const uint16_t* u16(size_t i, const char* name, int64_t n) const {
    return static_cast<const uint16_t*>(typed(i, name, napi_uint16_array, Range{0, n - 1}, false));
  }
  // A Uint16Array the kernel writes (a bfloat16 KV cache).
  uint16_t* u16w(size_t i, const char* name, int64_t n) const {
    return static_cast<uint16_t*>(typed(i, name, napi_uint16_array, Range{0, n - 1}, false));
  }
  const int8_t* i8(size_t i, const char* name, int64_t n) const {
    return static_cast<const int8_t*>(typed(i, name, napi_int8_array, Range{0, n - 1}, false));
  }
  int32_t* i32(size_t i, const char* name, int64_t n) const {
    return static_cast<int32_t*>(typed(i, name, napi_int32_array, Range{0, n - 1}, false));
  }
  // `where`'s condition: a Float32Array or an Int32Array.
  const void* cond(size_t i, const char* name, Range r, bool* is_int) const {
    *is_int = info_[i].IsTypedArray() && info_[i].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
    return typed(i, name, *is_int ? napi_int32_array : napi_float32_array, r, false);
  }
  // Ids used as row numbers of a table of `rows` rows; `skip` (an ignore index) is allowed too.
  const int32_t* ids(size_t i, const char* name, int64_t n, int64_t rows, int64_t skip = INT64_MIN) const {
    const int32_t* p = i32(i, name, n);
    for (int64_t j = 0; j < n; j++)
      if (p[j] != skip && (p[j] < 0 || p[j] >= rows))
        fail<Napi::RangeError>(std::string(name) + "[" + std::to_string(j) + "]",
                               "is " + std::to_string(p[j]) + ", outside [0, " + std::to_string(rows) + ")");
    return p;
  }
  int64_t len(size_t i) const { return static_cast<int64_t>(info_[i].As<Napi::TypedArray>().ElementLength()); }

  template <class E>
  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    throw E::New(info_.Env(), std::string(kernel_) + ": " + name + " " + what);
  }

 private:
  const Napi::CallbackInfo& info_;
  const char* kernel_;
};

inline ak::UnaryOp unary_op(const Args& a, size_t i) {
  const std::string s = a.str(i, "op");
  static const char* names[] = {"neg", "exp", "log", "sqrt", "tanh", "relu", "pow"};
  for (int k = 0; k < 7; k++) if (s == names[k]) return static_cast<ak::UnaryOp>(k);
  a.fail<Napi::RangeError>("op", "is '" + s + "', expected one of neg, exp, log, sqrt, tanh, relu, pow");
}

inline ak::BinaryOp binary_op(const Args& a, size_t i) {
  const std::string s = a.str(i, "op");
  static const char* names[] = {"add", "sub", "mul", "div"};
  for (int k = 0; k < 4; k++) if (s == names[k]) return static_cast<ak::BinaryOp>(k);
  a.fail<Napi::RangeError>("op", "is '" + s + "', expected one of add, sub, mul, div");
}

}  // namespace binding
