/*
 * plumb.h - numerically careful training kernels, with exact references.
 *
 * Introduction
 *
 * plumb gives training code numeric cores (contrastive losses, smooth top-k, spectral-norm
 * gradients, Hessian-approximation diagnostics) and, beside each, an exact reference computed with
 * GMP/MPFR and correctly rounded to binary64. The references let a user measure how many bits any
 * implementation of these functions keeps, including their own framework's.
 *
 * Conventions (they hold for every function below unless its comment says otherwise):
 *  - Arrays are row-major and contiguous. Sizes and indices are int64_t. The caller allocates every
 *    output; the library allocates only inside opaque handles.
 *  - Every function returns a plumb_status (or is a pure getter). It never traps, whatever the
 *    arguments: NULL pointers, negative sizes, sizes whose byte counts overflow, NaN parameters all
 *    give a status, and plumb_last_error() then describes the problem.
 *  - Row-wise functions compute every row they can. When a row's data is outside the function's
 *    domain (NaN, or +inf where the math gives it no meaning) the function still computes the other
 *    rows, writes NaN to that row's outputs, and returns PLUMB_ERR_DOMAIN naming the first such row.
 *  - Inputs and outputs never alias unless a comment says they may.
 *  - All functions are thread-safe and reentrant. Large calls run on up to
 *    plumb_get_num_threads() threads; the thread count never changes a result bit.
 *  - "Exact" functions return binary64 values correctly rounded to nearest (ties to even): the
 *    mathematically exact result of the binary64 inputs, rounded once.
 *
 * Sections: version and status; threads; precision metrics; exact references.
 */
#ifndef PLUMB_H
#define PLUMB_H

#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/*======  Version  ======*/

#define PLUMB_VERSION_MAJOR 0
#define PLUMB_VERSION_MINOR 1
#define PLUMB_VERSION_PATCH 0
#define PLUMB_VERSION_NUMBER \
  (PLUMB_VERSION_MAJOR * 10000 + PLUMB_VERSION_MINOR * 100 + PLUMB_VERSION_PATCH)

/*! plumb_version() :
 *  @return the library's version as "MAJOR.MINOR.PATCH", a static string. Compare it with the
 *  PLUMB_VERSION_* macros to detect a header/library mismatch. */
const char *plumb_version(void);

/*======  Status and errors  ======*/

typedef enum plumb_status {
  PLUMB_OK = 0,                /* success */
  PLUMB_ERR_ARGUMENT = 1,      /* an argument is invalid (NULL, size, k, temperature, ...) */
  PLUMB_ERR_DOMAIN = 2,        /* data outside the function's domain (NaN, +inf, ...) */
  PLUMB_ERR_NO_MEMORY = 3,     /* an allocation failed */
  PLUMB_ERR_NOT_CONVERGED = 4, /* an iteration stopped before meeting its tolerance */
  PLUMB_ERR_PRECISION = 5      /* an exact reference could not certify its rounding within the cap */
} plumb_status;

/*! plumb_status_string() :
 *  @return a static, human-readable name for `status` ("ok", "invalid argument", ...);
 *  "unknown status" for a value outside the enum. Never NULL. */
const char *plumb_status_string(plumb_status status);

/*! plumb_last_error() :
 *  @return a description of the last failure of a plumb call made on the calling thread, or "" when
 *  the last call on this thread succeeded. The string stays valid until the next plumb call on this
 *  thread. Never NULL. */
const char *plumb_last_error(void);

/*======  Threads  ======*/

/*! plumb_set_num_threads() :
 *  Bounds the number of threads a single plumb call may use (process-wide).
 *  n <= 0 selects all online cores (the default). Results do not depend on the thread count. */
void plumb_set_num_threads(int32_t n);

/*! plumb_get_num_threads() :
 *  @return the number of threads a plumb call may use, >= 1. */
int32_t plumb_get_num_threads(void);

/*======  Precision metrics  ======*/

