/* The OpenBLAS side of bench/matmul-native.ts: times row-major cblas_sgemm on an n×n problem
   for about `ms` milliseconds after one warm-up call and prints the best GFLOP/s of its runs.
   Usage: matmul-native-openblas n transA transB ms */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 5) return 2;
  const int n = atoi(argv[1]);
  const enum CBLAS_TRANSPOSE ta = atoi(argv[2]) ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE tb = atoi(argv[3]) ? CblasTrans : CblasNoTrans;
  const double budget = atof(argv[4]) / 1000;
  float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
  srand(1);
  for (long i = 0; i < (long)n * n; i++) {
    a[i] = rand() / (float)RAND_MAX - 0.5f;
    b[i] = rand() / (float)RAND_MAX - 0.5f;
  }
  cblas_sgemm(CblasRowMajor, ta, tb, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
  double best = 1e30, start = now();
  do {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, ta, tb, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
    double t = now() - t0;
    if (t < best) best = t;
  } while (now() - start < budget);
  printf("%.2f\n", 2.0 * n * n * n / best / 1e9);
  return 0;
}
