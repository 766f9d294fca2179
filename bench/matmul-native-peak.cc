// The FMA ceiling for bench/matmul-native.ts: every thread runs 12 independent chains of fused
// multiply-adds (enough to cover the FMA latency on every x86 core since Haswell) for about
// `ms` milliseconds; the total rate is the roof any sgemm is measured against.
// Usage: matmul-native-peak threads ms  → prints "GFLOP/s isa"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

using Clock = std::chrono::steady_clock;

// One chain step per accumulator; the empty asm keeps the 12 chains distinct and in registers.
#define CHAINS(T, FMA)                                                                          \
  T a0 = x, a1 = y, a2 = x, a3 = y, a4 = x, a5 = y, a6 = x, a7 = y, a8 = x, a9 = y, a10 = x, a11 = y; \
  for (long i = 0; i < iters; i++) {                                                            \
    a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y); a3 = FMA(a3, x, y);             \
    a4 = FMA(a4, x, y); a5 = FMA(a5, x, y); a6 = FMA(a6, x, y); a7 = FMA(a7, x, y);             \
    a8 = FMA(a8, x, y); a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y);         \
    __asm__("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6), "+x"(a7), \
            "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));                                          \
  }                                                                                             \
  sink = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void run512(long iters) {
  __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(1e-7f);
  volatile __m512 sink;
  CHAINS(__m512, _mm512_fmadd_ps)
  (void)sink;
}
__attribute__((target("avx2,fma"))) static void run256(long iters) {
  __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(1e-7f);
  volatile __m256 sink;
  CHAINS(__m256, _mm256_fmadd_ps)
  (void)sink;
}
#endif

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double seconds = (argc > 2 ? std::atof(argv[2]) : 500) / 1000;
  void (*run)(long) = nullptr;
  int lanes = 0;
  const char* isa = "none";
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) run = run512, lanes = 16, isa = "avx512";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) run = run256, lanes = 8, isa = "avx2+fma";
#endif
  if (!run) { std::printf("0 %s\n", isa); return 0; }
  // Calibrate the iteration count on one thread, then time all threads together.
  long iters = 1 << 20;
  for (;;) {
    auto t0 = Clock::now();
    run(iters);
    if (std::chrono::duration<double>(Clock::now() - t0).count() > seconds / 4) break;
    iters *= 2;
  }
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) pool.emplace_back(run, iters);
  for (auto& t : pool) t.join();
  const double el = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("%.1f %s\n", threads * double(iters) * 12 * lanes * 2 / el / 1e9, isa);
}