/* Statistics of computed values against correctly rounded binary64 references.
 *
 * ULP error of one element: |computed - exact| / ulp_F(exact), where F is the format of `computed`
 * and ulp_F(x) is the spacing of F's numbers in the binade of |x| (2^(floor(log2|x|) - p + 1) for F
 * with p significand bits), or F's subnormal spacing below F's normal range, or the spacing of F's
 * top binade above F's largest finite value.
 *
 * Class of a value: NaN, +inf, -inf, zero (either sign), positive finite, negative finite. An
 * element is a special mismatch when the class of `computed` differs from the class of `exact`
 * rounded to F. Elements where `computed` or `exact` is NaN or infinite enter the ULP and relative
 * statistics only when their classes agree (as 0 error); otherwise they count as 0 correct bits and
 * are left out of max_ulp, mean_ulp and max_rel. Finite elements always enter the statistics, so a
 * computed zero where the exact value is 1e-13 shows as a huge ULP error and 0 bits.
 *
 * The statistics are computed in binary64: a reported ULP error is within a relative 2^-52 of the
 * true one. For f64 `computed`, `exact` is itself rounded, so the reported figure differs from the
 * error against the infinitely precise value by at most 0.5 ULP. */
typedef struct plumb_error_stats {
  int64_t count;              /* elements compared (n) */
  double max_ulp;             /* largest ULP error; 0 when nothing entered the statistics */
  double mean_ulp;            /* mean ULP error over the elements that entered the statistics */
  double max_rel;             /* max |computed - exact| / |exact| over finite exact != 0 */
  double min_bits;            /* min over elements of -log2(relative error), capped at F's
                                 precision (53, 24, 11, 8); an element with exact == 0 has full
                                 bits when computed == 0 and 0 bits otherwise */
  int64_t worst_index;        /* index of the element with max_ulp, or -1 when none */
  int64_t special_mismatches; /* elements whose class differs from exact's (see above) */
} plumb_error_stats;

/*! plumb_compare_f64(), plumb_compare_f32(), plumb_compare_f16(), plumb_compare_bf16() :
 *  Compare n computed values with their binary64 references and fill *out.
 *  `computed`: n values in the named format (f16: IEEE binary16 bits; bf16: bfloat16 bits, the top
 *  16 bits of a binary32). `exact`: n binary64 values (NaN and infinities allowed).
 *  n >= 0 (n == 0 gives count 0 and worst_index -1). `out` must not be NULL; inputs may alias each
 *  other (they are only read).
 *  @return PLUMB_OK, or PLUMB_ERR_ARGUMENT for a NULL pointer, n < 0, or n whose byte count
 *  overflows. */
plumb_status plumb_compare_f64(const double *computed, const double *exact, int64_t n,
                               plumb_error_stats *out);
plumb_status plumb_compare_f32(const float *computed, const double *exact, int64_t n,
                               plumb_error_stats *out);
plumb_status plumb_compare_f16(const uint16_t *computed, const double *exact, int64_t n,
                               plumb_error_stats *out);
plumb_status plumb_compare_bf16(const uint16_t *computed, const double *exact, int64_t n,
                                plumb_error_stats *out);

/*======  Exact references  ======*/

/* Each exact reference evaluates the mathematical function of its binary64 inputs with MPFR in
 * interval arithmetic (directed roundings bound the true value from below and above), doubling the
 * working precision until both bounds round to the same binary64 value (Ziv's strategy). That value
 * is the correctly rounded result. If the bounds still disagree at the precision cap (65536 bits by default),
 * the function returns PLUMB_ERR_PRECISION and writes NaN to that row's outputs. Nearly every
 * input is certified at 64 or 128 bits. */

/*! plumb_exact_set_precision_cap() :
 *  Sets the working-precision cap of all exact references (process-wide), in bits.
 *  Default 65536; allowed range [64, 16777216]. A low cap makes the references fail fast with
 *  PLUMB_ERR_PRECISION on hard inputs instead of spending time on them.
 *  @return PLUMB_OK, or PLUMB_ERR_ARGUMENT (cap unchanged) when `bits` is out of range. */
plumb_status plumb_exact_set_precision_cap(int64_t bits);

/*! plumb_exact_get_precision_cap() :
 *  @return the current working-precision cap of the exact references, in bits. */
int64_t plumb_exact_get_precision_cap(void);

