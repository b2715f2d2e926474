/* Smooth top-k from C: forward, backward, and the exact reference with plumb_compare.
 *
 * Build from the repository after `make build`:
 *   cc -std=c11 -IInclude examples/c/topk.c -L.build/release -Wl,-rpath,$PWD/.build/release -lplumb -lm */
#include <stdio.h>

#include "plumb.h"

int main(void) {
  const double x[8] = {2.0, -1.0, 0.5, 3.5, 0.0, 1.25, -0.75, 2.9};
  const char *names[4] = {"gradient", "exp_clip", "sigmoid", "laplace"};
  double out[8], exact[8], g[8] = {1, 0, 0, 0, 0, 0, 0, -1}, gx[8];
  for (int m = 0; m < 4; m++) {
    plumb_topk_method method = (plumb_topk_method)m;
    if (plumb_soft_topk_f64(method, x, 1, 8, 3, 0.5, out) != PLUMB_OK ||
        plumb_exact_soft_topk(method, x, 1, 8, 3, 0.5, exact) != PLUMB_OK ||
        plumb_soft_topk_vjp_f64(method, x, 1, 8, 3, 0.5, g, gx) != PLUMB_OK) {
      fprintf(stderr, "plumb failed: %s\n", plumb_last_error());
      return 1;
    }
    plumb_error_stats st;
    plumb_compare_f64(out, exact, 8, &st);
    printf("%-8s k=3:", names[m]);
    for (int i = 0; i < 8; i++) printf(" %.4f", out[i]);
    printf("  | max %.1f ULP vs exact | vjp[0] %.4f\n", st.max_ulp, gx[0]);
  }
  return 0;
}
