/* C tests of the Hessian-approximation diagnostics: every status path of plumb_hess_*,
 * plumb_hutchinson_diag and plumb_exact_least_squares_hessian, plus the core numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plumb.h"
#include "check.h"


#define EXPECT_STATUS(call, want, fragment)                                                    \
  do {                                                                                         \
    plumb_status st_ = (call);                                                                 \
    CHECK(st_ == (want), "%s returned %d, expected %d", #call, (int)st_, (int)(want));         \
    CHECK(strstr(plumb_last_error(), (fragment)) != NULL, "%s: message lacks \"%s\"", #call, \
          (fragment));                                                                         \
  } while (0)

static uint64_t rng_state = 42;
static double uniform(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void) { return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()); }

typedef struct {
  const double *h; /* dense dim x dim */
  int calls;
  int fail_at;
} hvp_ctx;

static int32_t dense_hvp(void *ctx, const double *v, double *hv, int64_t dim) {
  hvp_ctx *c = (hvp_ctx *)ctx;
  c->calls++;
  if (c->fail_at > 0 && c->calls == c->fail_at) return -3;
  for (int64_t i = 0; i < dim; i++) {
    double s = 0;
    for (int64_t j = 0; j < dim; j++) s += c->h[i * dim + j] * v[j];
    hv[i] = s;
  }
  return 0;
}

static int32_t nan_hvp(void *ctx, const double *v, double *hv, int64_t dim) {
  (void)ctx;
  (void)v;
  for (int64_t i = 0; i < dim; i++) hv[i] = NAN;
  return 0;
}

static void test_create_statuses(void) {
  plumb_hess_config ok = {0.9, 0.999, 1e-8, 0};
  plumb_hess *h = (plumb_hess *)&ok; /* must be overwritten with NULL on failure */
  EXPECT_STATUS(plumb_hess_create(4, NULL, &h), PLUMB_ERR_ARGUMENT, "config");
  CHECK(h == NULL, "out not cleared on failure");
  EXPECT_STATUS(plumb_hess_create(4, &ok, NULL), PLUMB_ERR_ARGUMENT, "out");
  EXPECT_STATUS(plumb_hess_create(0, &ok, &h), PLUMB_ERR_ARGUMENT, "dim");
  EXPECT_STATUS(plumb_hess_create(-5, &ok, &h), PLUMB_ERR_ARGUMENT, "dim");
  EXPECT_STATUS(plumb_hess_create(INT64_MAX, &ok, &h), PLUMB_ERR_ARGUMENT, "dim");
  EXPECT_STATUS(plumb_hess_create((int64_t)1 << 50, &ok, &h), PLUMB_ERR_NO_MEMORY, "allocate");
  plumb_hess_config bad = ok;
  bad.beta1 = 1.0;
  EXPECT_STATUS(plumb_hess_create(4, &bad, &h), PLUMB_ERR_ARGUMENT, "beta1");
  bad = ok;
  bad.beta2 = -0.5;
  EXPECT_STATUS(plumb_hess_create(4, &bad, &h), PLUMB_ERR_ARGUMENT, "beta2");
  bad = ok;
  bad.beta2 = NAN;
  EXPECT_STATUS(plumb_hess_create(4, &bad, &h), PLUMB_ERR_ARGUMENT, "beta2");
  bad = ok;
  bad.epsilon = -1;
  EXPECT_STATUS(plumb_hess_create(4, &bad, &h), PLUMB_ERR_ARGUMENT, "epsilon");
  bad = ok;
  bad.epsilon = INFINITY;
  EXPECT_STATUS(plumb_hess_create(4, &bad, &h), PLUMB_ERR_ARGUMENT, "epsilon");
  bad = ok;
  bad.full_matrix = 1;
  EXPECT_STATUS(plumb_hess_create(4097, &bad, &h), PLUMB_ERR_ARGUMENT, "4096");
  CHECK(h == NULL, "out not cleared on failure");
}

