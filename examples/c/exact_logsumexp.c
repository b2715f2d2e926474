/* How many bits does a float32 logsumexp keep? Compute it the textbook way and with the max
 * shift, then measure both against plumb's correctly rounded reference.
 *
 * Build from the repository after `make build`:
 *   cc -std=c11 -IInclude examples/c/exact_logsumexp.c -L.build/release -Wl,-rpath,$PWD/.build/release -lplumb -lm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plumb.h"

enum { ROWS = 8, COLS = 100 };

int main(void) {
  static double x[ROWS * COLS];
  double exact[ROWS];
  float naive[ROWS], shifted[ROWS];
  srand(1);
  for (int scale = 1; scale <= 1000; scale *= 10) {
    for (int i = 0; i < ROWS * COLS; i++) /* float32-representable inputs: both sides see the same data */
      x[i] = (float)(scale * ((double)rand() / RAND_MAX - 0.5) * 4);
    if (plumb_exact_logsumexp(x, ROWS, COLS, exact) != PLUMB_OK) {
      fprintf(stderr, "plumb_exact_logsumexp: %s\n", plumb_last_error());
      return 1;
    }
    for (int r = 0; r < ROWS; r++) {
      const double *row = x + r * COLS;
      float sum = 0, m = -INFINITY, shifted_sum = 0;
      for (int j = 0; j < COLS; j++) sum += expf((float)row[j]);
      for (int j = 0; j < COLS; j++) m = fmaxf(m, (float)row[j]);
      for (int j = 0; j < COLS; j++) shifted_sum += expf((float)row[j] - m);
      naive[r] = logf(sum);
      shifted[r] = m + logf(shifted_sum);
    }
    plumb_error_stats a, b;
    plumb_compare_f32(naive, exact, ROWS, &a);
    plumb_compare_f32(shifted, exact, ROWS, &b);
    /* Overflowed rows (inf where the exact value is finite) are counted apart from the ULP figures,
     * which cover nothing once every row overflowed. */
    char naive_ulp[32];
    if (a.special_mismatches == a.count) snprintf(naive_ulp, sizeof naive_ulp, "ULP n/a");
    else snprintf(naive_ulp, sizeof naive_ulp, "max %.3g ULP", a.max_ulp);
    printf("scale %5d: naive %4.1f bits (%s, %lld overflowed)   max-shifted %4.1f bits (max %.3g ULP)\n",
           scale, a.min_bits, naive_ulp, (long long)a.special_mismatches, b.min_bits, b.max_ulp);
  }
  return 0;
}