/*! plumb_exact_logsumexp() :
 *  out[r] = log(sum_j exp(x[r*cols + j])), correctly rounded, for each of `rows` rows.
 *  x: rows*cols values; -inf entries are masked (contribute exp(-inf) = 0) and a row of only -inf
 *  gives -inf. Any finite input is allowed (|x| up to DBL_MAX, subnormals); a row containing +inf
 *  gives +inf. rows >= 0, cols >= 1 (rows == 0 does nothing). out: rows values, must not alias x.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for NULL pointers, rows < 0, cols < 1 or an overflowing
 *  size; PLUMB_ERR_DOMAIN when a row contains NaN (its out is NaN; other rows are computed);
 *  PLUMB_ERR_PRECISION as described above. */
plumb_status plumb_exact_logsumexp(const double *x, int64_t rows, int64_t cols, double *out);

/*======  Hessian-approximation diagnostics  ======*/

/* What Hessian does an adaptive optimizer implicitly use? Newton steps theta -= H^-1 g; Adam's step
 * is Newton's with H = diag(sqrt(v_hat) + eps) / lr. A probe streams gradients, keeps the moments
 * the optimizers keep, and reads off their implied Hessian diagonals; plumb_hess_compare fits them
 * against a reference diagonal (user-given, from plumb_hutchinson_diag, or exact for a built-in
 * problem such as plumb_exact_least_squares_hessian).
 *
 * After t observed gradients g_1..g_t (every moment starts at 0; state is binary64):
 *   m_t = beta1 m + (1 - beta1) g          v_t = beta2 v + (1 - beta2) g^2
 *   s_t = beta2 s + (1 - beta2) (g - m_t)^2   (AdaBelief's belief, with the updated m_t)
 *   C_t = beta2 C + (1 - beta2) g g^T          (full-matrix mode only)
 * and v_hat = v_t / (1 - beta2^t), s_hat and C_hat likewise (AdaBelief's inner +eps is not added).
 * 1 - beta^t is evaluated as -expm1(t log1p(beta - 1)), which avoids the cancellation of the direct
 * formula for beta near 1. Measured against the exact recurrences (rationals + 60-digit square
 * roots), the implied RMS/ADAM/BELIEF diagonals are within 6 binary64 ulps after 300 steps.
 *
 * Handles: a plumb_hess is created by plumb_hess_create and freed by plumb_hess_destroy. Every
 * function detects a NULL handle, and a pointer that is not a live handle of this library (never
 * created, or already destroyed) by looking it up in a registry of live handles: it returns
 * PLUMB_ERR_ARGUMENT instead of touching it. (Detection is by address: if the allocator reuses the
 * address of a destroyed probe for a new probe, the stale pointer refers to the new probe.) Calls on
 * one handle from several threads are serialized by a lock inside the probe. */

typedef struct plumb_hess plumb_hess; /* opaque */

typedef struct plumb_hess_config {
  double beta1;        /* first-moment decay, in [0, 1) (Adam: 0.9) */
  double beta2;        /* second-moment decay of v, s and C, in [0, 1) (Adam: 0.999) */
  double epsilon;      /* Adam's epsilon, finite and >= 0 (Adam: 1e-8) */
  int32_t full_matrix; /* nonzero: also keep C = EMA of g g^T (dim^2 doubles; dim <= 4096) */
} plumb_hess_config;

typedef enum plumb_hess_estimator {
  PLUMB_HESS_ADAM = 0,   /* (sqrt(v_hat) + eps) / lr */
  PLUMB_HESS_RMS = 1,    /* sqrt(v_hat) / lr */
  PLUMB_HESS_BELIEF = 2, /* (sqrt(s_hat) + eps) / lr, s = EMA of (g - m)^2 */
  PLUMB_HESS_FULL = 3    /* diag of sqrtm(C_hat) / lr; full_matrix only */
} plumb_hess_estimator;

/* Fit of an estimated diagonal est (the estimator's implied diagonal at lr = 1) against a
 * reference diagonal h. The log fit uses the "usable" coordinates, those with h_i != 0 and
 * est_i > 0 (the others have no logarithm and are left out of exponent, scale, log_correlation). */
