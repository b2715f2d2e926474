/* C test of the contrastive-loss API: every status path of plumb_infonce_f32/f64,
 * plumb_flatnce_f32/f64, plumb_exact_infonce/flatnce, and ULP bounds against the exact references. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plumb.h"
#include "check.h"


typedef plumb_status (*f32_fn)(const float *, int64_t, int64_t, const int64_t *, float, float *, float *);
typedef plumb_status (*f64_fn)(const double *, int64_t, int64_t, const int64_t *, double, double *, double *);

static int has_text(const char *needle) { return strstr(plumb_last_error(), needle) != NULL; }

/* The argument checks are shared; run them on every f64-signature function. */
static void argument_errors_f64(const char *name, f64_fn fn) {
  double s[6] = {0, 1, 2, 3, 4, 5}, loss[2], grad[6];
  int64_t pos[2] = {0, 1};
  CHECK(fn(NULL, 2, 3, pos, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("scores"), "%s NULL scores", name);
  CHECK(fn(s, 2, 3, NULL, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("positive"), "%s NULL positive", name);
  CHECK(fn(s, 2, 3, pos, 1.0, NULL, grad) == PLUMB_ERR_ARGUMENT && has_text("loss"), "%s NULL loss", name);
  CHECK(fn(s, -1, 3, pos, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("rows"), "%s rows < 0", name);
  CHECK(fn(s, 2, 1, pos, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("cols"), "%s cols < 2", name);
  CHECK(fn(s, INT64_MAX / 2, 4, pos, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("overflow"),
        "%s overflowing size", name);
  CHECK(fn(s, 2, 3, pos, 0.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("temperature"), "%s tau 0", name);
  CHECK(fn(s, 2, 3, pos, -1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("temperature"), "%s tau < 0", name);
  CHECK(fn(s, 2, 3, pos, NAN, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("temperature"), "%s tau NaN", name);
  CHECK(fn(s, 2, 3, pos, INFINITY, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("temperature"), "%s tau inf", name);
  int64_t bad[2] = {0, 3};
  CHECK(fn(s, 2, 3, bad, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("positive[1] = 3"), "%s pos = cols", name);
  bad[1] = -2;
  CHECK(fn(s, 2, 3, bad, 1.0, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("positive[1] = -2"), "%s pos = -2", name);
  CHECK(fn(s, 0, 3, pos, 1.0, loss, grad) == PLUMB_OK && plumb_last_error()[0] == 0, "%s rows = 0", name);
  CHECK(fn(s, 2, 3, pos, 1.0, loss, NULL) == PLUMB_OK, "%s grad NULL", name);
}

static void argument_errors_f32(const char *name, f32_fn fn) {
  float s[6] = {0, 1, 2, 3, 4, 5}, loss[2], grad[6];
  int64_t pos[2] = {0, 1};
  CHECK(fn(NULL, 2, 3, pos, 1.0f, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("scores"), "%s NULL scores", name);
  CHECK(fn(s, 2, 3, NULL, 1.0f, loss, grad) == PLUMB_ERR_ARGUMENT, "%s NULL positive", name);
  CHECK(fn(s, 2, 3, pos, 1.0f, NULL, grad) == PLUMB_ERR_ARGUMENT, "%s NULL loss", name);
  CHECK(fn(s, -5, 3, pos, 1.0f, loss, grad) == PLUMB_ERR_ARGUMENT, "%s rows < 0", name);
  CHECK(fn(s, 2, 0, pos, 1.0f, loss, grad) == PLUMB_ERR_ARGUMENT, "%s cols 0", name);
  CHECK(fn(s, 2, 3, pos, -0.0f, loss, grad) == PLUMB_ERR_ARGUMENT, "%s tau -0", name);
  CHECK(fn(s, 2, 3, pos, NAN, loss, grad) == PLUMB_ERR_ARGUMENT, "%s tau NaN", name);
  int64_t bad[2] = {5, 0};
  CHECK(fn(s, 2, 3, bad, 1.0f, loss, grad) == PLUMB_ERR_ARGUMENT && has_text("positive[0] = 5"), "%s pos", name);
  CHECK(fn(s, 2, 3, pos, 1.0f, loss, NULL) == PLUMB_OK, "%s grad NULL", name);
}

/* A NaN row, a +inf row and a -inf positive: DOMAIN naming the first bad row; NaN outputs there;
 * the good row computed and equal to the exact reference within the bound. */
static void domain_errors_f64(const char *name, f64_fn fn, f64_fn exact) {
  double s[12] = {0, 1, 2, 3, /* good */ 0, NAN, 1, 2, /* NaN */ 1, INFINITY, 0, 0 /* +inf */};
  int64_t pos[3] = {0, 0, 0};
  double loss[3], grad[12], el[1], eg[4];
  CHECK(fn(s, 3, 4, pos, 1.0, loss, grad) == PLUMB_ERR_DOMAIN && has_text("row 1"), "%s NaN row", name);
  CHECK(isnan(loss[1]) && isnan(grad[5]) && isnan(loss[2]) && isnan(grad[8]), "%s NaN outputs", name);
  CHECK(exact(s, 1, 4, pos, 1.0, el, eg) == PLUMB_OK, "%s exact good row", name);
  plumb_error_stats st;
  plumb_compare_f64(loss, el, 1, &st);
  CHECK(st.max_ulp <= 4, "%s good row loss %g ULP", name, st.max_ulp);
  plumb_compare_f64(grad, eg, 4, &st);
  CHECK(st.max_ulp <= 4, "%s good row grad %g ULP", name, st.max_ulp);
  double t[4] = {-INFINITY, 0, 1, 2};
  CHECK(fn(t, 1, 4, pos, 1.0, loss, grad) == PLUMB_ERR_DOMAIN && has_text("positive score"), "%s -inf positive", name);
}

static void domain_errors_f32(const char *name, f32_fn fn) {
  float s[8] = {0, 1, 2, 3, 2, 1, 0, NAN};
  int64_t pos[2] = {0, 1};
  float loss[2], grad[8];
  CHECK(fn(s, 2, 4, pos, 1.0f, loss, grad) == PLUMB_ERR_DOMAIN && has_text("row 1"), "%s NaN row", name);
  CHECK(isnan(loss[1]) && isnan(grad[4]) && !isnan(loss[0]) && !isnan(grad[3]), "%s outputs", name);
  s[7] = INFINITY;
  CHECK(fn(s, 2, 4, pos, 1.0f, loss, grad) == PLUMB_ERR_DOMAIN && has_text("row 1"), "%s +inf row", name);
}

/* ULP bounds at hard gaps, cols 2 and 64, tau 1 and 0.07, with a masked negative and an ignored row. */
static uint64_t rng_state = 12345;
static double uniform(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static void accuracy(void) {
  enum { ROWS = 4, MAXC = 64 };
  const double gaps[] = {-50, 0, 2, 10, 30, 90};
  const double taus[] = {1.0, 0.07};
  const int64_t colss[] = {2, 64};
  for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++)
    for (size_t k = 0; k < 2; k++)
      for (size_t c = 0; c < 2; c++) {
        int64_t cols = colss[c];
        double tau = (double)(float)taus[k];
        float s32[ROWS * MAXC], l32[ROWS], g32[ROWS * MAXC];
        double s64[ROWS * MAXC], l64[ROWS], g64[ROWS * MAXC], el[ROWS], eg[ROWS * MAXC];
        int64_t pos[ROWS];
        for (int r = 0; r < ROWS; r++) {
          double best = -1e300;
          for (int64_t j = 0; j < cols; j++) {
            s32[r * cols + j] = (float)((uniform() - 0.5) * 2 * tau);
            if (s32[r * cols + j] > best) best = s32[r * cols + j];
          }
          pos[r] = (int64_t)(uniform() * (double)cols);
          s32[r * cols + pos[r]] = (float)(best + gaps[g] * tau);
        }
        pos[1] = -1;
        if (cols > 2) s32[2 * cols + (pos[2] + 1) % cols] = -INFINITY;
        for (int64_t i = 0; i < ROWS * cols; i++) s64[i] = s32[i];
        for (int kind = 0; kind < 2; kind++) {
          f32_fn f32 = kind ? plumb_flatnce_f32 : plumb_infonce_f32;
          f64_fn f64 = kind ? plumb_flatnce_f64 : plumb_infonce_f64;
          f64_fn ex = kind ? plumb_exact_flatnce : plumb_exact_infonce;
          plumb_error_stats st;
          CHECK(ex(s64, ROWS, cols, pos, tau, el, eg) == PLUMB_OK, "exact");
          CHECK(f32(s32, ROWS, cols, pos, (float)tau, l32, g32) == PLUMB_OK, "f32");
          plumb_compare_f32(l32, el, ROWS, &st);
          CHECK(st.max_ulp <= 1 && st.special_mismatches == 0, "kind %d gap %g f32 loss %g ULP", kind, gaps[g], st.max_ulp);
          plumb_compare_f32(g32, eg, ROWS * cols, &st);
          CHECK(st.max_ulp <= 1 && st.special_mismatches == 0, "kind %d gap %g f32 grad %g ULP", kind, gaps[g], st.max_ulp);
          CHECK(f64(s64, ROWS, cols, pos, tau, l64, g64) == PLUMB_OK, "f64");
          plumb_compare_f64(g64, eg, ROWS * cols, &st);
          CHECK(st.max_ulp <= 4 && st.special_mismatches == 0, "kind %d gap %g f64 grad %g ULP", kind, gaps[g], st.max_ulp);
          for (int r = 0; r < ROWS; r++) {
            double scale = kind ? fmax(fabs(el[r]), 1.0) : fabs(el[r]);
            double ulps = el[r] == l64[r] ? 0 : fabs(l64[r] - el[r]) / (scale * 0x1p-52);
            CHECK(ulps <= 4, "kind %d gap %g f64 loss %g ULP", kind, gaps[g], ulps);
          }
          CHECK(l32[1] == 0 && l64[1] == 0 && el[1] == 0, "ignored row loss");
        }
      }
}

static void special_rows(void) {
  double s[4] = {1.0, -INFINITY, -INFINITY, -INFINITY}, loss, grad[4];
  int64_t pos = 0;
  CHECK(plumb_infonce_f64(s, 1, 4, &pos, 0.5, &loss, grad) == PLUMB_OK && loss == 0 && grad[0] == 0 && grad[1] == 0,
        "all masked InfoNCE");
  CHECK(plumb_flatnce_f64(s, 1, 4, &pos, 0.5, &loss, grad) == PLUMB_OK && isinf(loss) && loss < 0 && grad[0] == -2.0 &&
            grad[3] == 0, "all masked FlatNCE");
  CHECK(plumb_exact_flatnce(s, 1, 4, &pos, 0.5, &loss, grad) == PLUMB_OK && isinf(loss) && grad[0] == -2.0,
        "all masked exact FlatNCE");
  float f[2] = {3.0f, 3.0f}, fl, fg[2];
  CHECK(plumb_flatnce_f32(f, 1, 2, &pos, 1.0f, &fl, fg) == PLUMB_OK && fl == 0 && fg[0] == -1 && fg[1] == 1,
        "K=2 gap 0 FlatNCE");
}

/* Embedding-level loss: status paths, and symmetric InfoNCE of identical unit pairs against the
 * closed form (S = I: every row log(1 + (n-1) exp(-1/tau))). */
static void embeddings(void) {
  double a[6] = {1, 0, 0, 1, 1, 1}, b[6] = {1, 0, 0, 1, 1, 1}, loss, ga[6], gb[6];
  float af[6] = {1, 0, 0, 1, -1, 0}, lf, gaf[6];
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_INFONCE, a, b, 3, 2, 1, 1, 0.5, &loss, ga, gb) == PLUMB_OK,
        "embeddings ok");
  CHECK(isfinite(loss) && loss > 0, "embeddings loss %g", loss);
  CHECK(plumb_contrastive_embeddings_f64((plumb_contrastive_kind)7, a, b, 3, 2, 1, 1, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_ARGUMENT && has_text("kind"), "unknown kind");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, NULL, b, 3, 2, 1, 1, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_ARGUMENT && has_text("a is NULL"), "NULL a");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, NULL, 3, 2, 1, 1, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_ARGUMENT, "NULL b");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, b, 3, 2, 1, 1, 0.5, NULL, ga, gb) ==
            PLUMB_ERR_ARGUMENT, "NULL loss");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, b, 1, 2, 1, 1, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_ARGUMENT && has_text("n = 1"), "n < 2");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, b, 3, 0, 1, 1, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_ARGUMENT && has_text("dim"), "dim < 1");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, b, INT64_MAX / 2, 4, 1, 1, 0.5, &loss, ga,
                                         gb) == PLUMB_ERR_ARGUMENT, "overflow");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, b, 3, 2, 1, 1, NAN, &loss, ga, gb) ==
            PLUMB_ERR_ARGUMENT && has_text("temperature"), "tau NaN");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_FLATNCE, a, b, 3, 2, 1, 1, 0.5, &loss, NULL, NULL) ==
            PLUMB_OK, "no grads");
  b[3] = NAN;
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_INFONCE, a, b, 3, 2, 1, 0, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_DOMAIN && has_text("row 1") && isnan(loss) && isnan(ga[0]) && isnan(gb[5]), "NaN entry");
  b[3] = 1;
  a[2] = a[3] = 0;
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_INFONCE, a, b, 3, 2, 1, 0, 0.5, &loss, ga, gb) ==
            PLUMB_ERR_DOMAIN && has_text("zero norm"), "zero row");
  CHECK(plumb_contrastive_embeddings_f64(PLUMB_CONTRASTIVE_INFONCE, a, b, 3, 2, 0, 0, 0.5, &loss, ga, gb) ==
            PLUMB_OK, "zero row without normalising");
  /* Orthonormal-ish pairs: rows (1,0),(0,1),(-1,0) against themselves, tau = 1, not symmetric:
   * S rows: [1,0,-1], [0,1,0], [-1,0,1]; InfoNCE row losses log(1 + e^-1 + e^-2), log(1 + 2 e^-1), same as first. */
  CHECK(plumb_contrastive_embeddings_f32(PLUMB_CONTRASTIVE_INFONCE, af, af, 3, 2, 1, 0, 1.0f, &lf, gaf, NULL) ==
            PLUMB_OK, "f32 embeddings");
  double expect = (2 * log(1 + exp(-1.0) + exp(-2.0)) + log(1 + 2 * exp(-1.0))) / 3;
  CHECK(fabs(lf - expect) <= 2e-7 * expect, "f32 embeddings loss %.9g vs %.9g", lf, expect);
}