static void test_handle_statuses(void) {
  double g[3] = {1, 2, 3}, diag[3], ref[3] = {1, 1, 1}, mat[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  float gf[3] = {1, 2, 3};
  plumb_hess_report rep;
  plumb_hess_matrix_report mrep;
  EXPECT_STATUS(plumb_hess_observe_f64(NULL, g), PLUMB_ERR_ARGUMENT, "NULL");
  EXPECT_STATUS(plumb_hess_observe_f32(NULL, gf), PLUMB_ERR_ARGUMENT, "NULL");
  EXPECT_STATUS(plumb_hess_implied_diag(NULL, PLUMB_HESS_ADAM, 1, diag), PLUMB_ERR_ARGUMENT, "NULL");
  EXPECT_STATUS(plumb_hess_compare(NULL, PLUMB_HESS_ADAM, ref, &rep), PLUMB_ERR_ARGUMENT, "NULL");
  EXPECT_STATUS(plumb_hess_compare_matrix(NULL, mat, &mrep), PLUMB_ERR_ARGUMENT, "NULL");
  plumb_hess_destroy(NULL);

  plumb_hess_config cfg = {0.9, 0.999, 1e-8, 0};
  plumb_hess *h = NULL;
  CHECK(plumb_hess_create(3, &cfg, &h) == PLUMB_OK && h != NULL, "create");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_ADAM, 1, diag), PLUMB_ERR_ARGUMENT, "no gradient");
  EXPECT_STATUS(plumb_hess_observe_f64(h, NULL), PLUMB_ERR_ARGUMENT, "grad");
  double gnan[3] = {1, NAN, 2};
  EXPECT_STATUS(plumb_hess_observe_f64(h, gnan), PLUMB_ERR_DOMAIN, "grad[1]");
  float finf[3] = {INFINITY, 1, 2};
  EXPECT_STATUS(plumb_hess_observe_f32(h, finf), PLUMB_ERR_DOMAIN, "grad[0]");
  CHECK(plumb_hess_observe_f32(h, gf) == PLUMB_OK, "observe f32");
  CHECK(plumb_hess_observe_f64(h, g) == PLUMB_OK, "observe f64");
  CHECK(strcmp(plumb_last_error(), "") == 0, "last error not cleared");
  EXPECT_STATUS(plumb_hess_implied_diag(h, (plumb_hess_estimator)7, 1, diag), PLUMB_ERR_ARGUMENT, "e");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_ADAM, 0, diag), PLUMB_ERR_ARGUMENT, "lr");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_ADAM, NAN, diag), PLUMB_ERR_ARGUMENT, "lr");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_ADAM, 1, NULL), PLUMB_ERR_ARGUMENT, "diag");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_FULL, 1, diag), PLUMB_ERR_ARGUMENT, "full_matrix");
  EXPECT_STATUS(plumb_hess_compare(h, PLUMB_HESS_RMS, NULL, &rep), PLUMB_ERR_ARGUMENT, "reference_diag");
  EXPECT_STATUS(plumb_hess_compare(h, PLUMB_HESS_RMS, ref, NULL), PLUMB_ERR_ARGUMENT, "out");
  double refnan[3] = {1, 2, NAN};
  EXPECT_STATUS(plumb_hess_compare(h, PLUMB_HESS_RMS, refnan, &rep), PLUMB_ERR_DOMAIN, "reference_diag[2]");
  EXPECT_STATUS(plumb_hess_compare_matrix(h, mat, &mrep), PLUMB_ERR_ARGUMENT, "full_matrix");

  /* implied diag: two steps, beta2 = 0.999 */
  CHECK(plumb_hess_implied_diag(h, PLUMB_HESS_RMS, 0.5, diag) == PLUMB_OK, "implied rms");
  for (int i = 0; i < 3; i++) {
    double gi = (double)(i + 1);
    double v = 0.999 * 0.001 * gi * gi + 0.001 * gi * gi;
    double want = sqrt(v / (1 - 0.999 * 0.999)) / 0.5;
    CHECK(fabs(diag[i] - want) <= 1e-13 * want, "rms diag[%d] = %.17g, want %.17g", i, diag[i], want);
  }
  CHECK(plumb_hess_compare(h, PLUMB_HESS_RMS, ref, &rep) == PLUMB_OK && rep.steps == 2, "compare");
  CHECK(isnan(rep.exponent), "constant reference gives NaN exponent");

  plumb_hess_destroy(h);
  /* the handle is dead now: detected, not dereferenced */
  EXPECT_STATUS(plumb_hess_observe_f64(h, g), PLUMB_ERR_ARGUMENT, "not a live");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_ADAM, 1, diag), PLUMB_ERR_ARGUMENT, "not a live");
  plumb_hess_destroy(h); /* double destroy: no-op */
  int local = 0;
  EXPECT_STATUS(plumb_hess_observe_f64((plumb_hess *)&local, g), PLUMB_ERR_ARGUMENT, "not a live");
}