typedef struct plumb_hess_report {
  int64_t steps;            /* gradients observed */
  double exponent;          /* slope p of the least-squares line log est_i = p log|h_i| + c
                               (for RMS, est = sqrt(v_hat)): 1 = long-run Newton picture,
                               0.5 = Gauss-Newton picture. NaN with < 2 usable coordinates or
                               all usable |h_i| equal */
  double scale;             /* exp(c), NaN likewise */
  double log_correlation;   /* Pearson correlation of log est_i and log|h_i| (usable coords);
                               NaN when either is constant */
  double relative_error;    /* min over c of ||c*est - |h||| / |||h||| (all coordinates, Euclidean),
                               at c = <est,|h|> / <est,est> */
  double epsilon_dominated; /* fraction of all coordinates with eps >= the estimator's root
                               (sqrt(v_hat); sqrt(s_hat) for BELIEF; diag sqrtm(C_hat) for FULL):
                               there Adam behaves like plain SGD */
} plumb_hess_report;

/* Fit of the full-matrix estimate A = sqrtm(C_hat) against |H| = sqrtm(H^2) (the matrix absolute
 * value, V |Lambda| V^T, of the symmetric part (H + H^T)/2 of the reference). */
typedef struct plumb_hess_matrix_report {
  int64_t steps;           /* gradients observed */
  double scale;            /* least-squares s in A ~ s |H|: <A,|H|>_F / <|H|,|H|>_F. For g = H d
                              with d ~ N(0, s^2 I), A -> s |H| and scale -> s */
  double relative_error;   /* min over c of ||c A - |H|||_F / |||H|||_F, at c = <A,|H|>_F / <A,A>_F */
  double exponent;         /* diagonal fit of diag(A) against diag(|H|), as in plumb_hess_report */
  double diag_scale;       /* exp(intercept) of that diagonal fit */
  double log_correlation;  /* correlation of the logs of the two diagonals */
} plumb_hess_matrix_report;

/*! plumb_hess_create() :
 *  Creates a probe of `dim` coordinates with all moments 0 and steps 0; *out receives the handle.
 *  config must not be NULL. Memory: 3*dim doubles, plus dim^2 + dim doubles in full-matrix mode.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT (and *out = NULL when out is not NULL) for NULL config or
 *  out, dim < 1, beta1 or beta2 outside [0, 1) or NaN, epsilon negative or not finite,
 *  full_matrix with dim > 4096, or a size that overflows; PLUMB_ERR_NO_MEMORY. */
plumb_status plumb_hess_create(int64_t dim, const plumb_hess_config *config, plumb_hess **out);

/*! plumb_hess_destroy() :
 *  Frees a probe. NULL, and a pointer that is not a live handle (e.g. destroyed twice), are
 *  no-ops (see "Handles" above). */
void plumb_hess_destroy(plumb_hess *h);

/*! plumb_hess_observe_f32(), plumb_hess_observe_f64() :
 *  Folds one gradient (dim values) into the moments: one fused pass over the state (and, in
 *  full-matrix mode, one pass over C), on several threads for large dim; results do not depend on
 *  the thread count. The gradient is first checked for NaN/inf.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for a NULL or dead handle or NULL grad;
 *  PLUMB_ERR_DOMAIN when grad has a NaN or infinite entry (message names the first one; the probe
 *  is left unchanged). */
plumb_status plumb_hess_observe_f32(plumb_hess *h, const float *grad);
plumb_status plumb_hess_observe_f64(plumb_hess *h, const double *grad);

/*! plumb_hess_implied_diag() :
 *  diag (dim values) = the Hessian diagonal estimator `e` implies at learning rate `lr` (see the
 *  enum). PLUMB_HESS_FULL computes the eigen-decomposition of C_hat (Householder tridiagonalization
 *  + implicit QL, O(dim^3): measured ~1 s at dim 1024 and ~3 min at dim 4096 on 2 cores; negative
 *  rounding eigenvalues are clamped to 0).
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for a NULL or dead handle, NULL diag, an unknown `e`,
 *  lr not finite or <= 0, no gradient observed yet, or PLUMB_HESS_FULL without full_matrix;
 *  PLUMB_ERR_NOT_CONVERGED if the eigensolver fails (not expected on finite input). */
plumb_status plumb_hess_implied_diag(const plumb_hess *h, plumb_hess_estimator e, double lr, double *diag);