int main(void) {
  embeddings();
  argument_errors_f64("infonce_f64", plumb_infonce_f64);
  argument_errors_f64("flatnce_f64", plumb_flatnce_f64);
  argument_errors_f64("exact_infonce", plumb_exact_infonce);
  argument_errors_f64("exact_flatnce", plumb_exact_flatnce);
  argument_errors_f32("infonce_f32", plumb_infonce_f32);
  argument_errors_f32("flatnce_f32", plumb_flatnce_f32);
  domain_errors_f64("infonce_f64", plumb_infonce_f64, plumb_exact_infonce);
  domain_errors_f64("flatnce_f64", plumb_flatnce_f64, plumb_exact_flatnce);
  domain_errors_f64("exact_infonce", plumb_exact_infonce, plumb_exact_infonce);
  domain_errors_f64("exact_flatnce", plumb_exact_flatnce, plumb_exact_flatnce);
  domain_errors_f32("infonce_f32", plumb_infonce_f32);
  domain_errors_f32("flatnce_f32", plumb_flatnce_f32);
  accuracy();
  special_rows();
  /* PLUMB_ERR_PRECISION: a 64-bit cap cannot certify a row needing more. */
  {
    /* d_i = (s_i - 49) / 0.07 ~ -700 is inexact at 64 bits, so each exp(d_i) has relative width
     * ~2^-54.5, about a third of a binary64 ULP: among 63 gradient entries some interval always
     * straddles a rounding boundary, and a 64-bit cap cannot certify the row. */
    double s[64], loss, grad[64];
    s[0] = 49.0;
    for (int j = 1; j < 64; j++) s[j] = 1e-3 * j;
    int64_t pos = 0;
    int64_t cap = plumb_exact_get_precision_cap();
    CHECK(plumb_exact_set_precision_cap(64) == PLUMB_OK, "set cap");
    plumb_status st = plumb_exact_infonce(s, 1, 64, &pos, 0.07, &loss, grad);
    CHECK(st == PLUMB_ERR_PRECISION && has_text("row 0"), "precision cap status %d", (int)st);
    CHECK(isnan(loss) && isnan(grad[0]), "precision NaN outputs");
    plumb_exact_set_precision_cap(cap);
    CHECK(plumb_exact_infonce(s, 1, 64, &pos, 0.07, &loss, grad) == PLUMB_OK, "default cap certifies");
  }
  if (failures) {
    fprintf(stderr, "test_contrastive: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_contrastive: ok\n");
  return 0;
}
