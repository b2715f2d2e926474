/* Smooth top-k through the C ABI: every status path and basic properties. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plumb.h"
#include "check.h"


int main(void) {
  double x[12] = {0.3, -1.2, 2.5, 0.0, 1.1, -0.4, 3.0, 2.9, -5.0, 0.7, 0.7, 1.5};
  float xf[12];
  double out[12], ex[12], g[12], gx[12];
  float outf[12], gf[12], gxf[12];
  for (int i = 0; i < 12; i++) { xf[i] = (float)x[i]; g[i] = (double)(i % 5) - 2.0; gf[i] = (float)g[i]; }
  plumb_topk_method methods[4] = {PLUMB_TOPK_GRADIENT, PLUMB_TOPK_EXP_CLIP, PLUMB_TOPK_SIGMOID, PLUMB_TOPK_LAPLACE};
  for (int m = 0; m < 4; m++) {
    CHECK(plumb_soft_topk_f64(methods[m], x, 2, 6, 2, 0.5, out) == PLUMB_OK, "f64 ok");
    CHECK(plumb_exact_soft_topk(methods[m], x, 2, 6, 2, 0.5, ex) == PLUMB_OK, "exact ok");
    plumb_error_stats st;
    CHECK(plumb_compare_f64(out, ex, 12, &st) == PLUMB_OK && st.max_ulp <= 256, "f64 accuracy");
    for (int r = 0; r < 2; r++) {
      double s = 0;
      for (int i = 0; i < 6; i++) { s += out[r * 6 + i]; CHECK(out[r * 6 + i] >= 0 && out[r * 6 + i] <= 1, "range"); }
      CHECK(fabs(s - 2) < 1e-13, "sums to k");
    }
    CHECK(plumb_soft_topk_f32(methods[m], xf, 2, 6, 2, 0.5f, outf) == PLUMB_OK, "f32 ok");
    double xd[12];
    for (int i = 0; i < 12; i++) xd[i] = (double)xf[i];
    CHECK(plumb_exact_soft_topk(methods[m], xd, 2, 6, 2, 0.5, ex) == PLUMB_OK, "exact f32 inputs");
    CHECK(plumb_compare_f32(outf, ex, 12, &st) == PLUMB_OK && st.max_ulp <= 2, "f32 within 2 ulp");
    CHECK(plumb_soft_topk_vjp_f64(methods[m], x, 2, 6, 2, 0.5, g, gx) == PLUMB_OK, "vjp f64 ok");
    CHECK(plumb_soft_topk_vjp_f32(methods[m], xf, 2, 6, 2, 0.5f, gf, gxf) == PLUMB_OK, "vjp f32 ok");
    double s = 0;
    for (int i = 0; i < 6; i++) s += gx[i];
    CHECK(fabs(s) < 1e-12, "vjp orthogonal to ones");
    /* k = n: all ones */
    CHECK(plumb_soft_topk_f64(methods[m], x, 2, 6, 6, 1.0, out) == PLUMB_OK && out[3] == 1.0, "k = n");
  }
  /* status paths */
  CHECK(plumb_soft_topk_f64((plumb_topk_method)7, x, 2, 6, 2, 1.0, out) == PLUMB_ERR_ARGUMENT, "unknown method");
  CHECK(strstr(plumb_last_error(), "method") != NULL, "message names method");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, 2, 6, 0, 1.0, out) == PLUMB_ERR_ARGUMENT, "k = 0");
  CHECK(strstr(plumb_last_error(), "k = 0") != NULL, "message names k");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, 2, 6, 7, 1.0, out) == PLUMB_ERR_ARGUMENT, "k > n");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, 2, 0, 1, 1.0, out) == PLUMB_ERR_ARGUMENT, "n = 0");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, -1, 6, 1, 1.0, out) == PLUMB_ERR_ARGUMENT, "rows < 0");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, INT64_MAX, 6, 1, 1.0, out) == PLUMB_ERR_ARGUMENT, "overflow");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, NULL, 2, 6, 1, 1.0, out) == PLUMB_ERR_ARGUMENT, "NULL x");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, 2, 6, 1, 1.0, NULL) == PLUMB_ERR_ARGUMENT, "NULL out");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, 2, 6, 1, 0.0, out) == PLUMB_ERR_ARGUMENT, "tau 0");
  CHECK(strstr(plumb_last_error(), "temperature") != NULL, "message names temperature");
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, 2, 6, 1, NAN, out) == PLUMB_ERR_ARGUMENT, "tau NaN");
  CHECK(plumb_soft_topk_f32(PLUMB_TOPK_SIGMOID, xf, 2, 6, 1, -1.0f, outf) == PLUMB_ERR_ARGUMENT, "tau < 0");
  CHECK(plumb_soft_topk_vjp_f64(PLUMB_TOPK_GRADIENT, x, 2, 6, 1, 1.0, NULL, gx) == PLUMB_ERR_ARGUMENT, "NULL grad_out");
  CHECK(plumb_soft_topk_vjp_f32(PLUMB_TOPK_GRADIENT, xf, 2, 6, 1, 1.0f, gf, NULL) == PLUMB_ERR_ARGUMENT, "NULL grad_x");
  CHECK(plumb_soft_topk_vjp_f32(PLUMB_TOPK_LAPLACE, xf, 2, 6, 9, 1.0f, gf, gxf) == PLUMB_ERR_ARGUMENT, "vjp bad k");
  /* A row length whose workspaces the machine cannot provide (no byte count overflows): a status
     before x is read, for every method, and nothing written. */
  {
    double x1 = 1, out1 = 5, g1 = 2, gx1 = 7;
    float xf1 = 1, outf1 = 5;
    const int64_t huge = (int64_t)1 << 40;
    for (int m = 0; m < 4; m++) {
      CHECK(plumb_soft_topk_f64((plumb_topk_method)m, &x1, 1, huge, 1, 1.0, &out1) == PLUMB_ERR_NO_MEMORY,
            "huge n, method %d", m);
      CHECK(strstr(plumb_last_error(), "allocate") != NULL, "message: %s", plumb_last_error());
      CHECK(plumb_soft_topk_f32((plumb_topk_method)m, &xf1, 1, huge, 3, 1.0f, &outf1) == PLUMB_ERR_NO_MEMORY,
            "huge n f32, method %d", m);
      CHECK(plumb_soft_topk_vjp_f64((plumb_topk_method)m, &x1, 1, huge, 1, 1.0, &g1, &gx1) == PLUMB_ERR_NO_MEMORY,
            "huge n vjp, method %d", m);
    }
    CHECK(x1 == 1 && out1 == 5 && g1 == 2 && gx1 == 7 && xf1 == 1 && outf1 == 5, "nothing written");
  }
  CHECK(plumb_exact_soft_topk((plumb_topk_method)-1, x, 2, 6, 1, 1.0, ex) == PLUMB_ERR_ARGUMENT, "exact bad method");
  /* n * k beyond the reference's limit, also when the product overflows int64 (it wrapped and
     passed in the -Ounchecked build); rows = 0 keeps x and ex from being read. */
  for (int m = 0; m < 4; m++) {
    CHECK(plumb_exact_soft_topk(methods[m], x, 0, (1LL << 32) + 1, (1LL << 32) - 1, 1.0, ex) == PLUMB_ERR_ARGUMENT,
          "exact n * k overflowing int64");
    CHECK(plumb_exact_soft_topk(methods[m], x, 0, 1LL << 40, 1LL << 40, 1.0, ex) == PLUMB_ERR_ARGUMENT,
          "exact n * k = 2^80");
  }
  double y[12];
  memcpy(y, x, sizeof y);
  y[8] = NAN;
  for (int m = 0; m < 4; m++) {
    CHECK(plumb_soft_topk_f64(methods[m], y, 2, 6, 2, 1.0, out) == PLUMB_ERR_DOMAIN, "NaN row");
    CHECK(strstr(plumb_last_error(), "row 1") != NULL, "names row 1");
    CHECK(isnan(out[7]) && !isnan(out[0]), "NaN row out NaN, other row computed");
    CHECK(plumb_soft_topk_vjp_f64(methods[m], y, 2, 6, 2, 1.0, g, gx) == PLUMB_ERR_DOMAIN, "NaN row vjp");
    CHECK(plumb_exact_soft_topk(methods[m], y, 2, 6, 2, 1.0, ex) == PLUMB_ERR_DOMAIN, "NaN row exact");
  }
  y[8] = INFINITY;
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_EXP_CLIP, y, 2, 6, 2, 1.0, out) == PLUMB_ERR_DOMAIN, "inf row");
  /* an unknown method is reported as the int the caller passed (was 4294967295 for -1) */
  CHECK(plumb_soft_topk_f64((plumb_topk_method)-1, x, 2, 6, 2, 1.0, out) == PLUMB_ERR_ARGUMENT, "method -1");
  CHECK(strstr(plumb_last_error(), "method = -1 ") != NULL, "message shows -1");
  /* x / temperature beyond binary64's range: the hard top-k limit, not NaN (was NaN with PLUMB_OK) */
  double steps[3] = {1.0, 2.0, 3.0}, hard[3], back[3], ones[3] = {1, 1, 1};
  for (int m = 0; m < 4; m++) {
    CHECK(plumb_soft_topk_f64(methods[m], steps, 1, 3, 1, 5e-324, hard) == PLUMB_OK, "tiny tau ok");
    CHECK(hard[0] == 0 && hard[1] == 0 && hard[2] == 1, "tiny tau: hard top-k");
    CHECK(plumb_soft_topk_vjp_f64(methods[m], steps, 1, 3, 1, 5e-324, ones, back) == PLUMB_OK, "tiny tau vjp ok");
    CHECK(back[0] == 0 && back[1] == 0 && back[2] == 0, "tiny tau vjp: zeros");
    /* a subnormal temperature with a finite VJP (1 / tau overflows; was +-inf) */
    double pair[2] = {0.0, 1e-310}, gp[2] = {1e-10, 0.0}, vp[2];
    CHECK(plumb_soft_topk_vjp_f64(methods[m], pair, 1, 2, 1, 1e-310, gp, vp) == PLUMB_OK, "subnormal tau vjp ok");
    CHECK(isfinite(vp[0]) && vp[0] > 1e299 && fabs(vp[0] + vp[1]) <= 1e-15 * vp[0], "subnormal tau vjp finite");
  }
  /* in place */
  double z[6] = {1, 2, 3, 4, 5, 6};
  CHECK(plumb_soft_topk_f64(PLUMB_TOPK_SIGMOID, z, 1, 6, 3, 1.0, z) == PLUMB_OK && z[5] > z[0], "in place");
  if (failures) { fprintf(stderr, "test_topk: %d failures\n", failures); return 1; }
  printf("test_topk: ok\n");
  return 0;
}
