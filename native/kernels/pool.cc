// The pool behind parallel_for. Workers spin for a short while after each job, because kernels
// come back to back during a training step and a futex wake-up costs tens of microseconds; then
// they sleep on a condition variable so that an idle process leaves the cores alone.
#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define AK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define AK_PAUSE() __asm__ __volatile__("yield")
#else
#define AK_PAUSE() ((void)0)
#endif

namespace ak {
namespace {

struct Job {
  void (*call)(void*, int64_t);
  void* ctx;
  int64_t n;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
};

// Never destroyed: workers may still be parked when the process exits.
struct Pool {
  std::vector<std::thread> workers;
  std::atomic<Job*> job{nullptr};
  std::atomic<uint64_t> gen{0};
  std::atomic<int> active{0};    // workers between "saw a job" and "left it"
  std::atomic<int> sleepers{0};
  std::mutex mu;                 // for sleeping, and so that one JS thread owns the pool at a time
  std::mutex owner;
  std::condition_variable cv;
  std::atomic<int> size{1};
};

Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

thread_local bool t_in_task = false;

// A wait: spin briefly, then yield the core. With more runnable threads than cores (a shared
// machine, or the ALIGNKIT_THREADS of several processes) the thread we wait for may be queued
// behind us on this core, and a pure spin would hold the very core it needs.
inline void relax(int& spins) {
  if (++spins < 2048) AK_PAUSE();
  else std::this_thread::yield();
}

void work(Job* j) {
  t_in_task = true;
  for (int64_t i; (i = j->next.fetch_add(1)) < j->n;) {
    j->call(j->ctx, i);
    j->done.fetch_add(1, std::memory_order_release);
  }
  t_in_task = false;
}

void worker_loop(Pool* p, int index) {
  uint64_t seen = 0;
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    for (int spin = 0, spins = 0; p->gen.load() == seen; spin++) {
      relax(spins);
      if ((spin & 255) == 255 && std::chrono::steady_clock::now() - t0 > std::chrono::microseconds(200)) {
        std::unique_lock<std::mutex> lk(p->mu);
        p->sleepers.fetch_add(1);
        p->cv.wait(lk, [&] { return p->gen.load() != seen; });
        p->sleepers.fetch_sub(1);
        break;
      }
    }
    seen = p->gen.load();
    if (index >= p->size.load() - 1) continue;  // parked by a smaller set_num_threads
    // Registering as active before reading the job (both sequentially consistent) means the
    // owner, which clears the job and then waits for active == 0, never frees a job in use.
    p->active.fetch_add(1);
    if (Job* j = p->job.load()) work(j);
    p->active.fetch_sub(1);
  }
}

int default_threads() {
  if (const char* s = std::getenv("ALIGNKIT_THREADS")) {
    int n = std::atoi(s);
    if (n > 0) return n;
  }
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

int resize(Pool& p, int n);

// Workers start on first use, not while the addon is being dlopen()ed.
Pool& started() {
  static Pool* p = [] {
    Pool& q = pool();
    resize(q, default_threads());
    return &q;
  }();
  return *p;
}

int resize(Pool& p, int n) {
  n = n < 1 ? 1 : n > 256 ? 256 : n;
  // Workers are only ever added; a smaller size just leaves the extra ones parked.
  while (static_cast<int>(p.workers.size()) < n - 1) {
    p.workers.emplace_back(worker_loop, &p, static_cast<int>(p.workers.size()));
    p.workers.back().detach();
  }
  p.size.store(n);
  return n;
}

}  // namespace

int num_threads() { return started().size.load(std::memory_order_relaxed); }

int set_num_threads(int n) {
  Pool& p = started();
  std::lock_guard<std::mutex> own(p.owner);
  return resize(p, n);
}

void run_tasks(int64_t n, void (*call)(void*, int64_t), void* ctx) {
  Pool& p = started();
  if (n == 1 || t_in_task || p.size.load() == 1 || !p.owner.try_lock()) {
    for (int64_t i = 0; i < n; i++) call(ctx, i);
    return;
  }
  Job j;
  j.call = call;
  j.ctx = ctx;
  j.n = n;
  p.job.store(&j);
  p.gen.fetch_add(1);
  if (p.sleepers.load() > 0) {
    std::lock_guard<std::mutex> lk(p.mu);
    p.cv.notify_all();
  }
  work(&j);
  int spins = 0;
  while (j.done.load(std::memory_order_acquire) < n) relax(spins);
  p.job.store(nullptr);
  while (p.active.load() > 0) relax(spins);
  p.owner.unlock();
}

}  // namespace ak
