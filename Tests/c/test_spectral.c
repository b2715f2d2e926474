/* C tests of the spectral-norm functions: every status path, certificates, warm start, decay. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plumb.h"
#include "check.h"


static uint64_t rng_state = 12345;
static double uniform(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(rng_state >> 11) * 0x1p-53 * 2.0 - 1.0;
}

/* W with s_k at distinct rows and columns: known singular values. */
static void diag_like(double *w, int64_t rows, int64_t cols, const double *s, int64_t k) {
  memset(w, 0, sizeof(double) * (size_t)(rows * cols));
  for (int64_t i = 0; i < k; i++) w[(i * 3 % rows) * cols + (i * 5 % cols)] = s[i];
}

int main(void) {
  enum { R = 40, C = 30 };
  static double w[R * C], u[R], v[C], g[R * C];
  static float wf[R * C], uf[R], vf[C], gf[R * C];
  plumb_spectral_info info;

  double s[6] = {5.0, 4.0, 3.0, 2.0, 1.0, 0.5};
  diag_like(w, R, C, s, 6);
  for (int i = 0; i < R * C; i++) w[i] += 1e-3 * uniform();
  memset(v, 0, sizeof v);
  plumb_status st = plumb_spectral_norm_f64(w, R, C, u, v, 200, 1e-12, &info);
  CHECK(st == PLUMB_OK, "norm f64 status %d", (int)st);
  double exact = 0;
  CHECK(plumb_exact_spectral_norm(w, R, C, &exact, NULL, NULL) == PLUMB_OK, "exact status");
  CHECK(fabs(info.sigma - exact) <= info.residual, "certificate: |%.17g - %.17g| > %g", info.sigma, exact,
        info.residual);
  CHECK(fabs(info.sigma - exact) <= 1e-13 * exact, "sigma f64 accuracy");
  CHECK(info.converged == 1 && info.iterations >= 2, "converged/iterations %d %d", info.converged,
        info.iterations);
  CHECK(info.angle_bound < 1e-6, "angle bound finite and small: %g", info.angle_bound);
  CHECK(info.gap_ratio > 0.7 && info.gap_ratio < 0.9, "gap ratio ~0.8: %g", info.gap_ratio);

  /* Warm start: fewer passes. The search always builds a 12-vector basis (six passes) before it
     stops, so the matrix must be hard enough for the cold run to need more: a 1% top gap over a
     clustered spectrum. */
  {
    static double wh[R * C], vh[C], uh[R];  /* diagonal 1, 0.99, ..., 0.71 plus noise */
    for (int i = 0; i < C; i++) wh[i * C + i] = 1.0 - 0.01 * i;
    for (int i = 0; i < R * C; i++) wh[i] += 1e-4 * uniform();
    memset(vh, 0, sizeof vh);
    st = plumb_spectral_norm_f64(wh, R, C, uh, vh, 200, 1e-12, &info);
    int cold = info.iterations;
    CHECK(st == PLUMB_OK && cold > 7, "cold passes %d on the hard matrix", cold);
    st = plumb_spectral_norm_f64(wh, R, C, uh, vh, 200, 1e-12, &info);
    CHECK(st == PLUMB_OK && info.iterations < cold, "warm start passes %d vs cold %d", info.iterations, cold);
  }

  /* The _pair functions: an all-zero v2 gives bitwise the plain results; v2 comes back as a unit
     vector orthogonal to v; warm-starting from (v, v2) after small changes of W takes no more
     passes in all than from v alone (not at every step: with the 16-vector basis of a W this small
     the pair took 24 passes against 23 at the first of these); max_iters = 1 leaves v2
     unchanged. */
  {
    static double wh[R * C], w2[R * C], va[C], vb[C], v2[C], ua[R], ub[R], ga[R * C], gb[R * C];
    plumb_spectral_info ia, ib;
    for (int i = 0; i < R * C; i++) wh[i] = 0;
    for (int i = 0; i < C; i++) wh[i * C + i] = 1.0 - 0.01 * i;
    for (int i = 0; i < R * C; i++) wh[i] += 1e-4 * uniform();
    memset(va, 0, sizeof va); memset(vb, 0, sizeof vb); memset(v2, 0, sizeof v2);
    CHECK(plumb_spectral_norm_f64(wh, R, C, ua, va, 200, 1e-12, &ia) == PLUMB_OK, "plain norm");
    CHECK(plumb_spectral_norm_pair_f64(wh, R, C, ub, vb, v2, 200, 1e-12, &ib) == PLUMB_OK, "pair norm");
    CHECK(memcmp(ua, ub, sizeof ua) == 0 && memcmp(va, vb, sizeof va) == 0 && memcmp(&ia, &ib, sizeof ia) == 0,
          "zero v2: bitwise the plain results");
    double n2 = 0, dot = 0;
    for (int i = 0; i < C; i++) { n2 += v2[i] * v2[i]; dot += v2[i] * vb[i]; }
    CHECK(fabs(sqrt(n2) - 1) <= 1e-12 && fabs(dot) <= 1e-10, "v2 unit (%g) and orthogonal to v (%g)", sqrt(n2), dot);
    double v0[C], v20[C];
    memcpy(v0, vb, sizeof v0); memcpy(v20, v2, sizeof v20);
    int plainPasses = 0, pairPasses = 0;
    for (int step = 0; step < 8; step++) {
      for (int i = 0; i < R * C; i++) w2[i] = wh[i] + 2e-5 * uniform();
      memcpy(va, v0, sizeof va); memcpy(vb, v0, sizeof vb); memcpy(v2, v20, sizeof v2);
      CHECK(plumb_spectral_norm_f64(w2, R, C, ua, va, 200, 1e-12, &ia) == PLUMB_OK, "warm from v");
      CHECK(plumb_spectral_norm_pair_f64(w2, R, C, ub, vb, v2, 200, 1e-12, &ib) == PLUMB_OK, "warm from v, v2");
      CHECK(fabs(ia.sigma - ib.sigma) <= ia.residual + ib.residual, "same sigma");
      plainPasses += ia.iterations; pairPasses += ib.iterations;
    }
    CHECK(pairPasses <= plainPasses, "pair warm starts %d passes in all vs %d from v alone", pairPasses, plainPasses);
    double saved[C];
    memcpy(saved, v2, sizeof saved);
    CHECK(plumb_spectral_norm_pair_f64(w2, R, C, ub, vb, v2, 1, 1e-12, &ib) != PLUMB_ERR_ARGUMENT, "max_iters 1");
    CHECK(memcmp(saved, v2, sizeof saved) == 0, "max_iters = 1 leaves v2 unchanged");
    memset(va, 0, sizeof va); memset(vb, 0, sizeof vb); memset(v2, 0, sizeof v2);
    CHECK(plumb_spectral_grad_f64(wh, R, C, 1, ga, va, 200, 1e-12, &ia) == PLUMB_OK, "plain grad");
    CHECK(plumb_spectral_grad_pair_f64(wh, R, C, 1, gb, vb, v2, 200, 1e-12, &ib) == PLUMB_OK, "pair grad");
    CHECK(memcmp(ga, gb, sizeof ga) == 0, "pair grad: bitwise the plain gradient");
    memcpy(ga, wh, sizeof ga); memcpy(gb, wh, sizeof gb);
    memset(va, 0, sizeof va); memset(vb, 0, sizeof vb); memset(v2, 0, sizeof v2);
    CHECK(plumb_spectral_decay_f64(ga, R, C, 0.1, va, 200, 1e-12, &ia) == PLUMB_OK, "plain decay");
    CHECK(plumb_spectral_decay_pair_f64(gb, R, C, 0.1, vb, v2, 200, 1e-12, &ib) == PLUMB_OK, "pair decay");
    CHECK(memcmp(ga, gb, sizeof ga) == 0, "pair decay: bitwise the plain decay");
    static float wfh[R * C], vfa[C], vfb[C], v2f[C], ufa[R], ufb[R], gfa[R * C];
    for (int i = 0; i < R * C; i++) wfh[i] = (float)wh[i];
    memset(vfa, 0, sizeof vfa); memset(vfb, 0, sizeof vfb); memset(v2f, 0, sizeof v2f);
    CHECK(plumb_spectral_norm_f32(wfh, R, C, ufa, vfa, 200, 1e-6, &ia) == PLUMB_OK, "plain norm f32");
    CHECK(plumb_spectral_norm_pair_f32(wfh, R, C, ufb, vfb, v2f, 200, 1e-6, &ib) == PLUMB_OK, "pair norm f32");
    CHECK(memcmp(ufa, ufb, sizeof ufa) == 0 && memcmp(&ia, &ib, sizeof ia) == 0, "f32 zero v2: bitwise plain");
    CHECK(plumb_spectral_grad_pair_f32(wfh, R, C, 0, gfa, vfb, v2f, 200, 1e-6, &ib) == PLUMB_OK, "pair grad f32");
    CHECK(plumb_spectral_decay_pair_f32(wfh, R, C, 0.1f, vfb, v2f, 200, 1e-6, &ib) == PLUMB_OK, "pair decay f32");
    /* Errors: NULL or non-finite v2, nothing written. */
    memcpy(saved, vb, sizeof saved);
    CHECK(plumb_spectral_norm_pair_f64(wh, R, C, ub, vb, NULL, 10, 1e-6, &ib) == PLUMB_ERR_ARGUMENT, "NULL v2");
    CHECK(strstr(plumb_last_error(), "v2") != NULL, "message names v2: %s", plumb_last_error());
    CHECK(plumb_spectral_grad_pair_f32(wfh, R, C, 0, gfa, vfb, NULL, 10, 1e-6, &ib) == PLUMB_ERR_ARGUMENT,
          "NULL v2 grad");
    CHECK(plumb_spectral_decay_pair_f64(gb, R, C, 0.1, vb, NULL, 10, 1e-6, &ib) == PLUMB_ERR_ARGUMENT,
          "NULL v2 decay");
    v2[4] = NAN;
    CHECK(plumb_spectral_norm_pair_f64(wh, R, C, ub, vb, v2, 10, 1e-6, &ib) == PLUMB_ERR_ARGUMENT, "NaN v2");
    CHECK(strstr(plumb_last_error(), "v2[4]") != NULL, "message names v2[4]: %s", plumb_last_error());
    CHECK(memcmp(saved, vb, sizeof saved) == 0, "v unchanged after an argument error");
  }

  /* float32 path, NULL info allowed. */
  for (int i = 0; i < R * C; i++) wf[i] = (float)w[i];
  memset(vf, 0, sizeof vf);
  CHECK(plumb_spectral_norm_f32(wf, R, C, uf, vf, 200, 1e-6, NULL) == PLUMB_OK, "norm f32 NULL info");
  CHECK(plumb_spectral_norm_f32(wf, R, C, uf, vf, 200, 1e-6, &info) == PLUMB_OK, "norm f32");
  CHECK(fabs(info.sigma - exact) <= 2e-6 * exact, "sigma f32 accuracy %.9g vs %.9g", info.sigma, exact);

  /* Gradients: squared = W v v^T has Frobenius norm sigma; unsquared has norm 1. */
  memset(v, 0, sizeof v);
  CHECK(plumb_spectral_grad_f64(w, R, C, 1, g, v, 200, 1e-12, &info) == PLUMB_OK, "grad squared");
  double fro = 0;
  for (int i = 0; i < R * C; i++) fro += g[i] * g[i];
  CHECK(fabs(sqrt(fro) - info.sigma) <= 1e-12 * info.sigma, "||W v v^T||_F = sigma");
  CHECK(plumb_spectral_grad_f32(wf, R, C, 0, gf, vf, 200, 1e-6, &info) == PLUMB_OK, "grad f32");
  fro = 0;
  for (int i = 0; i < R * C; i++) fro += (double)gf[i] * gf[i];
  CHECK(fabs(sqrt(fro) - 1.0) <= 1e-6, "||u v^T||_F = 1: %g", sqrt(fro));

  /* Decay: sigma_1 5 -> 4.5 (still the largest). */
  memset(v, 0, sizeof v);
  CHECK(plumb_spectral_decay_f64(w, R, C, 0.1, v, 200, 1e-12, &info) == PLUMB_OK, "decay f64");
  double after = 0;
  CHECK(plumb_exact_spectral_norm(w, R, C, &after, NULL, NULL) == PLUMB_OK, "exact after decay");
  CHECK(fabs(after - 0.9 * exact) <= 1e-11 * exact, "decay: %.17g vs %.17g", after, 0.9 * exact);
  CHECK(plumb_spectral_decay_f32(wf, R, C, 0.1f, vf, 200, 1e-6, &info) == PLUMB_OK, "decay f32");

  /* Argument errors. */
  CHECK(plumb_spectral_norm_f64(NULL, R, C, u, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "NULL w");
  CHECK(strstr(plumb_last_error(), "w") != NULL, "message names w");
  CHECK(plumb_spectral_norm_f64(w, R, C, NULL, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "NULL u");
  CHECK(plumb_spectral_norm_f64(w, R, C, u, NULL, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "NULL v");
  CHECK(plumb_spectral_grad_f64(w, R, C, 0, NULL, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "NULL grad");
  CHECK(plumb_spectral_decay_f32(NULL, R, C, 0.1f, vf, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "NULL w decay");
  CHECK(plumb_spectral_norm_f64(w, 0, C, u, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "rows 0");
  CHECK(plumb_spectral_norm_f64(w, R, -1, u, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "cols -1");
  CHECK(plumb_spectral_norm_f64(w, INT64_MAX, 2, u, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "overflow");
  CHECK(plumb_spectral_norm_f64(w, R, C, u, v, 0, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "max_iters 0");
  CHECK(strstr(plumb_last_error(), "max_iters") != NULL, "message names max_iters");
  CHECK(plumb_spectral_norm_f32(wf, R, C, uf, vf, -3, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "max_iters < 0");
  CHECK(plumb_spectral_norm_f64(w, R, C, u, v, 10, NAN, &info) == PLUMB_ERR_ARGUMENT, "tol NaN");
  CHECK(strstr(plumb_last_error(), "tol") != NULL, "message names tol");
  CHECK(plumb_spectral_grad_f32(wf, R, C, 0, gf, vf, 10, -1.0, &info) == PLUMB_ERR_ARGUMENT, "tol < 0");
  CHECK(plumb_spectral_decay_f64(w, R, C, INFINITY, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "coef inf");
  CHECK(plumb_spectral_decay_f32(wf, R, C, NAN, vf, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "coef NaN");
  v[3] = NAN;
  CHECK(plumb_spectral_norm_f64(w, R, C, u, v, 10, 1e-6, &info) == PLUMB_ERR_ARGUMENT, "NaN warm start");
  memset(v, 0, sizeof v);
  CHECK(plumb_exact_spectral_norm(NULL, 2, 2, &exact, NULL, NULL) == PLUMB_ERR_ARGUMENT, "exact NULL w");
  CHECK(plumb_exact_spectral_norm(w, 2, 2, NULL, NULL, NULL) == PLUMB_ERR_ARGUMENT, "exact NULL sigma");
  CHECK(plumb_exact_spectral_norm(w, 0, 2, &exact, NULL, NULL) == PLUMB_ERR_ARGUMENT, "exact rows 0");

  /* Sizes whose scratch the machine cannot provide (byte counts well below 2^63, so no overflow):
     PLUMB_ERR_NO_MEMORY before W or v is read, and nothing written. */
  {
    double w1 = 1, u1 = 7, v1 = 3, g1 = 5, v21 = 2;
    float wf1 = 1, vf1 = 3;
    const int64_t big = (int64_t)1 << 40;
    CHECK(plumb_spectral_norm_f64(&w1, big, 1, &u1, &v1, 10, 1e-6, &info) == PLUMB_ERR_NO_MEMORY, "huge rows");
    CHECK(strstr(plumb_last_error(), "allocate") != NULL, "message: %s", plumb_last_error());
    CHECK(plumb_spectral_grad_pair_f64(&w1, 1, big, 1, &g1, &v1, &v21, 10, 1e-6, &info) == PLUMB_ERR_NO_MEMORY,
          "huge cols");
    CHECK(plumb_spectral_decay_f32(&wf1, big, 1, 0.1f, &vf1, 10, 1e-6, &info) == PLUMB_ERR_NO_MEMORY,
          "huge rows decay");
    CHECK(u1 == 7 && v1 == 3 && g1 == 5 && v21 == 2 && wf1 == 1 && vf1 == 3, "nothing written");
  }

  /* A wide W (at most a quarter as many rows as columns), whose search runs on W W^T: sigma against
     the exact reference in both formats, a warm start from (v, v2) after a small change, and
     decay, which must leave sigma_1 at (1 - c) sigma_1 (c = 0.005; sigma_2 / sigma_1 ~ 0.986 here). */
  {
    enum { WR = 40, WC = 400 };
    static double ww[WR * WC], wv[WC], wv2[WC], wu[WR];
    static float wwf[WR * WC], wvf[WC], wuf[WR];
    for (int i = 0; i < WR * WC; i++) ww[i] = uniform();
    for (int i = 0; i < WR * WC; i++) wwf[i] = (float)ww[i];
    double wexact = 0, wexactf = 0;
    static double wwd[WR * WC];
    for (int i = 0; i < WR * WC; i++) wwd[i] = (double)wwf[i];
    CHECK(plumb_exact_spectral_norm(ww, WR, WC, &wexact, NULL, NULL) == PLUMB_OK, "exact wide");
    CHECK(plumb_exact_spectral_norm(wwd, WR, WC, &wexactf, NULL, NULL) == PLUMB_OK, "exact wide f32");
    memset(wv, 0, sizeof wv); memset(wv2, 0, sizeof wv2); memset(wvf, 0, sizeof wvf);
    st = plumb_spectral_norm_pair_f64(ww, WR, WC, wu, wv, wv2, 200, 1e-12, &info);
    CHECK(st == PLUMB_OK && fabs(info.sigma - wexact) <= info.residual && fabs(info.sigma - wexact) <= 1e-13 * wexact,
          "wide f64: %.17g vs %.17g (residual %g)", info.sigma, wexact, info.residual);
    int cold = info.iterations;
    st = plumb_spectral_norm_f32(wwf, WR, WC, wuf, wvf, 200, 1e-6, &info);
    CHECK(st == PLUMB_OK && fabs(info.sigma - wexactf) <= info.residual && fabs(info.sigma - wexactf) <= 2e-6 * wexactf,
          "wide f32: %.9g vs %.9g (residual %g)", info.sigma, wexactf, info.residual);
    for (int i = 0; i < WR * WC; i++) ww[i] += 1e-5 * uniform();
    st = plumb_spectral_norm_pair_f64(ww, WR, WC, wu, wv, wv2, 200, 1e-12, &info);
    CHECK(st == PLUMB_OK && info.iterations < cold, "wide warm start: %d passes against %d cold", info.iterations, cold);
    CHECK(plumb_exact_spectral_norm(ww, WR, WC, &wexact, NULL, NULL) == PLUMB_OK, "exact wide, changed");
    CHECK(fabs(info.sigma - wexact) <= info.residual, "wide warm certificate");
    st = plumb_spectral_decay_f64(ww, WR, WC, 0.005, wv, 200, 1e-12, &info);
    CHECK(st == PLUMB_OK, "wide decay status %d", (int)st);
    double after = 0;
    CHECK(plumb_exact_spectral_norm(ww, WR, WC, &after, NULL, NULL) == PLUMB_OK, "exact after decay");
    CHECK(info.gap_ratio < 0.995 && fabs(after - 0.995 * wexact) <= 1e-9 * wexact,
          "wide decay: sigma %.17g from %.17g (gap ratio %g)", after, wexact, info.gap_ratio);
  }

  /* A wide float32 W of at least 32 rows and 2048 columns: its passes run over a transposed copy.
     sigma against the exact reference, a warm start from (v, v2) after a small change, decay. */
  {
    enum { TR = 40, TC = 2100 };
    static float tw[TR * TC], tv[TC], tv2[TC], tu[TR];
    static double twd[TR * TC];
    for (int i = 0; i < TR * TC; i++) tw[i] = (float)uniform();
    for (int i = 0; i < TR * TC; i++) twd[i] = (double)tw[i];
    double texact = 0;
    CHECK(plumb_exact_spectral_norm(twd, TR, TC, &texact, NULL, NULL) == PLUMB_OK, "exact wide copy");
    memset(tv, 0, sizeof tv); memset(tv2, 0, sizeof tv2);
    st = plumb_spectral_norm_pair_f32(tw, TR, TC, tu, tv, tv2, 200, 1e-6, &info);
    CHECK(st == PLUMB_OK && fabs(info.sigma - texact) <= info.residual && fabs(info.sigma - texact) <= 2e-6 * texact,
          "wide copy f32: %.9g vs %.9g (residual %g)", info.sigma, texact, info.residual);
    int tcold = info.iterations;
    for (int i = 0; i < TR * TC; i++) { tw[i] += (float)(1e-4 * uniform()); twd[i] = (double)tw[i]; }
    st = plumb_spectral_norm_pair_f32(tw, TR, TC, tu, tv, tv2, 200, 1e-6, &info);
    CHECK(plumb_exact_spectral_norm(twd, TR, TC, &texact, NULL, NULL) == PLUMB_OK, "exact wide copy, changed");
    CHECK(st == PLUMB_OK && info.iterations <= tcold && fabs(info.sigma - texact) <= info.residual,
          "wide copy warm start: %d passes against %d cold, %.9g vs %.9g", info.iterations, tcold, info.sigma, texact);
    st = plumb_spectral_decay_f32(tw, TR, TC, 0.005f, tv, 200, 1e-6, &info);
    CHECK(st == PLUMB_OK, "wide copy decay status %d", (int)st);
    for (int i = 0; i < TR * TC; i++) twd[i] = (double)tw[i];
    double tafter = 0;
    CHECK(plumb_exact_spectral_norm(twd, TR, TC, &tafter, NULL, NULL) == PLUMB_OK, "exact after copy decay");
    CHECK(info.gap_ratio < 0.995 && fabs(tafter - 0.995 * texact) <= 2e-5 * texact,
          "wide copy decay: sigma %.9g from %.9g (gap ratio %g)", tafter, texact, info.gap_ratio);
  }

  /* Not converged: outputs still written, certificate still honest. */
  memset(v, 0, sizeof v);
  for (int i = 0; i < R * C; i++) w[i] = uniform();
  st = plumb_spectral_norm_f64(w, R, C, u, v, 2, 0.0, &info);
  CHECK(st == PLUMB_ERR_NOT_CONVERGED, "not converged status %d", (int)st);
  CHECK(info.iterations == 2 && info.converged == 0 && isfinite(info.sigma) && info.sigma > 0,
        "outputs written");
  CHECK(plumb_exact_spectral_norm(w, R, C, &exact, NULL, NULL) == PLUMB_OK, "exact random");
  CHECK(fabs(info.sigma - exact) <= info.residual, "certificate when not converged");

  /* Domain: NaN row named; zero matrix. */
  w[7 * C + 2] = NAN;
  CHECK(plumb_spectral_norm_f64(w, R, C, u, v, 50, 1e-6, &info) == PLUMB_ERR_DOMAIN, "NaN W");
  CHECK(strstr(plumb_last_error(), "row 7") != NULL, "NaN row named: %s", plumb_last_error());
  CHECK(isnan(u[0]), "u NaN on domain error");
  CHECK(plumb_exact_spectral_norm(w, R, C, &exact, NULL, NULL) == PLUMB_ERR_DOMAIN && isnan(exact), "exact NaN");
  memset(w, 0, sizeof w);
  CHECK(plumb_spectral_norm_f64(w, R, C, u, v, 50, 1e-6, &info) == PLUMB_OK && info.sigma == 0, "zero norm");
  CHECK(isinf(info.angle_bound), "zero: angle +inf");
  CHECK(plumb_spectral_grad_f64(w, R, C, 0, g, v, 50, 1e-6, &info) == PLUMB_ERR_DOMAIN, "zero grad domain");
  CHECK(plumb_spectral_grad_f64(w, R, C, 1, g, v, 50, 1e-6, &info) == PLUMB_OK && g[0] == 0, "zero grad sq");
  CHECK(plumb_exact_spectral_norm(w, R, C, &exact, u, v) == PLUMB_OK && exact == 0, "exact zero");

  if (failures) {
    fprintf(stderr, "test_spectral: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_spectral: all checks passed\n");
  return 0;
}
