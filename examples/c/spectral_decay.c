/* A tiny training loop with spectral weight decay and a warm start.
 *
 * Each step applies a fake gradient update to W, then plumb_spectral_decay_pair_f32 shrinks only
 * the largest singular value: W <- W - c W v v^T. The right singular vector v and its partner v2
 * (the search's second right vector) are kept between steps, so after the first (cold) step each
 * call needs fewer passes over W than a cold start on the same W (printed beside it). The decay
 * pushes sigma_1 down into sigma_2, sigma_3, ...: the top of the spectrum gets crowded (gap_ratio
 * near 1) and both searches need more passes as the steps go on.
 *
 * Build from the repository after `make build`:
 *   cc -std=c11 -IInclude examples/c/spectral_decay.c -L.build/release -Wl,-rpath,$PWD/.build/release -lplumb -lm */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "plumb.h"

enum { ROWS = 256, COLS = 128, STEPS = 8 };

static uint64_t state = 42;
static float gaussianish(void) {
  double s = 0;
  for (int i = 0; i < 4; i++) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    s += (double)(state >> 11) * 0x1p-53 - 0.5;
  }
  return (float)(s * 1.7320508075688772);
}

int main(void) {
  float *w = malloc(sizeof(float) * ROWS * COLS);
  float *v = calloc(COLS, sizeof(float));  /* all zeros: default start on the first step */
  float *v2 = calloc(COLS, sizeof(float)); /* likewise */
  float *u = malloc(sizeof(float) * ROWS), *v_cold = malloc(sizeof(float) * COLS);
  if (!w || !v || !v2 || !u || !v_cold) return 1;
  for (int i = 0; i < ROWS * COLS; i++) w[i] = gaussianish() / 16.0f; /* sigma_2 / sigma_1 ~ 0.99 */

  printf("step  sigma_1     passes (cold)  residual   angle_bound  gap_ratio\n");
  for (int step = 0; step < STEPS; step++) {
    for (int i = 0; i < ROWS * COLS; i++) w[i] -= 1e-3f * gaussianish() / 16.0f; /* "gradient step" */
    plumb_spectral_info cold, info;
    for (int c = 0; c < COLS; c++) v_cold[c] = 0.0f;
    plumb_status st = plumb_spectral_norm_f32(w, ROWS, COLS, u, v_cold, 200, 1e-6, &cold);
    if (st == PLUMB_OK) st = plumb_spectral_decay_pair_f32(w, ROWS, COLS, 0.002f, v, v2, 200, 1e-6, &info);
    if (st != PLUMB_OK) {
      fprintf(stderr, "spectral norm/decay failed: %s (%s)\n", plumb_status_string(st), plumb_last_error());
      return 1;
    }
    printf("%4d  %.7f  %6d (%4d)  %.2e   %.2e     %.4f\n", step, info.sigma, info.iterations, cold.iterations,
           info.residual, info.angle_bound, info.gap_ratio);
  }
  free(w);
  free(v);
  free(v2);
  free(u);
  free(v_cold);
  return 0;
}