/*! plumb_hess_compare() :
 *  Fits the implied diagonal of `e` at lr = 1 (est) against reference_diag (dim values, e.g.
 *  diag H; only |h_i| is used) and fills *out (see plumb_hess_report).
 *  @return PLUMB_OK (also when the log fit is undetermined: those fields are NaN);
 *  PLUMB_ERR_ARGUMENT as for plumb_hess_implied_diag or for NULL reference_diag/out;
 *  PLUMB_ERR_DOMAIN when reference_diag has a NaN or infinite entry (message names it). */
plumb_status plumb_hess_compare(const plumb_hess *h, plumb_hess_estimator e, const double *reference_diag,
                                plumb_hess_report *out);

/*! plumb_hess_compare_matrix() :
 *  Full-matrix mode only: compares A = sqrtm(C_hat) with |H| for the dense reference Hessian
 *  reference_hessian (dim*dim values, row-major; its symmetric part is used) and fills *out (see
 *  plumb_hess_matrix_report). O(dim^3).
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for a NULL or dead handle, NULL pointers, a probe without
 *  full_matrix, or no gradient observed yet; PLUMB_ERR_DOMAIN for a NaN/inf reference entry;
 *  PLUMB_ERR_NOT_CONVERGED if the eigensolver fails. */
plumb_status plumb_hess_compare_matrix(const plumb_hess *h, const double *reference_hessian,
                                       plumb_hess_matrix_report *out);

/*! plumb_hvp_fn :
 *  Hessian-vector product callback: write H v into hv (both dim values); return 0 on success,
 *  nonzero to abort. hv is zeroed before each call. It is called from the thread that called
 *  plumb_hutchinson_diag, one call at a time, `samples` times. */
typedef int32_t (*plumb_hvp_fn)(void *ctx, const double *v, double *hv, int64_t dim);

/*! plumb_hutchinson_diag() :
 *  Hutchinson's estimate of diag(H) = E[z * (H z)] from `samples` Rademacher probes z (+-1
 *  entries): diag[i] = mean over probes of z_i (H z)_i; std_error[i] (when not NULL) = sample
 *  standard deviation (divisor samples - 1) / sqrt(samples), and +inf when samples == 1.
 *  Probes are reproducible: SplitMix64 seeded with `seed` (state += 0x9E3779B97F4A7C15, then the
 *  standard output mix); the signs of one probe are the bits of successive outputs, bit b of an
 *  output giving coordinate 64*q + b (q-th output of that probe); a set bit means -1.
 *  ctx is passed to hvp unchanged (may be NULL).
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for NULL hvp or diag, dim < 1, samples < 1, an
 *  overflowing size, or when hvp returns nonzero (the message gives the callback's return value
 *  and the sample index; the remaining samples are not run); PLUMB_ERR_DOMAIN when hvp writes a
 *  NaN or infinite value; PLUMB_ERR_NO_MEMORY when the 3*dim doubles of work space cannot be
 *  allocated. On any failure after the argument checks, diag and std_error are filled with NaN. */
plumb_status plumb_hutchinson_diag(plumb_hvp_fn hvp, void *ctx, int64_t dim, int32_t samples, uint64_t seed,
                                   double *diag, double *std_error);

/*! plumb_exact_least_squares_hessian() :
 *  The exact Hessian of the least-squares loss ||X w - y||^2 / (2n): h_out = X^T X / n, every
 *  entry correctly rounded (sums formed exactly in GMP rationals, one rounding; see "Exact
 *  references"). x: n*dim values (n samples, row-major); h_out: dim*dim values (symmetric), must not
 *  alias x. Cost O(n dim^2) rational operations: meant for small problems.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for NULL pointers, n < 1, dim < 1 or overflowing sizes;
 *  PLUMB_ERR_DOMAIN when x has a NaN or infinite entry (the message names the first such row of x;
 *  h_out is filled with NaN); PLUMB_ERR_NO_MEMORY when the n*dim rationals cannot be allocated;
 *  PLUMB_ERR_PRECISION as described above. */
plumb_status plumb_exact_least_squares_hessian(const double *x, int64_t n, int64_t dim, double *h_out);

#if defined(__cplusplus)
}
#endif

#endif /* PLUMB_H */
