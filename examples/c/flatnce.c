/* flatnce.c - InfoNCE vs FlatNCE from C, measured against plumb's exact references.
 *
 * One batch of 4 rows x 8 scores at temperature 0.07, the positive ahead of the negatives by a
 * growing gap. For each gap: the InfoNCE and FlatNCE losses, the size of the gradient on the
 * positive (InfoNCE's vanishes like exp(-gap), FlatNCE's stays -1/tau), and the worst ULP error of
 * plumb's float32 gradients against plumb_exact_*. Build:
 *   (from the repository, after `make build`)
 *   cc -std=c11 -IInclude examples/c/flatnce.c -L.build/release -Wl,-rpath,$PWD/.build/release -lplumb -lm
 */
#include <math.h>
#include <stdio.h>

#include "plumb.h"

enum { ROWS = 4, COLS = 8 };

int main(void) {
  const float tau = 0.07f;
  const double gaps[] = {0, 2, 10, 30, 90};
  printf("%5s %12s %12s %14s %14s %10s %10s\n", "gap", "InfoNCE", "FlatNCE", "dInfo/ds_t", "dFlat/ds_t",
         "Info ulp", "Flat ulp");
  for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++) {
    float s[ROWS * COLS], loss_i[ROWS], loss_f[ROWS], grad_i[ROWS * COLS], grad_f[ROWS * COLS];
    double s64[ROWS * COLS], el[ROWS], eg_i[ROWS * COLS], eg_f[ROWS * COLS];
    int64_t positive[ROWS];
    for (int r = 0; r < ROWS; r++) {
      positive[r] = r % COLS;
      for (int j = 0; j < COLS; j++) s[r * COLS + j] = tau * (float)sin(1.7 * (r * COLS + j));  /* negatives in [-tau, tau] */
      s[r * COLS + positive[r]] = (float)(tau * (1.0 + gaps[g]));
    }
    for (int i = 0; i < ROWS * COLS; i++) s64[i] = s[i];
    if (plumb_infonce_f32(s, ROWS, COLS, positive, tau, loss_i, grad_i) != PLUMB_OK ||
        plumb_flatnce_f32(s, ROWS, COLS, positive, tau, loss_f, grad_f) != PLUMB_OK ||
        plumb_exact_infonce(s64, ROWS, COLS, positive, tau, el, eg_i) != PLUMB_OK ||
        plumb_exact_flatnce(s64, ROWS, COLS, positive, tau, el, eg_f) != PLUMB_OK) {
      fprintf(stderr, "plumb failed: %s\n", plumb_last_error());
      return 1;
    }
    plumb_error_stats si, sf;
    plumb_compare_f32(grad_i, eg_i, ROWS * COLS, &si);
    plumb_compare_f32(grad_f, eg_f, ROWS * COLS, &sf);
    printf("%5.0f %12.4e %12.4e %14.4e %14.4e %10.2f %10.2f\n", gaps[g], loss_i[0], loss_f[0],
           grad_i[positive[0]], grad_f[positive[0]], si.max_ulp, sf.max_ulp);
  }
  return 0;
}
