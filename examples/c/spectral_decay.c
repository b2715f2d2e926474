/* A tiny training loop with spectral weight decay and a warm start.
 *
 * Each step applies a fake gradient update to W, then plumb_spectral_decay_f32 shrinks only the
 * largest singular value: W <- W - c W v v^T. The right singular vector v and its partner v2 (the
 * search's second right vector) are kept between steps, so after the first (cold) step each call
 * needs only a few passes over W. */
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
  if (!w || !v || !v2) return 1;
  for (int i = 0; i < ROWS * COLS; i++) w[i] = gaussianish() / 16.0f;
  /* Give W one dominant direction so the decay is visible. */
  for (int r = 0; r < ROWS; r++)
    for (int c = 0; c < COLS; c++) w[r * COLS + c] += 0.05f * (float)((r % 7) - 3) * (float)((c % 5) - 2) / 4.0f;

  printf("step  sigma_1     passes  residual   angle_bound  gap_ratio\n");
  for (int step = 0; step < STEPS; step++) {
    for (int i = 0; i < ROWS * COLS; i++) w[i] -= 1e-3f * gaussianish() / 16.0f; /* "gradient step" */
    plumb_spectral_info info;
    plumb_status st = plumb_spectral_decay_pair_f32(w, ROWS, COLS, 0.05f, v, v2, 200, 1e-6, &info);
    if (st != PLUMB_OK) {
      fprintf(stderr, "spectral decay failed: %s (%s)\n", plumb_status_string(st), plumb_last_error());
      return 1;
    }
    printf("%4d  %.7f  %6d  %.2e   %.2e     %.4f\n", step, info.sigma, info.iterations, info.residual,
           info.angle_bound, info.gap_ratio);
  }
  free(w);
  free(v);
  free(v2);
  return 0;
}