static void test_exponents(void) {
  enum { D = 2000, T = 1500 };
  static double h[D], g[D];
  for (int i = 0; i < D; i++) h[i] = pow(10.0, -2.0 + 4.0 * i / (D - 1));
  plumb_hess_config cfg = {0.9, 0.999, 1e-8, 0};
  plumb_hess *wander = NULL, *noise = NULL;
  CHECK(plumb_hess_create(D, &cfg, &wander) == PLUMB_OK, "create");
  CHECK(plumb_hess_create(D, &cfg, &noise) == PLUMB_OK, "create");
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < D; i++) g[i] = h[i] * 0.1 * normal();
    plumb_hess_observe_f64(wander, g);
    for (int i = 0; i < D; i++) g[i] = sqrt(h[i]) * normal();
    plumb_hess_observe_f64(noise, g);
  }
  plumb_hess_report a, b;
  CHECK(plumb_hess_compare(wander, PLUMB_HESS_RMS, h, &a) == PLUMB_OK, "compare");
  CHECK(plumb_hess_compare(noise, PLUMB_HESS_RMS, h, &b) == PLUMB_OK, "compare");
  CHECK(fabs(a.exponent - 1) <= 0.05, "g = H d: exponent %.4f", a.exponent);
  CHECK(fabs(b.exponent - 0.5) <= 0.05, "g = sqrt(H) xi: exponent %.4f", b.exponent);
  printf("exponents: g = H d -> %.4f, g = sqrt(H) xi -> %.4f\n", a.exponent, b.exponent);
  plumb_hess_destroy(wander);
  plumb_hess_destroy(noise);
}

static void test_full_matrix(void) {
  enum { D = 5 };
  double a[D * D], hm[D * D], g[D], d[D], diag[D];
  for (int i = 0; i < D * D; i++) a[i] = normal();
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++) {
      double s = i == j ? 1.0 : 0.0;
      for (int k = 0; k < D; k++) s += a[i * D + k] * a[j * D + k] / D;
      hm[i * D + j] = s;
    }
  plumb_hess_config cfg = {0.9, 0.9999, 0, 1};
  plumb_hess *h = NULL;
  CHECK(plumb_hess_create(D, &cfg, &h) == PLUMB_OK, "create full");
  EXPECT_STATUS(plumb_hess_compare_matrix(h, hm, NULL), PLUMB_ERR_ARGUMENT, "out");
  plumb_hess_matrix_report rep;
  EXPECT_STATUS(plumb_hess_compare_matrix(h, NULL, &rep), PLUMB_ERR_ARGUMENT, "reference_hessian");
  EXPECT_STATUS(plumb_hess_compare_matrix(h, hm, &rep), PLUMB_ERR_ARGUMENT, "no gradient");
  const double s = 2.0;
  for (int t = 0; t < 50000; t++) {
    for (int i = 0; i < D; i++) d[i] = s * normal();
    for (int i = 0; i < D; i++) {
      g[i] = 0;
      for (int j = 0; j < D; j++) g[i] += hm[i * D + j] * d[j];
    }
    plumb_hess_observe_f64(h, g);
  }
  CHECK(plumb_hess_implied_diag(h, PLUMB_HESS_FULL, 1.0, diag) == PLUMB_OK, "full diag");
  for (int i = 0; i < D; i++)
    CHECK(fabs(diag[i] / (s * hm[i * D + i]) - 1) < 0.05, "full diag[%d] %.4f vs %.4f", i, diag[i], s * hm[i * D + i]);
  CHECK(plumb_hess_compare_matrix(h, hm, &rep) == PLUMB_OK, "compare matrix");
  CHECK(fabs(rep.scale / s - 1) < 0.05 && rep.relative_error < 0.05, "matrix scale %.4f err %.4f", rep.scale,
        rep.relative_error);
  double hnan[D * D];
  memcpy(hnan, hm, sizeof hnan);
  hnan[7] = NAN;
  EXPECT_STATUS(plumb_hess_compare_matrix(h, hnan, &rep), PLUMB_ERR_DOMAIN, "reference_hessian[1, 2]");
  plumb_hess_destroy(h);
}

