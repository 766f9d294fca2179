// Does asking for the weight rows ahead help batch-1 decoding's bf16 product? The loop of
// native/kernels/gemm-dots.cc (four row streams, K = 576, one chain of FMAs per row, weights
// widened in registers) over 512 MiB of bf16 rows, far past the caches, rep against rep in one
// process: even reps without the prefetch, odd reps with it `ahead` elements ahead (one prefetch
// per 64-byte line of each stream), split across `threads` threads that first-touch their slices.
// Prints the median, p25 and p75 of (time without) / (time with) over the pairs, and each side's
// best GB/s. AVX-512 only.
//   cc -O2 -mavx512f -mavx512bw -o thin-prefetch bench/thin-prefetch.c -lpthread
//   ./thin-prefetch threads ahead     (e.g. 2 256; the kernel uses 256 on AMD, 768 on Intel)
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { K = 576, REPS = 40 };
static uint16_t *w;
static long n;
static int threads, ahead;
static pthread_barrier_t barrier;
static double times[REPS];
static volatile float sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline __m512 widen16(const uint16_t *p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

// Rows of K in four quarters, one stream each, as gemm-dots.cc's dots() walks them.
static float rows(const uint16_t *p, long m, int pf) {
  const long q = m / K / 4;
  const __m512 x = _mm512_set1_ps(1.f);
  float s = 0;
  for (long t = 0; t < q; t++) {
    __m512 acc[4];
    for (int r = 0; r < 4; r++) acc[r] = _mm512_setzero_ps();
    const uint16_t *b = p + t * K;
    for (long i = 0; i < K; i += 16) {
      if (pf && (i & 31) == 0)
        for (int r = 0; r < 4; r++) _mm_prefetch((const char *)(b + r * q * K + i + pf), _MM_HINT_T0);
      for (int r = 0; r < 4; r++) acc[r] = _mm512_fmadd_ps(widen16(b + r * q * K + i), x, acc[r]);
    }
    for (int r = 0; r < 4; r++) s += _mm512_reduce_add_ps(acc[r]);
  }
  return s;
}

static void *work(void *arg) {
  const long id = (long)arg, lo = n * id / threads, hi = n * (id + 1) / threads;
  for (long i = lo; i < hi; i++) w[i] = 0x3f80;  // bf16 1.0
  for (int r = 0; r < REPS; r++) {
    pthread_barrier_wait(&barrier);
    const double t0 = now();
    sink = rows(w + lo, hi - lo, r & 1 ? ahead : 0);
    pthread_barrier_wait(&barrier);
    if (id == 0) times[r] = now() - t0;
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  threads = argc > 1 ? atoi(argv[1]) : 2;
  ahead = argc > 2 ? atoi(argv[2]) : 256;
  if (threads < 1 || threads > 64 || ahead < 1) {
    fprintf(stderr, "usage: thin-prefetch threads(1-64) ahead(elements, > 0)\n");
    return 2;
  }
  const long unit = (long)K * 4 * threads;
  n = (512L << 20) / 2 / unit * unit;
  w = aligned_alloc(64, n * 2);
  if (!w) {
    fprintf(stderr, "thin-prefetch: out of memory\n");
    return 1;
  }
  pthread_barrier_init(&barrier, NULL, threads);
  pthread_t tid[64];
  for (long t = 0; t < threads; t++) pthread_create(&tid[t], NULL, work, (void *)t);
  for (long t = 0; t < threads; t++) pthread_join(tid[t], NULL);
  double ratio[REPS / 2], best_off = 1e9, best_on = 1e9;
  for (int r = 0; r < REPS; r += 2) {
    ratio[r / 2] = times[r] / times[r + 1];
    if (times[r] < best_off) best_off = times[r];
    if (times[r + 1] < best_on) best_on = times[r + 1];
  }
  qsort(ratio, REPS / 2, sizeof ratio[0], by_value);
  printf("threads %d, ahead %d: speedup median %.3f (p25 %.3f, p75 %.3f); best without %.1f GB/s, with %.1f GB/s\n", threads,
         ahead, ratio[REPS / 4], ratio[REPS / 8], ratio[3 * REPS / 8], n * 2 / best_off / 1e9, n * 2 / best_on / 1e9);
  return 0;
}
