// Walks an N-d index space row by row for up to three strided operands, as src/backend/js/walk.ts
// does, after coalescing: axes of size 1 are dropped and adjacent axes merge wherever every
// operand's strides allow, so a contiguous operation becomes one long row and a bias broadcast
// becomes rows with strides (1, 0). The kernels then specialise the row loop on those strides.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu.h"
#include "kernels.h"

namespace ak {

class Walk {
 public:
  // A missing stride list (nullptr) or a list shorter than the shape counts as strides of 0.
  Walk(const Dims& shape, const Dims* s0, const Dims* s1 = nullptr, const Dims* s2 = nullptr) {
    const Dims* in[3] = {s0, s1, s2};
    auto stride = [&](int k, size_t ax) { return in[k] && ax < in[k]->size() ? (*in[k])[ax] : int64_t(0); };
    for (int64_t d : shape) if (d == 0) { rows_ = 0; return; }
    for (size_t ax = shape.size(); ax-- > 0;) {
      if (shape[ax] == 1) continue;
      bool merge = !shape_.empty();
      for (int k = 0; k < 3 && merge; k++) merge = stride(k, ax) == st_[k].back() * shape_.back();
      if (merge) {
        shape_.back() *= shape[ax];  // the merged axis keeps the inner axis's strides
        continue;
      }
      shape_.push_back(shape[ax]);
      for (int k = 0; k < 3; k++) st_[k].push_back(stride(k, ax));
    }
    // Stored innermost first; a scalar (all sizes 1) is one row of one element.
    if (shape_.empty()) { shape_.push_back(1); for (auto& s : st_) s.push_back(0); }
    n_ = shape_[0];
    for (size_t i = 1; i < shape_.size(); i++) rows_ *= shape_[i];
  }

  int64_t rows() const { return rows_; }

  // Whether operand k reaches a different element from every index (no stride 0, no axes that
  // overlap): then rows written through it are disjoint and may go to different threads.
  bool injective(int k) const {
    std::vector<std::pair<int64_t, int64_t>> ax;  // (|stride|, size) of every axis left
    for (size_t i = 0; i < shape_.size(); i++) {
      const int64_t st = st_[k][i] < 0 ? -st_[k][i] : st_[k][i];
      if (shape_[i] > 1 && st == 0) return false;
      ax.emplace_back(st, shape_[i]);
    }
    std::sort(ax.begin(), ax.end());
    int64_t span = 0;  // the farthest offset the smaller-stride axes reach
    for (auto [st, n] : ax) {
      if (n > 1 && st <= span) return false;
      span += (n - 1) * st;
    }
    return true;
  }
  int64_t n() const { return n_; }
  int64_t stride(int k) const { return st_[k][0]; }

  // Calls row(o0, o1, o2) with the operands' offsets at the start of each row in [r0, r1).
  template <class F>
  AK_INLINE void each(int64_t r0, int64_t r1, F&& row) const {
    if (r0 >= r1) return;
    const size_t R = shape_.size();
    std::vector<int64_t> idx(R, 0);
    int64_t o[3] = {0, 0, 0}, rem = r0;
    for (size_t ax = 1; ax < R; ax++) {
      idx[ax] = rem % shape_[ax];
      rem /= shape_[ax];
      for (int k = 0; k < 3; k++) o[k] += idx[ax] * st_[k][ax];
    }
    for (int64_t r = r0;;) {
      row(o[0], o[1], o[2]);
      if (++r == r1) return;
      for (size_t ax = 1; ax < R; ax++) {
        for (int k = 0; k < 3; k++) o[k] += st_[k][ax];
        if (++idx[ax] < shape_[ax]) break;
        for (int k = 0; k < 3; k++) o[k] -= st_[k][ax] * shape_[ax];
        idx[ax] = 0;
      }
    }
  }

 private:
  std::vector<int64_t> shape_, st_[3];
  int64_t rows_ = 1, n_ = 0;
};

// Row-major strides of a contiguous array of this shape.
inline Dims contiguous(const Dims& shape) {
  Dims s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) { s[i] = acc; acc *= shape[i]; }
  return s;
}

}  // namespace ak