static void test_hutchinson(void) {
  enum { D = 12 };
  double hm[D * D], diag[D], se[D];
  for (int i = 0; i < D; i++)
    for (int j = 0; j <= i; j++) hm[i * D + j] = hm[j * D + i] = normal();
  hvp_ctx ctx = {hm, 0, 0};
  CHECK(plumb_hutchinson_diag(dense_hvp, &ctx, D, 500, 3, diag, se) == PLUMB_OK, "hutchinson");
  CHECK(ctx.calls == 500, "calls %d", ctx.calls);
  for (int i = 0; i < D; i++)
    CHECK(fabs(diag[i] - hm[i * D + i]) < 3 * se[i], "coordinate %d: %.4f vs %.4f (se %.4f)", i, diag[i],
          hm[i * D + i], se[i]);
  /* reproducible */
  double again[D];
  ctx.calls = 0;
  CHECK(plumb_hutchinson_diag(dense_hvp, &ctx, D, 500, 3, again, NULL) == PLUMB_OK, "hutchinson NULL se");
  CHECK(memcmp(again, diag, sizeof diag) == 0, "same seed, different result");
  /* statuses */
  EXPECT_STATUS(plumb_hutchinson_diag(NULL, &ctx, D, 5, 0, diag, se), PLUMB_ERR_ARGUMENT, "hvp");
  EXPECT_STATUS(plumb_hutchinson_diag(dense_hvp, &ctx, D, 5, 0, NULL, se), PLUMB_ERR_ARGUMENT, "diag");
  EXPECT_STATUS(plumb_hutchinson_diag(dense_hvp, &ctx, 0, 5, 0, diag, se), PLUMB_ERR_ARGUMENT, "dim");
  EXPECT_STATUS(plumb_hutchinson_diag(dense_hvp, &ctx, INT64_MAX, 5, 0, diag, se), PLUMB_ERR_ARGUMENT, "dim");
  for (int i = 0; i < D; i++) diag[i] = se[i] = 7;
  EXPECT_STATUS(plumb_hutchinson_diag(dense_hvp, &ctx, D, 0, 0, diag, se), PLUMB_ERR_ARGUMENT, "samples");
  EXPECT_STATUS(plumb_hutchinson_diag(dense_hvp, &ctx, D, INT32_MIN, 0, diag, se), PLUMB_ERR_ARGUMENT, "samples");
  CHECK(diag[0] == 7 && se[D - 1] == 7, "an argument error (samples < 1) wrote the outputs");
  ctx.calls = 0;
  ctx.fail_at = 3;
  EXPECT_STATUS(plumb_hutchinson_diag(dense_hvp, &ctx, D, 10, 0, diag, se), PLUMB_ERR_ARGUMENT,
                "returned -3 at sample 2 (0-based)");
  CHECK(ctx.calls == 3 && isnan(diag[0]) && isnan(se[D - 1]), "abort after failing callback");
  EXPECT_STATUS(plumb_hutchinson_diag(nan_hvp, NULL, D, 2, 0, diag, se), PLUMB_ERR_DOMAIN, "not finite");
}

/* Statuses and values at the edges of binary64: an overflowed second-moment matrix is reported as
 * such; references of any finite magnitude are accepted; a zero reference has no relative error. */
