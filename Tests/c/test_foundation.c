/* Foundation C tests: version, status strings, last error, threads, precision metrics and the
 * exact logsumexp, including every status path. Built as C11 with -Wall -Wextra -Werror -pedantic. */
#include "plumb.h"
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The call returned `status` and left a non-empty message containing `needle`. */
static void expect_error(plumb_status got, plumb_status want, const char *needle, const char *what) {
  const char *msg = plumb_last_error();
  CHECK(got == want, "%s: status %d (%s), want %d; message '%s'", what, (int)got,
        plumb_status_string(got), (int)want, msg);
  CHECK(msg != NULL && strstr(msg, needle) != NULL, "%s: message '%s' lacks '%s'", what, msg, needle);
}

static void test_version_and_status(void) {
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", PLUMB_VERSION_MAJOR, PLUMB_VERSION_MINOR,
           PLUMB_VERSION_PATCH);
  CHECK(strcmp(plumb_version(), expected) == 0, "version %s vs header %s", plumb_version(), expected);
  CHECK(strcmp(plumb_status_string(PLUMB_OK), "ok") == 0, "ok string");
  CHECK(strcmp(plumb_status_string(PLUMB_ERR_PRECISION), "precision cap reached") == 0, "precision string");
  CHECK(strcmp(plumb_status_string((plumb_status)99), "unknown status") == 0, "unknown status");
  CHECK(strcmp(plumb_status_string((plumb_status)-1), "unknown status") == 0, "negative status");
}

static void test_threads(void) {
  int32_t all = plumb_get_num_threads();
  CHECK(all >= 1, "default threads %d", all);
  plumb_set_num_threads(1);
  CHECK(plumb_get_num_threads() == 1, "set 1");
  plumb_set_num_threads(-3);
  CHECK(plumb_get_num_threads() == all, "<= 0 restores all cores");
}

static void test_compare(void) {
  double exact[4] = {1.0, 2.0, -3.0, 0.5};
  float f32[4] = {1.0f, 2.0f, -3.0f, 0.5f};
  plumb_error_stats s;
  f32[1] = nextafterf(nextafterf(2.0f, 3.0f), 3.0f); /* 2 ULPs above 2 */
  CHECK(plumb_compare_f32(f32, exact, 4, &s) == PLUMB_OK, "compare_f32: %s", plumb_last_error());
  CHECK(s.count == 4 && s.max_ulp == 2.0 && s.worst_index == 1 && s.special_mismatches == 0,
        "f32 stats: max_ulp %g worst %lld", s.max_ulp, (long long)s.worst_index);
  CHECK(strcmp(plumb_last_error(), "") == 0, "success clears the error");

  double f64[4] = {1.0, 2.0, -3.0, 0.5};
  f64[3] = nextafter(0.5, 0.0); /* below a binade boundary: ulp of 0.5 is 2^-53, step is 2^-54 */
  CHECK(plumb_compare_f64(f64, exact, 4, &s) == PLUMB_OK, "compare_f64");
  CHECK(s.max_ulp == 0.5 && s.worst_index == 3, "f64 half ULP below a binade: %g", s.max_ulp);

  uint16_t f16[2] = {0x3C00, 0x3C01}; /* 1.0, 1 + 2^-10 */
  double e16[2] = {1.0, 1.0};
  CHECK(plumb_compare_f16(f16, e16, 2, &s) == PLUMB_OK && s.max_ulp == 1.0 && s.min_bits == 10.0,
        "f16: max_ulp %g min_bits %g", s.max_ulp, s.min_bits);
  uint16_t bf16[2] = {0x3F80, 0x7FC0}; /* 1.0, NaN */
  double ebf[2] = {1.0 + 3.0 / 256.0, 1.0};
  CHECK(plumb_compare_bf16(bf16, ebf, 2, &s) == PLUMB_OK && s.max_ulp == 1.5 && s.special_mismatches == 1
            && s.min_bits == 0.0,
        "bf16: max_ulp %g mismatches %lld", s.max_ulp, (long long)s.special_mismatches);

  double none = 0;
  /* Both inputs are checked whatever n (the header: NULL pointer -> PLUMB_ERR_ARGUMENT). */
  CHECK(plumb_compare_f64(&none, NULL, 0, &s) == PLUMB_ERR_ARGUMENT, "NULL exact with n = 0");
  CHECK(plumb_compare_f64(NULL, &none, 0, &s) == PLUMB_ERR_ARGUMENT, "NULL computed with n = 0");
  CHECK(plumb_compare_f64(&none, &none, 0, &s) == PLUMB_OK && s.count == 0 && s.worst_index == -1,
        "n = 0 compares nothing");

  expect_error(plumb_compare_f32(NULL, exact, 4, &s), PLUMB_ERR_ARGUMENT, "computed", "NULL computed");
  expect_error(plumb_compare_f32(f32, NULL, 4, &s), PLUMB_ERR_ARGUMENT, "exact", "NULL exact");
  expect_error(plumb_compare_f32(f32, exact, 4, NULL), PLUMB_ERR_ARGUMENT, "out", "NULL out");
  expect_error(plumb_compare_f16(f16, e16, -1, &s), PLUMB_ERR_ARGUMENT, "n", "negative n");
  expect_error(plumb_compare_bf16(bf16, ebf, INT64_MAX / 4, &s), PLUMB_ERR_ARGUMENT, "overflow",
               "byte count overflow");
}

