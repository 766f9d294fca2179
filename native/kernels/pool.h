// A thread pool sized to the cores (ALIGNKIT_THREADS overrides) for the kernels that are big
// enough to split. The calling thread takes part, so one thread means no pool at all.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace ak {

int num_threads();
// Sets the number of threads (clamped to [1, 256]); returns the number now in force.
int set_num_threads(int n);

// Runs call(ctx, i) for every i in [0, n) and returns when all are done. Runs serially when
// n == 1, on one thread, when called from inside a task, or when another thread owns the pool.
void run_tasks(int64_t n, void (*call)(void*, int64_t), void* ctx);

template <class F>
void parallel_for(int64_t n, F&& f) {
  if (n <= 0) return;
  auto thunk = [](void* c, int64_t i) { (*static_cast<std::remove_reference_t<F>*>(c))(i); };
  run_tasks(n, thunk, const_cast<void*>(static_cast<const void*>(&f)));
}

// How many chunks parallel_range cuts [0, total) into: at most a few per thread, each at least
// `grain` long, and one below 2·grain, since waking a worker costs about as much as a few
// microseconds of work.
inline int64_t chunk_count(int64_t total, int64_t grain) {
  int64_t threads = num_threads(), chunks = grain > 0 ? total / grain : total;
  if (chunks > 4 * threads) chunks = 4 * threads;
  return threads == 1 || chunks < 2 ? 1 : chunks;
}

// Calls f(c, lo, hi) for each chunk c of [0, total) (see chunk_count), in parallel.
template <class F>
void parallel_chunks(int64_t total, int64_t grain, F&& f) {
  if (total <= 0) return;
  const int64_t chunks = chunk_count(total, grain);
  if (chunks == 1) { f(int64_t(0), int64_t(0), total); return; }
  parallel_for(chunks, [&](int64_t c) { f(c, total * c / chunks, total * (c + 1) / chunks); });
}

template <class F>
void parallel_range(int64_t total, int64_t grain, F&& f) {
  parallel_chunks(total, grain, [&](int64_t, int64_t lo, int64_t hi) { f(lo, hi); });
}

// Calls f(lo, hi) once per thread, each with an even share of [0, total): for work whose every
// share re-reads a common operand (a's rounded rows, a pass of packed panels), which the finer
// chunks of parallel_range would read again per chunk.
template <class F>
void parallel_shares(int64_t total, F&& f) {
  const int64_t T = std::min<int64_t>(num_threads(), total);
  parallel_for(T, [&](int64_t t) { f(total * t / T, total * (t + 1) / T); });
}

}  // namespace ak