static void test_extremes(void) {
  plumb_hess_config cfg = {0.9, 0.999, 1e-8, 1};
  plumb_hess *h = NULL;
  double diag[3], ref[3] = {1, 1, 1}, eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  plumb_hess_report rep;
  plumb_hess_matrix_report mrep;
  CHECK(plumb_hess_create(3, &cfg, &h) == PLUMB_OK, "create");
  const double huge[3] = {1e155, 1, 2}; /* g_0^2 overflows */
  CHECK(plumb_hess_observe_f64(h, huge) == PLUMB_OK, "observe huge");
  CHECK(plumb_hess_implied_diag(h, PLUMB_HESS_RMS, 1, diag) == PLUMB_OK && isinf(diag[0]) && diag[2] == 2,
        "rms of an overflowed moment is +inf");
  EXPECT_STATUS(plumb_hess_implied_diag(h, PLUMB_HESS_FULL, 1, diag), PLUMB_ERR_DOMAIN, "C overflowed");
  EXPECT_STATUS(plumb_hess_compare(h, PLUMB_HESS_FULL, ref, &rep), PLUMB_ERR_DOMAIN, "C overflowed");
  EXPECT_STATUS(plumb_hess_compare_matrix(h, eye, &mrep), PLUMB_ERR_DOMAIN, "C overflowed");
  plumb_hess_destroy(h);

  CHECK(plumb_hess_create(2, &cfg, &h) == PLUMB_OK, "create");
  const double g[2] = {1, 2};
  CHECK(plumb_hess_observe_f64(h, g) == PLUMB_OK, "observe");
  double big[4] = {1e308, 1e308, 1e308, 1e308}, ones[4] = {1, 1, 1, 1}, zero[4] = {0, 0, 0, 0};
  double skew[4] = {0, 1, -1, 0};
  plumb_hess_matrix_report r1, rb;
  CHECK(plumb_hess_compare_matrix(h, ones, &r1) == PLUMB_OK, "compare ones");
  CHECK(plumb_hess_compare_matrix(h, big, &rb) == PLUMB_OK, "compare 1e308s: %s", plumb_last_error());
  CHECK(fabs(rb.relative_error / r1.relative_error - 1) < 1e-14 && fabs(rb.scale * 1e308 / r1.scale - 1) < 1e-14,
        "1e308s: err %.17g vs %.17g, scale %.17g vs %.17g", rb.relative_error, r1.relative_error, rb.scale * 1e308,
        r1.scale);
  CHECK(plumb_hess_compare_matrix(h, zero, &mrep) == PLUMB_OK && isnan(mrep.relative_error) && isnan(mrep.scale),
        "zero reference: relative error %g", mrep.relative_error);
  CHECK(plumb_hess_compare_matrix(h, skew, &mrep) == PLUMB_OK && isnan(mrep.relative_error),
        "antisymmetric reference: relative error %g", mrep.relative_error);
  CHECK(plumb_hess_compare(h, PLUMB_HESS_RMS, zero, &rep) == PLUMB_OK && isnan(rep.relative_error),
        "zero diagonal: relative error %g", rep.relative_error);
  plumb_hess_destroy(h);
}

static void test_exact_least_squares(void) {
  /* X = [[1, 2], [3, 4], [5, 7]] / n = 3: H = [[35, 49], [49, 69]] / 3 */
  double x[6] = {1, 2, 3, 4, 5, 7}, hout[4];
  CHECK(plumb_exact_least_squares_hessian(x, 3, 2, hout) == PLUMB_OK, "exact ls");
  CHECK(hout[0] == 35.0 / 3 && hout[1] == 49.0 / 3 && hout[2] == 49.0 / 3 && hout[3] == 23.0, "values");
  EXPECT_STATUS(plumb_exact_least_squares_hessian(NULL, 3, 2, hout), PLUMB_ERR_ARGUMENT, "x");
  EXPECT_STATUS(plumb_exact_least_squares_hessian(x, 3, 2, NULL), PLUMB_ERR_ARGUMENT, "h_out");
  EXPECT_STATUS(plumb_exact_least_squares_hessian(x, 0, 2, hout), PLUMB_ERR_ARGUMENT, "n");
  EXPECT_STATUS(plumb_exact_least_squares_hessian(x, 3, 0, hout), PLUMB_ERR_ARGUMENT, "dim");
  EXPECT_STATUS(plumb_exact_least_squares_hessian(x, INT64_MAX, 2, hout), PLUMB_ERR_ARGUMENT, "overflow");
  x[3] = NAN;
  EXPECT_STATUS(plumb_exact_least_squares_hessian(x, 3, 2, hout), PLUMB_ERR_DOMAIN, "row 1");
  CHECK(isnan(hout[0]) && isnan(hout[3]), "NaN output on domain error");
}

int main(void) {
  test_create_statuses();
  test_handle_statuses();
  test_exponents();
  test_full_matrix();
  test_hutchinson();
  test_extremes();
  test_exact_least_squares();
  if (failures) {
    fprintf(stderr, "test_hessian: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_hessian: all passed\n");
  return 0;
}