static void test_exact_logsumexp(void) {
  double x[3 * 3] = {0.0, 0.0, -INFINITY, -INFINITY, -INFINITY, -INFINITY, 1e308, 1e308, -1e308};
  double out[3];
  CHECK(plumb_exact_logsumexp(x, 3, 3, out) == PLUMB_OK, "lse: %s", plumb_last_error());
  CHECK(out[0] == 0.6931471805599453, "log 2: %.17g", out[0]);
  CHECK(out[1] == -INFINITY, "row of -inf: %g", out[1]);
  CHECK(out[2] == 1e308, "huge: %.17g", out[2]);

  /* NaN in row 1: domain error naming row 1, rows 0 and 2 still computed. */
  double y[3 * 2] = {0.0, 0.0, 1.0, NAN, 5e-324, 5e-324};
  expect_error(plumb_exact_logsumexp(y, 3, 2, out), PLUMB_ERR_DOMAIN, "row 1", "NaN row");
  CHECK(out[0] == 0.6931471805599453 && isnan(out[1]) && out[2] == 0.6931471805599453,
        "other rows computed: %g %g %g", out[0], out[1], out[2]);

  expect_error(plumb_exact_logsumexp(NULL, 1, 1, out), PLUMB_ERR_ARGUMENT, "x", "NULL x");
  expect_error(plumb_exact_logsumexp(x, 1, 1, NULL), PLUMB_ERR_ARGUMENT, "out", "NULL out");
  expect_error(plumb_exact_logsumexp(x, -1, 1, out), PLUMB_ERR_ARGUMENT, "rows", "negative rows");
  expect_error(plumb_exact_logsumexp(x, 1, 0, out), PLUMB_ERR_ARGUMENT, "cols", "zero cols");
  expect_error(plumb_exact_logsumexp(x, INT64_MAX, 2, out), PLUMB_ERR_ARGUMENT, "overflow", "rows*cols overflow");
  expect_error(plumb_exact_logsumexp(x, INT64_MAX / 8, 2, out), PLUMB_ERR_ARGUMENT, "overflow", "byte overflow");
  CHECK(plumb_exact_logsumexp(NULL, 0, 5, NULL) == PLUMB_ERR_ARGUMENT, "NULL with rows = 0 is still an error");

  /* Precision cap: heavy cancellation (log(e^-1 + e^(-1 + log(e - 1))) ~ 0) needs > 64 bits. */
  double hard[2] = {-1.0, -1.0 + 0.5413248546129181};
  CHECK(plumb_exact_get_precision_cap() == 65536, "default cap %lld", (long long)plumb_exact_get_precision_cap());
  expect_error(plumb_exact_set_precision_cap(63), PLUMB_ERR_ARGUMENT, "bits", "cap too small");
  expect_error(plumb_exact_set_precision_cap(INT64_MAX), PLUMB_ERR_ARGUMENT, "bits", "cap too large");
  CHECK(plumb_exact_set_precision_cap(64) == PLUMB_OK, "set cap");
  expect_error(plumb_exact_logsumexp(hard, 1, 2, out), PLUMB_ERR_PRECISION, "precision cap", "cap reached");
  CHECK(isnan(out[0]), "precision failure writes NaN");
  CHECK(plumb_exact_set_precision_cap(65536) == PLUMB_OK, "restore cap");
  CHECK(plumb_exact_logsumexp(hard, 1, 2, out) == PLUMB_OK && fabs(out[0]) < 1e-15, "hard row %g", out[0]);
}

/* The last error is per thread: a failure on one thread is invisible to another. */
static void *fail_on_thread(void *arg) {
  (void)arg;
  double out;
  plumb_status s = plumb_exact_logsumexp(NULL, 1, 1, &out);
  return (void *)(intptr_t)(s == PLUMB_ERR_ARGUMENT && strstr(plumb_last_error(), "x is NULL") != NULL);
}

static void test_last_error_is_thread_local(void) {
  double x = 1.0, out;
  CHECK(plumb_exact_logsumexp(&x, 1, 1, &out) == PLUMB_OK, "ok call");
  pthread_t t;
  void *ok = NULL;
  pthread_create(&t, NULL, fail_on_thread, NULL);
  pthread_join(t, &ok);
  CHECK(ok != NULL, "failure seen on its own thread");
  CHECK(strcmp(plumb_last_error(), "") == 0, "main thread's error untouched: '%s'", plumb_last_error());
}

int main(void) {
  test_version_and_status();
  test_threads();
  test_compare();
  test_exact_logsumexp();
  test_last_error_is_thread_local();
  if (failures) {
    fprintf(stderr, "test_foundation: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_foundation: all checks passed\n");
  return 0;
}
