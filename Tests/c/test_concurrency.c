/* Many C threads calling every capability at once: each result must be bitwise identical to the
 * serial call's, and each thread's plumb_last_error() must be its own. Small sizes: this test also
 * runs under valgrind (make test-valgrind). */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "plumb.h"
#include "check.h"

enum { ROWS = 16, COLS = 33, N = 24, K = 5, WR = 20, WC = 12, DIM = 10, THREADS = 8 };

static float scores[ROWS * COLS];
static int64_t positive[ROWS];
static double x[ROWS * N], w[WR * WC], small[4 * 6];
static const int64_t small_positive[4] = {0, 5, 2, 3};

/* Everything one worker computes, compared with memcmp. */
typedef struct {
  float loss[ROWS], grad[ROWS * COLS];
  double topk[ROWS * N], vjp[ROWS * N], u[WR], v[WC], lse[4], hdiag[DIM], hse[DIM], adam[DIM];
  double xloss[4], xgrad[4 * 6], xtopk[4 * 6], sigma, xu[4], xv[6], ls[6 * 6];
  plumb_spectral_info info;
  int status_ok;
  int own_error;
} results;

static int32_t diagonal_hvp(void *ctx, const double *vin, double *hv, int64_t dim) {
  (void)ctx;
  for (int64_t i = 0; i < dim; i++) hv[i] = (double)(i + 1) * vin[i];
  return 0;
}

static void compute(results *r, int thread) {
  memset(r, 0, sizeof *r);
  int ok = 1;
  ok &= plumb_infonce_f32(scores, ROWS, COLS, positive, 0.07f, r->loss, r->grad) == PLUMB_OK;
  ok &= plumb_soft_topk_f64(PLUMB_TOPK_SIGMOID, x, ROWS, N, K, 0.5, r->topk) == PLUMB_OK;
  ok &= plumb_soft_topk_vjp_f64(PLUMB_TOPK_GRADIENT, x, ROWS, N, K, 0.5, x, r->vjp) == PLUMB_OK;
  ok &= plumb_spectral_norm_f64(w, WR, WC, r->u, r->v, 200, 1e-12, &r->info) == PLUMB_OK;
  ok &= plumb_exact_logsumexp(small, 4, 6, r->lse) == PLUMB_OK;
  ok &= plumb_exact_infonce(small, 4, 6, small_positive, 0.5, r->xloss, r->xgrad) == PLUMB_OK;
  ok &= plumb_exact_soft_topk(PLUMB_TOPK_LAPLACE, small, 4, 6, 2, 10.0, r->xtopk) == PLUMB_OK;
  ok &= plumb_exact_spectral_norm(small, 4, 6, &r->sigma, r->xu, r->xv) == PLUMB_OK;
  ok &= plumb_exact_least_squares_hessian(small, 4, 6, r->ls) == PLUMB_OK;
  ok &= plumb_hutchinson_diag(diagonal_hvp, NULL, DIM, 8, 42, r->hdiag, r->hse) == PLUMB_OK;
  plumb_hess_config config = {0.9, 0.999, 1e-8, 0};
  plumb_hess *h = NULL;
  ok &= plumb_hess_create(DIM, &config, &h) == PLUMB_OK;
  for (int s = 0; s < 5; s++) ok &= plumb_hess_observe_f64(h, x + s * DIM) == PLUMB_OK;
  ok &= plumb_hess_implied_diag(h, PLUMB_HESS_ADAM, 0.01, r->adam) == PLUMB_OK;
  plumb_hess_destroy(h);
  r->status_ok = ok;
  /* A thread-specific failure: k = 100 + thread is out of range; the message must name it. */
  char want[32];
  snprintf(want, sizeof want, "k = %d", 100 + thread);
  plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, ROWS, N, 100 + thread, 1.0, r->topk + 0);
  r->own_error = strstr(plumb_last_error(), want) != NULL;
  /* Recompute the row the failure call may have overwritten. */
  ok &= plumb_soft_topk_f64(PLUMB_TOPK_SIGMOID, x, ROWS, N, K, 0.5, r->topk) == PLUMB_OK;
  r->status_ok = ok;
}

typedef struct { int index; results r; } job;

static void *worker(void *arg) {
  job *j = arg;
  compute(&j->r, j->index);
  return NULL;
}

int main(void) {
  for (int i = 0; i < ROWS * COLS; i++) scores[i] = (float)sin(0.37 * i) * 3.0f;
  for (int r = 0; r < ROWS; r++) positive[r] = (r * 7) % COLS;
  for (int i = 0; i < ROWS * N; i++) x[i] = cos(0.11 * i) * 4.0;
  for (int i = 0; i < WR * WC; i++) w[i] = sin(0.23 * i + 1.0);
  for (int i = 0; i < 24; i++) small[i] = 100.0 * sin((double)i);

  static results serial;
  compute(&serial, 0);
  CHECK(serial.status_ok, "serial calls failed");
  static job jobs[THREADS];
  pthread_t threads[THREADS];
  for (int n = 1; n <= 2; n++) {  /* library thread counts 1 and 2 */
    plumb_set_num_threads(n);
    for (int t = 0; t < THREADS; t++) {
      jobs[t].index = t;
      pthread_create(&threads[t], NULL, worker, &jobs[t]);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++) {
      results *r = &jobs[t].r;
      CHECK(r->status_ok, "thread %d: a call failed", t);
      CHECK(r->own_error, "thread %d: last error is not its own", t);
      serial.own_error = r->own_error;  /* compared separately above */
      CHECK(memcmp(r, &serial, sizeof serial) == 0, "thread %d (library threads %d): results differ", t, n);
    }
  }
  plumb_set_num_threads(0);
  if (failures) {
    fprintf(stderr, "test_concurrency: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_concurrency: %d threads x 2 library thread counts, bitwise identical\n", THREADS);
  return 0;
}
