/* hessian_least_squares.c: what Hessian does Adam's second moment see on a least-squares problem?
 *
 * Builds X (N x D, column j scaled by sqrt(h_j) so diag H spans 3 decades), gets the exact
 * Hessian H = X^T X / N from plumb_exact_least_squares_hessian, then streams two kinds of
 * gradients into plumb_hess probes near the optimum:
 *   wandering: g = H d with d ~ N(0, s^2 I)       -> sqrt(v_hat) ~ s diag|H|   (exponent ~1)
 *   noise:     g = per-sample gradients at w*    -> sqrt(v_hat) ~ sqrt(diag H) (exponent ~0.5)
 * and cross-checks diag H with Hutchinson's estimator through a Hessian-vector-product callback.
 *
 * Build from the repository after `make build`:
 *   cc -std=c11 -IInclude examples/c/hessian_least_squares.c -L.build/release -Wl,-rpath,$PWD/.build/release -lplumb -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plumb.h"

enum { N = 400, D = 12, STEPS = 4000 };

static uint64_t rng = 2024;
static double uniform(void) {
  uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void) { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()); }

static int fail(const char *what) {
  fprintf(stderr, "%s failed: %s\n", what, plumb_last_error());
  return 1;
}

/* Hessian-vector product for the callback: hv = H v with H dense D x D in ctx. */
static int32_t hvp(void *ctx, const double *v, double *hv, int64_t dim) {
  const double *h = (const double *)ctx;
  for (int64_t i = 0; i < dim; i++) {
    double s = 0;
    for (int64_t j = 0; j < dim; j++) s += h[i * dim + j] * v[j];
    hv[i] = s;
  }
  return 0;
}

int main(void) {
  static double x[N * D], hess[D * D];
  double scale[D], diag[D], g[D], est[D], se[D];
  for (int j = 0; j < D; j++) scale[j] = sqrt(pow(10.0, -3.0 * j / (D - 1)));
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++) x[i * D + j] = scale[j] * normal();
  if (plumb_exact_least_squares_hessian(x, N, D, hess) != PLUMB_OK) return fail("exact Hessian");
  for (int j = 0; j < D; j++) diag[j] = hess[j * D + j];

  plumb_hess_config cfg = {0.9, 0.999, 1e-8, 1};
  plumb_hess *wander = NULL, *noise = NULL;
  if (plumb_hess_create(D, &cfg, &wander) != PLUMB_OK) return fail("plumb_hess_create");
  if (plumb_hess_create(D, &cfg, &noise) != PLUMB_OK) return fail("plumb_hess_create");
  const double s = 0.1;
  for (int t = 0; t < STEPS; t++) {
    double d[D];
    for (int j = 0; j < D; j++) d[j] = s * normal();
    hvp(hess, d, g, D); /* g = H d */
    if (plumb_hess_observe_f64(wander, g) != PLUMB_OK) return fail("observe");
    /* per-sample gradient at the optimum: x_i (x_i . 0 - noise) = -e x_i */
    int i = (int)(uniform() * N);
    double e = normal();
    for (int j = 0; j < D; j++) g[j] = -e * x[i * D + j];
    if (plumb_hess_observe_f64(noise, g) != PLUMB_OK) return fail("observe");
  }
  plumb_hess_report a, b;
  if (plumb_hess_compare(wander, PLUMB_HESS_RMS, diag, &a) != PLUMB_OK) return fail("compare");
  if (plumb_hess_compare(noise, PLUMB_HESS_RMS, diag, &b) != PLUMB_OK) return fail("compare");
  printf("least squares, N = %d, D = %d, diag H in [%.2e, %.2e]\n", N, D, diag[D - 1], diag[0]);
  printf("%-34s %9s %9s %9s %9s\n", "gradients", "exponent", "scale", "log corr", "rel err");
  printf("%-34s %9.3f %9.3f %9.3f %9.3f\n", "g = H d, d ~ N(0, 0.01 I)", a.exponent, a.scale,
         a.log_correlation, a.relative_error);
  printf("%-34s %9.3f %9.3f %9.3f %9.3f\n", "per-sample gradients at optimum", b.exponent, b.scale,
         b.log_correlation, b.relative_error);

  printf("(for g = H d, sqrt(E[g_j^2]) = s sqrt((H^2)_jj), which exceeds s H_jj for small h_j because\n"
         " X^T X / N has off-diagonal entries; the full-matrix comparison below sees all of H)\n");
  plumb_hess_matrix_report m;
  if (plumb_hess_compare_matrix(wander, hess, &m) != PLUMB_OK) return fail("compare_matrix");
  printf("full matrix (g = H d): sqrtm(E[g g^T]) ~ %.4f |H| (expect %.2f), rel err %.3f\n", m.scale, s,
         m.relative_error);

  if (plumb_hutchinson_diag(hvp, hess, D, 2000, 7, est, se) != PLUMB_OK) return fail("hutchinson");
  printf("%4s %12s %12s %10s\n", "j", "exact H_jj", "hutchinson", "std err");
  for (int j = 0; j < D; j += 3) printf("%4d %12.5f %12.5f %10.5f\n", j, diag[j], est[j], se[j]);
  plumb_hess_destroy(wander);
  plumb_hess_destroy(noise);
  return 0;
}
