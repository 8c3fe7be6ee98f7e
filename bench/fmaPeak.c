/*
 * The machine's float32 FMA peak: each thread runs independent AVX2 FMA chains (enough of them to
 * cover the FMA latency on both FMA ports) for a fixed count; GFLOP/s = 2 * 8 lanes * FMAs / s.
 * Compiled by bench/bench.ts at bench time (gcc -O2 -mavx2 -mfma -pthread); prints one JSON line.
 * usage: fmaPeak <threads> [iterations]
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
static long iterations = 200000000L / CHAINS;
static float sink[64];

static void *work(void *arg) {
  __m256 acc[CHAINS];
  __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
  /* written out: the accumulators must live in registers, not in the array */
  __m256 c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4], c5 = acc[5], c6 = acc[6], c7 = acc[7], c8 = acc[8], c9 = acc[9], c10 = acc[10], c11 = acc[11];
  for (long n = 0; n < iterations; n++) {
    c0 = _mm256_fmadd_ps(c0, a, b); c1 = _mm256_fmadd_ps(c1, a, b); c2 = _mm256_fmadd_ps(c2, a, b); c3 = _mm256_fmadd_ps(c3, a, b);
    c4 = _mm256_fmadd_ps(c4, a, b); c5 = _mm256_fmadd_ps(c5, a, b); c6 = _mm256_fmadd_ps(c6, a, b); c7 = _mm256_fmadd_ps(c7, a, b);
    c8 = _mm256_fmadd_ps(c8, a, b); c9 = _mm256_fmadd_ps(c9, a, b); c10 = _mm256_fmadd_ps(c10, a, b); c11 = _mm256_fmadd_ps(c11, a, b);
  }
  acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3; acc[4] = c4; acc[5] = c5; acc[6] = c6; acc[7] = c7; acc[8] = c8; acc[9] = c9; acc[10] = c10; acc[11] = c11;
  __m256 s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  sink[(long)arg % 64] = out[0] + out[7];
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (argc > 2) iterations = atol(argv[2]) / CHAINS;
  if (threads < 1 || threads > 256) return 2;
  pthread_t t[256];
  double best = 0;
  for (int rep = 0; rep < 5; rep++) { /* the best of 5: the least disturbed by other load */
    double t0 = now();
    for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double s = now() - t0;
    double gflops = 2.0 * 8 * CHAINS * (double)iterations * threads / s / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("{\"threads\":%d,\"gflopsPerSecond\":%.1f,\"check\":%g}\n", threads, best, (double)sink[0]);
  return 0;
}
