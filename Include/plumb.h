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
 *    output; the library allocates only inside opaque handles and for a call's scratch memory
 *    (freed before it returns, except for one block of at most 8 MB that the spectral functions
 *    keep for the next call: a training loop's calls then find their pages already mapped).
 *  - Every function returns a plumb_status (or is a pure getter). It never traps, whatever the
 *    arguments: NULL pointers, negative sizes, sizes whose byte counts overflow, NaN parameters all
 *    give a status, and plumb_last_error() then describes the problem. Scratch the machine cannot
 *    provide is PLUMB_ERR_NO_MEMORY (each function says what it has written then); only memory
 *    that runs out during a call, taken by something else meanwhile, can still abort the process.
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
 *  the last call on this thread that returns a plumb_status succeeded (the void functions and the
 *  getters, which cannot fail, leave it as it is). The string stays valid until the next plumb call
 *  on this thread. Never NULL. */
const char *plumb_last_error(void);

/*======  Threads  ======*/

/*! plumb_set_num_threads() :
 *  Bounds the number of threads a single plumb call may use (process-wide).
 *  n <= 0 selects all online cores (the default). Results do not depend on the thread count.
 *  Threads: a call runs its parallel work on the calling thread and on worker threads that plumb
 *  keeps (created at the first parallel call, at most one fewer than the online cores). After
 *  each call a worker spins for up to 0.3 ms waiting for the next one, then sleeps: back-to-back
 *  calls (the spectral search makes a pass every ~0.1 ms) do not wait for threads to wake. While
 *  one call uses the workers, concurrent calls from other threads run on the system's
 *  libdispatch threads instead. A fork() child starts again without workers. The workers live
 *  until the process ends: the library must not be unloaded (dlclose) while they exist.
 *  Instruction sets: on x86-64 CPUs with AVX2 the float32 contrastive kernels, the smooth top-k
 *  methods and the spectral passes run a build of the same code for that instruction set, and
 *  on CPUs with AVX-512 (F, CD, BW, DQ, VL) a build for AVX-512, chosen at the first call;
 *  PLUMB_BASELINE=avx2 in the environment allows no build wider than AVX2, PLUMB_BASELINE=1
 *  selects the baseline build. The results are bitwise the same in every build, except that the
 *  float32 contrastive kernels' exponential uses fused multiply-adds in the AVX2 and AVX-512
 *  builds: a float32 result may then differ from the baseline's in its last bit (rarely: none in
 *  17M gradient entries measured), every build within the stated bounds. */
void plumb_set_num_threads(int32_t n);

/*! plumb_get_num_threads() :
 *  @return the bound in effect, >= 1: the n last given to plumb_set_num_threads(), or the online
 *  cores when that was <= 0 (the default). A call runs on at most this many threads, and never on
 *  more than the online cores (a larger bound is kept as given, not lowered). */
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

/*======  Contrastive losses  ======*/

/* InfoNCE and FlatNCE over a batch of rows (MATH.md section 1). Row r of `scores` (rows x cols,
 * row-major) holds one anchor's scores s_0..s_{cols-1}; positive[r] = t is the column of its
 * positive, the other columns are negatives. With tau = temperature, d_i = (s_i - s_t) / tau and
 * xi = sum_{i != t} exp(d_i):
 *   InfoNCE  loss = log(1 + xi)       grad_i = exp(d_i) / ((1 + xi) tau) (i != t),
 *                                     grad_t = -xi / ((1 + xi) tau)
 *   FlatNCE  loss = log(xi)           grad_i = exp(d_i) / (xi tau)       (i != t),
 *                                     grad_t = -1 / tau
 * (the gradients are with respect to the scores s, hence the 1/tau). FlatNCE's loss can be
 * negative; its gradient is InfoNCE's divided by xi / (1 + xi), so it keeps its size when the
 * positive dominates and InfoNCE's gradient vanishes.
 *
 * Evaluation: from score differences with the largest of s_t and the negatives as reference, so
 * no exp overflows and no nearly equal numbers are subtracted at any gap; InfoNCE's loss is the
 * log1p form and grad_t is computed directly (never as softmax_t - 1). The f32 functions compute
 * in float64 internally. Accuracy against plumb_exact_infonce / plumb_exact_flatnce, for
 * |s / tau| <= 1e4 and cols <= 1000, at any gap and any temperature (subnormal included; a
 * gradient beyond binary64's range is +-inf): f32 loss and gradient within 1 ULP (tested;
 * FlatNCE's f32 loss in relative terms except where log(xi) is within 2^-20 of 0 by cancellation
 * between several negatives); f64 InfoNCE loss and gradient within 4 ULP; f64 FlatNCE loss within
 * 4 ULP of max(|loss|, 1), gradient within 4 ULP. "Within 1 ULP" is faithful rounding, and past the
 * largest finite value the next value up is infinity: at temperatures below ~2^-127, where
 * gradients reach FLT_MAX, one whose exact value lies within ~2^-27 (relative) of FLT_MAX + ulp/2
 * may come out +-inf although it rounds to +-FLT_MAX, or the reverse (plumb_compare counts that as
 * a special-value mismatch, not in ULPs). The f64 gradients can do the same near DBL_MAX, within
 * their 4-ULP budget (not measured).
 *
 * Arguments (all four functions, and the exact references below):
 *  - rows >= 0, cols >= 2; scores: rows*cols values. Negative scores may be -inf (masked: they
 *    contribute 0 to xi and get gradient 0). The positive score must be finite.
 *  - positive: rows int64 values, each in [0, cols) or -1 to ignore the row (loss 0, gradient row
 *    all 0; its scores are not read, so they may hold anything). Any other value is
 *    PLUMB_ERR_ARGUMENT (nothing is written).
 *  - temperature: finite and > 0.
 *  - loss: rows values (out). grad: rows*cols values (out), or NULL to skip the gradient.
 *    Outputs must not alias `scores` or `positive`, nor each other. The f32 functions write a
 *    gradient of 32 MiB or more with non-temporal (streaming) stores, fenced before they return:
 *    it then ends in memory, not in the caches (which it would not fit), same values.
 *  - Every negative masked (xi = 0): InfoNCE gives loss 0 and gradient 0; FlatNCE gives loss
 *    -inf (log 0), gradient 0 for the negatives and -1/tau at t, with status PLUMB_OK.
 * @return PLUMB_OK; PLUMB_ERR_ARGUMENT for a NULL scores/positive/loss, rows < 0, cols < 2, an
 *  overflowing size, a bad positive[r], or a temperature that is NaN, infinite or <= 0;
 *  PLUMB_ERR_DOMAIN when a row contains NaN or +inf, or its positive score is -inf (that row's loss
 *  and gradient are NaN; the first such row is named; other rows are computed);
 *  PLUMB_ERR_NO_MEMORY when the f32 functions cannot allocate their per-thread scratch rows
 *  (2 * cols doubles per thread; the affected rows are NaN). */

/*! plumb_infonce_f32(), plumb_infonce_f64() :
 *  InfoNCE (softmax cross-entropy) loss per row and, when grad != NULL, its gradient with respect
 *  to the scores. See the section comment for shapes, accuracy and errors. */
plumb_status plumb_infonce_f32(const float *scores, int64_t rows, int64_t cols, const int64_t *positive,
                               float temperature, float *loss, float *grad);
plumb_status plumb_infonce_f64(const double *scores, int64_t rows, int64_t cols, const int64_t *positive,
                               double temperature, double *loss, double *grad);

/*! plumb_flatnce_f32(), plumb_flatnce_f64() :
 *  FlatNCE loss log(xi) per row and, when grad != NULL, its gradient with respect to the scores.
 *  See the section comment for shapes, accuracy, the all-masked row, and errors. */
plumb_status plumb_flatnce_f32(const float *scores, int64_t rows, int64_t cols, const int64_t *positive,
                               float temperature, float *loss, float *grad);
plumb_status plumb_flatnce_f64(const double *scores, int64_t rows, int64_t cols, const int64_t *positive,
                               double temperature, double *loss, double *grad);

/*! plumb_exact_infonce(), plumb_exact_flatnce() :
 *  Exact references of the two losses: loss and gradient of each row correctly rounded to binary64
 *  (the temperature is taken as the exact double it is). Same arguments, special cases and
 *  statuses as the float kernels above, plus PLUMB_ERR_PRECISION when a row cannot be certified
 *  within the precision cap (its outputs are NaN). grad may be NULL. Costs O(cols) MPFR
 *  operations per row at 64-128 bits: meant for test-sized inputs. */
plumb_status plumb_exact_infonce(const double *scores, int64_t rows, int64_t cols, const int64_t *positive,
                                 double temperature, double *loss, double *grad);
plumb_status plumb_exact_flatnce(const double *scores, int64_t rows, int64_t cols, const int64_t *positive,
                                 double temperature, double *loss, double *grad);

/*! plumb_contrastive_kind : which loss plumb_contrastive_embeddings_* applies to each row. */
typedef enum plumb_contrastive_kind {
  PLUMB_CONTRASTIVE_INFONCE = 0, /* log(1 + xi) */
  PLUMB_CONTRASTIVE_FLATNCE = 1  /* log(xi) */
} plumb_contrastive_kind;

/*! plumb_contrastive_embeddings_f32(), plumb_contrastive_embeddings_f64() :
 *  Embedding-level contrastive loss (SimCLR / NT-Xent style) and its gradients back to both
 *  embedding matrices.
 *  a, b: n x dim each (row i of a and row i of b are a positive pair). With normalize != 0 every
 *  row is first divided by its L2 norm (a_i = A_i / ||A_i||, likewise b). Scores S = a b^T (n x n),
 *  positive of row i = column i, and
 *    *loss = mean_i L_i(S)                          (symmetric == 0)
 *    *loss = (mean_i L_i(S) + mean_i L_i(S^T)) / 2  (symmetric != 0)
 *  where L_i is the InfoNCE or FlatNCE loss of row i at `temperature` (see the section comment;
 *  the score matrix is divided by tau there). grad_a, grad_b (n x dim each, either may be NULL)
 *  receive d(*loss)/dA and d(*loss)/dB, through the normalisation when it is on.
 *  Computed in float64 throughout (f32 inputs are widened, outputs rounded once); the row losses
 *  use the float64 kernel. Any finite scale works: row norms are taken as 2^e r (rows of norm
 *  beyond DBL_MAX or subnormal normalise accurately), a score whose dot product overflows on the
 *  way is recomputed from power-of-two-scaled rows, the gradient products run on power-of-two-
 *  scaled factors, and below temperature 2^-960 the score gradients (~1/tau) are carried with a
 *  separate exponent (and scores whose products may leave the normal range are formed from
 *  power-of-two-scaled rows, rounded once); score gradients that are all below 2^-960 (every
 *  weight near exp(-740)) are recomputed 2^k larger the same way, so that 1 / ||A|| = 1e300 can
 *  bring them back to normal numbers with their bits. So a gradient is +-inf only when its value
 *  exceeds binary64 and 0 only when it is 0, below the subnormals, or made of score gradients
 *  that are (an exp(-800) weight times 1 / ||A|| = 1e300 stays 0). Scores have the usual
 *  dot-product accuracy, relative to sum_k |a_ik b_jk|. A row loss beyond binary64 (a score gap
 *  over ~1e308 temperatures) enters the mean from its parts, both directions' rows in one sum, so
 *  *loss is +-inf only when the mean itself exceeds binary64 (or a row's share of it exceeds
 *  2^1088). Cost O(n^2 dim) time; work space 4 n dim + 2 n^2
 *  doubles (7 n dim + 4 n^2 with gradients), allocated per call.
 *  Aliasing: outputs must not alias inputs or each other.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for a NULL a/b/loss, n < 2, dim < 1, an overflowing size,
 *  an unknown kind, or a temperature that is NaN, infinite or <= 0; PLUMB_ERR_DOMAIN when an
 *  embedding entry is NaN or infinite, (normalize != 0) a row is all zeros (tiny rows are fine:
 *  the norm is computed scaled), (normalize == 0) a score a_i . b_j exceeds binary64 (the
 *  message names i and j), row losses whose shares of the mean exceed 2^1088 with opposite signs
 *  (FlatNCE at a temperature near 1e-320 with scores near 1e308), or a gradient entry
 *  is undefined (inf - inf: only at subnormal temperatures with scores beyond ~1e273): the
 *  loss couples all rows, so *loss and both gradients are then all NaN and the message names the
 *  row;
 *  PLUMB_ERR_NO_MEMORY when the work space cannot be allocated (outputs NaN). */
plumb_status plumb_contrastive_embeddings_f32(plumb_contrastive_kind kind, const float *a, const float *b,
                                              int64_t n, int64_t dim, int32_t normalize, int32_t symmetric,
                                              float temperature, float *loss, float *grad_a, float *grad_b);
plumb_status plumb_contrastive_embeddings_f64(plumb_contrastive_kind kind, const double *a, const double *b,
                                              int64_t n, int64_t dim, int32_t normalize, int32_t symmetric,
                                              double temperature, double *loss, double *grad_a, double *grad_b);

/*======  Smooth top-k  ======*/

/* Smooth top-k maps each row x of n scores to ST_k(x / temperature), a vector in [0, 1]^n that sums
 * to k, is monotone in x, is invariant to adding a constant to the row, and tends to the multi-hot
 * vector of the k largest entries as temperature -> 0. Four constructions (see MATH.md section 2):
 *   PLUMB_TOPK_GRADIENT  grad of log e_k(exp z): ST_i = a_i e_{k-1}(a without i) / e_k(a),
 *                        a = exp(z); computed with a positive-terms dynamic programme with per-entry
 *                        binary exponents, O(n k) time and O(n k) workspace per row; finite and
 *                        accurate at any input spread (in a row spread over more than 1e12, gaps
 *                        wider than 3200 + n between sorted entries are first narrowed to that
 *                        width, which changes no output). k = 1 gives softmax.
 *   PLUMB_TOPK_EXP_CLIP  threshold, ST_i = min(1, exp(z_i - lambda)); selection of the k largest,
 *                        closed form. k = 1 gives softmax.
 *   PLUMB_TOPK_SIGMOID   threshold, ST_i = sigmoid(z_i - lambda); lambda by safeguarded Newton to
 *                        full binary64 precision.
 *   PLUMB_TOPK_LAPLACE   threshold, ST_i = F(z_i - lambda), F the Laplace CDF (C^1); sort, closed
 *                        form. k = 1 equals softmax only while the top softmax weight is <= 1/2.
 * where z = x / temperature and lambda solves sum_i ST_i = k. k = n gives all ones (any method).
 * All kernels compute in binary64 internally, also for float data. Every method measures items
 * from a data value of the row, (x_i - x_ref) / temperature with the difference taken first, so the
 * outputs are shift invariant and equally accurate at any offset (1e6 + O(1), 1e300) and any
 * temperature: where (x_i - x_j) / temperature exceeds binary64's range (a spread of 3e308, a
 * subnormal temperature) the result is its limit, the hard top-k with tied entries sharing equally.
 * A row of equal values gives k / n (correctly rounded) for every method. Accuracy against
 * plumb_exact_soft_topk, n up to 1000, rows N(0, s^2), s = 0.1..1000: float32 within 0.5 ULP for every
 * method; float64 exp-clip <= 8 ULP, gradient <= 23 ULP at n = 300 and <= 110 at n = 1000 (28 at
 * k = n/2, 54 at k = 3, 110 at k = n - 1: the programme's rounding accumulates along n and k; both
 * grow with n, not with s);
 * sigmoid and Laplace <= 25 ULP for s <= 1 and about s ULPs beyond (95 / 1140 / 1720 at s = 10 /
 * 100 / 1000: the rounding of (x_i - x_ref) / temperature, up to ~745 for an output still above
 * binary64's underflow, reaches the output through f'/f). */
typedef enum plumb_topk_method {
  PLUMB_TOPK_GRADIENT = 0, /* grad of log e_k(exp x) */
  PLUMB_TOPK_EXP_CLIP = 1, /* threshold, f = min(1, e^x) */
  PLUMB_TOPK_SIGMOID = 2,  /* threshold, f = sigmoid */
  PLUMB_TOPK_LAPLACE = 3   /* threshold, f = Laplace CDF (C^1) */
} plumb_topk_method;

/*! plumb_soft_topk_f32(), plumb_soft_topk_f64() :
 *  out[r*n + i] = ST_k(x[r, :] / temperature)_i for each of `rows` rows.
 *  x, out: rows*n values (row-major); out may alias x exactly (in place) but must not partially
 *  overlap it. rows >= 0 (0 does nothing), n >= 1, 1 <= k <= n, temperature finite and > 0.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for an unknown method, NULL pointers, rows < 0, n < 1,
 *  k out of [1, n], a bad temperature or an overflowing size; PLUMB_ERR_DOMAIN when a row contains
 *  NaN or an infinity (that row's out is NaN; other rows are computed; the message names the first
 *  such row); PLUMB_ERR_NO_MEMORY when the threads' row workspaces (32 n binary64 values each,
 *  every method) cannot be allocated (checked first: nothing is written then), or when the
 *  gradient method's n x k table (n x (k + 1) for the VJP; one per worker thread, 24 bytes an
 *  entry) cannot (the rows not computed are NaN). */
plumb_status plumb_soft_topk_f32(plumb_topk_method method, const float *x, int64_t rows, int64_t n,
                                 int64_t k, float temperature, float *out);
plumb_status plumb_soft_topk_f64(plumb_topk_method method, const double *x, int64_t rows, int64_t n,
                                 int64_t k, double temperature, double *out);

/*! plumb_soft_topk_vjp_f32(), plumb_soft_topk_vjp_f64() :
 *  grad_x[r, :] = J_r^T grad_out[r, :], J_r the Jacobian of plumb_soft_topk_* at x[r, :] (same
 *  method, k, temperature), i.e. the backward pass. Gradient method: J is the covariance of the
 *  subset indicator divided by temperature (symmetric), computed in O(n k) by forward-mode
 *  differentiation of the programme. Threshold methods: implicit function theorem,
 *  J^T g = (f' g - f' (f' . g) / sum f') / temperature, f'_i = f'(z_i - lambda). At the kink of
 *  exp-clip (z_i == lambda exactly, decided from unrounded quantities, not from an output that
 *  rounds to 1) the clipped side (f' = 0) is used. k = n gives zeros. The division by temperature
 *  comes last (finite results for a subnormal temperature). An entry whose output rounds to 1 keeps
 *  its relative accuracy for the threshold methods. The gradient method forms entry i as
 *  p_i q_i (E[X | i in S] - E[X | i not in S]), X = sum_{j in S} g_j, with q_i = P(i not in S)
 *  taken from the programme (not as 1 - p_i): entries
 *  near 0 or 1 keep their scale, small temperatures reach the limit (0, where the former
 *  p_i (g_i + R_i - mu) gave 1e306 at tau = 5e-324), and p_i q_i is kept with its own exponent
 *  until 1 / tau and grad_out's scale are applied. The difference of the two conditional means
 *  carries an absolute error of about 2^-53 max_j |g_j|, so an entry that only rare subsets drive
 *  may come out 0 (x = [40, 0, 0.5], k = 2, g = [1, 0, 0]: 0 where the true value is -1.6e-18); and
 *  it scales each row of grad_out to the binade of its largest entry, so entries more than 2^1022
 *  below that lose bits. The threshold methods take grad_out as given.
 *  x, grad_out, grad_x: rows*n values; grad_x may alias grad_out exactly, must not alias x.
 *  @return as plumb_soft_topk_f32 (grad_out is not checked: a NaN in it propagates, and an
 *  infinity gives infinities and NaN (inf - inf) in its row). */
plumb_status plumb_soft_topk_vjp_f32(plumb_topk_method method, const float *x, int64_t rows, int64_t n,
                                     int64_t k, float temperature, const float *grad_out, float *grad_x);
plumb_status plumb_soft_topk_vjp_f64(plumb_topk_method method, const double *x, int64_t rows, int64_t n,
                                     int64_t k, double temperature, const double *grad_out,
                                     double *grad_x);

/*! plumb_exact_soft_topk() :
 *  The correctly rounded binary64 value of ST_k(x[r, :] / temperature) (see above) for each row,
 *  evaluated with MPFR intervals and Ziv's strategy (see "Exact references"). Arguments and
 *  statuses as plumb_soft_topk_f64, plus PLUMB_ERR_PRECISION (also for rows it cannot certify at
 *  extreme temperatures, e.g. a subnormal tau with sigmoid or Laplace, or, for the gradient, sigmoid
 *  and Laplace methods, where some |x_i - x_j| / tau exceeds ~3e18 and its exp leaves MPFR's
 *  exponent range, as for [1e300, -1e300] at tau = 1); out must not alias x. Slow: O(n k)
 *  MPFR interval operations per row and Ziv step (O(n^2) for Laplace); meant for n up to a few hundred.
 *  n * k above 2^22 gives PLUMB_ERR_ARGUMENT (a test-size reference). */
plumb_status plumb_exact_soft_topk(plumb_topk_method method, const double *x, int64_t rows, int64_t n,
                                   int64_t k, double temperature, double *out);

/*======  Spectral norm  ======*/

/* The top singular triplet (sigma_1, u_1, v_1) of a dense row-major rows x cols matrix W, the
 * gradients of ||W||_2 (u_1 v_1^T) and of (1/2)||W||_2^2 (sigma_1 u_1 v_1^T = W v_1 v_1^T), and spectral
 * weight decay W <- W - c W v_1 v_1^T (MATH.md section 3).
 *
 * Method: thick-restart block Lanczos on W^T W with blocks of two vectors (the caller's v and an
 * independent pseudo-random vector; a single vector cannot see a repeated or nearly repeated
 * sigma_1), full reorthogonalisation, a basis of at most 32 vectors (all of R^cols for cols <= 32;
 * else 16 for W of fewer than 2^18 entries, 24 below 2^20: on small W the projected eigenproblem of
 * each step costs more than the pass, so a smaller basis and a few passes more take less time),
 * restarts keeping 6 Ritz vectors. One "pass" (= one iteration counted in `max_iters` and
 * `info->iterations`) reads W once and computes W^T (W x) for both vectors row by row. A WIDE W
 * (2 <= rows <= cols / 4, and rows <= 48 where the search would use float32 arithmetic, see below,
 * rows <= 128 otherwise, any rows for the transposed copy below; not a float64 W of extreme scale)
 * is searched on W W^T instead, with
 * vectors of `rows` values: the search's own work per pass grows with the vectors' length and would
 * outweigh the pass (cold 16 x 16384: 2.2 ms instead of 5.9 in float32, 1.4 instead of 5.6 in
 * float64). There a pass computes W (W^T x) for both vectors in binary64 (two reads of W, which a W
 * this small mostly keeps in cache); a float32 W of at least 32 rows and 2048 columns and at most
 * 2^22 entries is instead copied transposed (a temporary of at most 16 MB, freed before the call
 * returns; without it when that allocation fails) and each pass is the tall pass over the copy (one
 * read, float32 arithmetic where its column norms allow it: cold 64 x 8192 7.2 ms instead of 18.8,
 * 256 x 16384 48 instead of 66). Its basis holds at least 24 vectors (all of R^rows for
 * rows <= 32); the products that take v (and v2) to the search and its Ritz vectors back (W v, then
 * W^T u) count as one pass more; everything below (verification, certificate, warm starts) is the
 * same. The search makes at least six passes (a 12-vector basis; fewer only when cols < 12; for a
 * wide W ten, a 20-vector basis, or rows / 2 when rows < 20, which fill R^rows), so that nearly
 * tied top pairs are told apart: a Krylov space that closes earlier (rank-deficient W, or a
 * caller's pair inside an invariant subspace) is extended by pseudo-random directions, one vector
 * per pass. Cut short by max_iters before its basis holds min(cols, 12) vectors (min(rows, 20) for
 * a wide W), the search claims no gap (gap_ratio NaN, angle_bound +inf); cut short later, it
 * certifies whatever gap its basis shows by then. Accumulation is binary64, except that float32
 * matrices with tol >= 2^-20 (the default 1e-6 qualifies) search in float32 arithmetic with
 * binary64 partial sums (relative error ~1e-7; if the verification below does not confirm tol, the
 * search goes on in binary64). Rows (a wide W's columns) are split into blocks fixed by the shape
 * alone, so results are bitwise identical for any plumb_set_num_threads() and for the AVX-512, AVX2
 * and baseline builds.
 * The last pass always VERIFIES the returned (format-rounded) v in binary64: sigma = ||W v|| / ||v||,
 * u = W v / ||W v||, and the certificate below is computed from it.
 *
 * Warm start: `v` (cols values) is read as the start vector and overwritten with the estimate of
 * v_1 (unit norm up to the format's rounding). An all-zero v selects a fixed pseudo-random start.
 * Keeping v between training steps makes the next call converge in fewer passes (never fewer than
 * the six search passes plus the verification; for a wide W, ten plus two); keeping the second
 * vector too (the _pair functions below) saves about a fifth of the passes v alone needs
 * (2048 x 2048 float32 after a 1e-3 relative change: cold 55, from v 34, from v and v2 27). A start
 * that is already converged meets tol at once, before the gap below sigma_1 is resolved; the search
 * then makes at least 12 passes (see "Warm starts and a singular value that overtakes" below) and
 * goes on, at most 24 passes beyond those, until the gap shows (measured on unchanged Gaussian W
 * from 40 x 30 to 500 x 500, float32 and float64, restarted from their converged v: every restart
 * showed the gap, after 13 to 25 passes). A truly repeated sigma_1 never shows a gap and pays all
 * of them (37 passes with the verification). Such a start cut short by max_iters (below 12) meets
 * tol, so it returns converged = 1 and PLUMB_OK with the certificate its basis shows by then: with
 * max_iters <= 6 (a basis of fewer than 12 vectors) no gap, so residual raised to ||W||_F - sigma
 * and angle_bound +inf (see the certificate below); with 7 to 11 the gap that basis shows, without
 * the 12-pass guard against a singular value that overtook v's (see below).
 *
 * Stopping: relative residual rho / sigma^2 <= tol, with rho = ||W^T W v - sigma^2 v||, or max_iters
 * passes. Useful tolerances: about 1e-6 for float32 (float32 rounding of v limits it near 1e-7) and
 * 1e-12 for float64. tol = 0 runs all max_iters passes, unless the Krylov space fills all of
 * R^cols (R^rows for a wide W) first (cols at most the basis size above, or a W of low rank), which
 * ends the search earlier.
 *
 * Certificate (plumb_spectral_info):
 *  - residual = rho / sigma = ||W^T u - sigma v|| plus a binary64 rounding allowance (the pair's
 *    other residual, ||W v - sigma u||, is 0 by construction of u). Some singular value of W lies
 *    within `residual` of `sigma`, and sigma <= sigma_1 up to the rounding of its binary64 evaluation
 *    (||W v|| / ||v||, relative error up to ~(rows + cols) 2^-53; against the exact sigma_1 in
 *    2444 float64 runs: 1 ULP above in 16% of them, 2-5 ULPs above in 27 (1%), on wide shapes such
 *    as 8 x 5000; the residual's rounding allowance covers this). It bounds |sigma - sigma_1|
 *    unless the start vectors were (numerically) orthogonal to v_1 (no Krylov method can detect
 *    that; the default start never is, and a search whose space closes goes on from pseudo-random
 *    directions).
 *    Unless the gap estimate shows sigma_1 separated from the rest (as angle_bound below
 *    requires), sigma_1 need not be the nearest singular value, so residual
 *    is raised to at least ||W||_F - sigma, using the proven sigma <= sigma_1 <= ||W||_F.
 *  - gap_ratio: estimate of sigma_2/sigma_1 from the second Ritz value plus twice its residual (1,
 *    no gap, while that residual is not well inside the gap). It is an estimate, not a proof (at a
 *    loose tol such as 1e-3 the search may stop before a nearly tied partner of sigma_1 is
 *    resolved); NaN when max_iters stopped the search before its basis held min(cols, 12) vectors;
 *    0 when cols = 1 (there is no sigma_2).
 *  - angle_bound: asin(rho / (sigma^2 - sigma_2_est^2)) (Davis-Kahan) in radians, a bound on the angle
 *    between v and v_1 and also between u and u_1; +inf unless the estimated gap
 *    sigma^2 - sigma_2_est^2 exceeds 32 max(rho, tol sigma^2): the search resolves the spectrum
 *    near sigma only about that finely, and a smaller gap may hide a nearly tied partner. The
 *    gradient u v^T then has Frobenius error <= 2 * angle_bound (plus rounding to the format).
 *    Stress runs of nearly tied top pairs (gaps 1e-9..0.3) over clustered spectra, float32, shapes
 *    up to 120: the angle was understated in 4 of 1600 runs at the default tol, 2 of 1600 at 1e-3;
 *    on near ties inside dense clusters (22 values within 1e-1 of sigma_1), 0 of 200. float64 is
 *    not immune: a 15 x 83 W with a 2.7e-6 relative gap at tol = 1e-5 claimed a gap and an angle
 *    bound of 1e-3 against a true angle of 0.19 rad (1 of 1600 near-tie runs). A second stress
 *    hunt (near ties 1e-9..1e-2, shapes up to 300, ~4000 runs): float32 at the default tol 1 of
 *    117 cold runs; float64 at the default tol 2 of ~450, both restarts from an earlier call's v
 *    without v2 (relative gaps 1.7e-8 and 2.7e-8; true angles 6e-9 and 5e-9 against bounds 3.5e-11
 *    and 1.8e-10); a start v that mixes v_1 and its near-tied partner, at tol 1e-3 or 1e-4 with
 *    v2 = v_3 as the partner: 10 of 40 float32 and 3 of 40 float64 runs. In every understated run
 *    the second Ritz value had settled on sigma_3 (gap_ratio reported sigma_3 / sigma_1).
 *    The search on W W^T of a wide W (an audit, 2026-12-02: ~170,000 calls, rows 2..128, cols to
 *    5000, both formats, cold, warm, training loops, jumps and crossings of blocks): cold sweeps
 *    with gaps above 1e-8 none; near ties with gaps 1e-9..1e-6, 8000 calls, 2 (the W^T W search
 *    on the same matrices 5); one 25 x 198 float32 W whose 25 singular values all lie within 1%
 *    of sigma_1, gap 1e-7, default tol: angle_bound 4e-4 against a true angle of 0.49 rad (the
 *    W^T W search found it in 50 passes); a warm start after another block jumped 10% above
 *    sigma_1, tol 1e-3, relative gap 5.9e-3 below the new top: angle_bound 5.5e-3 against 1.3e-2
 *    (4 of 3488 jump calls; since the wide search's 20-vector minimum basis, that case reports
 *    +inf). Training loops: none of 18,700 calls.
 *  - Warm starts and a singular value that overtakes: a warm v that is (nearly) an exact singular
 *    vector meets tol in the first passes. If another singular value has overtaken v's since v was
 *    computed (W changed abruptly, or the top moved to a direction that v and v2 do not cover),
 *    only the pseudo-random part of the start reaches the new v_1, and a search that stops early
 *    returns the old value with the residual and angle_bound of a converged pair (while the angle
 *    to v_1 is ~pi/2). So a search whose top pair met tol within two passes makes at least 12
 *    (unless its Krylov space fills R^cols first): a converged warm start costs ~13 passes, not 7,
 *    still fewer than a cold start. Measured (warm-start hunts, shapes to 200): one-step jumps of
 *    a 1 x 1 or 20 x 20 block to 1e-4..1e-1 above an 80 x 60 block: the old value was returned in
 *    8 of 800 calls, all at jumps of 1e-4..1e-3 (233 with the earlier minimum of 6 passes; a
 *    16-pass minimum gave 2, but no saving over a cold start for small W); from 0.9 to 1.001 over
 *    a Gaussian 80 x 60 block of norm 1 (so within 1e-3 of its top values), 40 seeds, plain and
 *    pair: 5 of 80 float32 and 7 of 80 float64 calls (116 of the 160 with 6 passes); an interior singular
 *    value of a dense W raised to (1 + g) sigma_1, g = 1e-4..1e-2: float32 0 of 972 calls,
 *    float64 7 of 486 with v2 and 12 of 486 from v alone; slow loops in which
 *    a block's top value crosses another's, 0 of 800; gradual drift, decay loops, abrupt new
 *    matrices, shape and scale changes: 0-1 of ~1500 each. Cold starts (v = 0) did not fail.
 *    After an abrupt change of W, start cold.
 *  - Repeated or unresolved top singular values (sigma_1 = sigma_2): the gradient is not unique;
 *    the functions return the best estimate with gap_ratio ~ 1 and angle_bound = +inf.
 *  - iterations: passes over W; converged: 1 when tol was met.
 *
 * Zero matrix: sigma = 0, u = 0, v = a unit vector (the start direction; v2, for the _pair
 * functions, its partner), residual 0, gap_ratio 1, angle_bound +inf; the unsquared gradient is
 * undefined (PLUMB_ERR_DOMAIN, grad NaN; v and v2 are still written). A float64 W whose entries
 * all lie near the subnormal floor (below ~1e-300) may likewise give sigma 0.
 *
 * Common arguments and errors: rows >= 1, cols >= 1; max_iters >= 1; tol >= 0 and not NaN;
 * `info` may be NULL. PLUMB_ERR_ARGUMENT for NULL pointers, bad sizes or overflowing rows*cols,
 * max_iters <= 0, tol < 0 or NaN, a non-finite entry of v (nothing written then).
 * PLUMB_ERR_NO_MEMORY, before W or v is read and with nothing written, when the scratch cannot be
 * allocated: binary64 vectors, at most ~120 of cols values (the Lanczos basis, its restart copy
 * and the passes' partial sums) and 4 of rows values.
 * PLUMB_ERR_DOMAIN when W holds NaN or inf (naming the first such row; u / grad filled with NaN,
 * v and W unchanged) or when a pass overflows binary64 (float64 only, ||W||_2 sqrt(rows cols) near
 * 1e308; smaller scales are handled by an exact power-of-two rescaling inside the solver, down to
 * max |w_ij| ~ 1e-300, below which a float64 W may stop short of tol with an honest certificate).
 * PLUMB_ERR_NOT_CONVERGED when
 * tol was not met within max_iters passes: all outputs (u, v, grad, the decayed W, *info) are still
 * written with the best estimate and its honest certificate. No pointer may alias another. */
typedef struct plumb_spectral_info {
  double sigma;        /* estimate of sigma_1 */
  double residual;     /* ||W^T u - sigma v||-type residual: bound on |sigma - sigma_1| (see above) */
  double angle_bound;  /* bound on the angle (radians) to the true singular vectors, or +inf */
  double gap_ratio;    /* estimate of sigma_2 / sigma_1 (NaN when unknown) */
  int32_t iterations;  /* passes over W */
  int32_t converged;   /* 1 when tol was met */
} plumb_spectral_info;

/*! plumb_spectral_norm_f32(), plumb_spectral_norm_f64() :
 *  Top singular triplet of W (rows x cols). u: rows values (output, left vector, unit norm).
 *  v: cols values, in = warm start (all zeros = default), out = right vector (unit norm).
 *  *info (if not NULL) receives sigma and the certificate.
 *  @return see the section introduction. */
plumb_status plumb_spectral_norm_f32(const float *w, int64_t rows, int64_t cols, float *u,
                                     float *v, int32_t max_iters, double tol,
                                     plumb_spectral_info *info);
plumb_status plumb_spectral_norm_f64(const double *w, int64_t rows, int64_t cols, double *u,
                                     double *v, int32_t max_iters, double tol,
                                     plumb_spectral_info *info);

/*! plumb_spectral_grad_f32(), plumb_spectral_grad_f64() :
 *  grad (rows*cols, row-major) = u v^T, the gradient of ||W||_2 (squared == 0), or
 *  sigma u v^T = W v v^T, the gradient of (1/2)||W||_2^2 (squared != 0). v as in
 *  plumb_spectral_norm_f32(). A zero W with squared == 0 gives PLUMB_ERR_DOMAIN (grad NaN); with
 *  squared != 0 it gives grad = 0. grad must not alias w.
 *  @return see the section introduction. */
plumb_status plumb_spectral_grad_f32(const float *w, int64_t rows, int64_t cols, int32_t squared,
                                     float *grad, float *v, int32_t max_iters, double tol,
                                     plumb_spectral_info *info);
plumb_status plumb_spectral_grad_f64(const double *w, int64_t rows, int64_t cols, int32_t squared,
                                     double *grad, double *v, int32_t max_iters, double tol,
                                     plumb_spectral_info *info);

/*! plumb_spectral_decay_f32(), plumb_spectral_decay_f64() :
 *  In place spectral weight decay: W <- W - coefficient * W v v^T with v the computed v_1 (so only
 *  sigma_1 shrinks, to (1 - coefficient) sigma_1). The update reuses the W v of the verification
 *  pass: one extra read-and-write pass over W. coefficient must be finite (else
 *  PLUMB_ERR_ARGUMENT). On PLUMB_ERR_NOT_CONVERGED the decay is still applied with the best
 *  estimate; on any other error W is unchanged.
 *  @return see the section introduction. */
plumb_status plumb_spectral_decay_f32(float *w, int64_t rows, int64_t cols, float coefficient,
                                      float *v, int32_t max_iters, double tol,
                                      plumb_spectral_info *info);
plumb_status plumb_spectral_decay_f64(double *w, int64_t rows, int64_t cols, double coefficient,
                                      double *v, int32_t max_iters, double tol,
                                      plumb_spectral_info *info);

/*! plumb_spectral_norm_pair_f32(), plumb_spectral_grad_pair_f32(), plumb_spectral_decay_pair_f32()
 *  and their _f64 twins :
 *  The three functions above with a second warm-start vector `v2` (cols values, in and out), for
 *  training loops that call them at every step. On entry v2 joins the search's pseudo-random
 *  second start vector (their sum, each taken orthogonal to v, starts the search); all zeros (or a
 *  v2 within 1e-8 of v's direction) leaves the pseudo-random vector alone, so an all-zero v2 gives
 *  bitwise the results of the functions above. On return v2 holds the search's
 *  second right Ritz vector (unit norm up to the format's rounding, orthogonal to v: an estimate of
 *  v_2), or is unchanged when no search ran (max_iters = 1) or the search had one vector (cols = 1)
 *  and, like v, on PLUMB_ERR_DOMAIN from a non-finite W (the zero matrix writes both: see above).
 *  Why: after a small change of W the error of the old v lies along the next right singular
 *  vectors, the slowest directions for the search, and v2 approximates the nearest of them.
 *  Measured on 2048 x 2048 float32 Gaussian W (0.35% gap) changed by 1e-3 relative: 27 passes
 *  instead of 34; changed by 1e-4: 17 instead of 30. Why the pseudo-random part stays: v and v2
 *  alone may span (to rounding) an invariant subspace without v_1, e.g. for a block-diagonal W
 *  whose top singular value moves to the other block; their Krylov space never sees v_1 and the
 *  search certifies sigma_2 (v2 alone did in 45 of 800 steps of such training loops, float32 and
 *  float64; the sum in 1, at the step of the crossing, and in 0 with the 12-pass minimum for
 *  converged warm starts described above; v with the pseudo-random vector in 0).
 *  Arguments, outputs and errors otherwise as above; v2 must not be NULL, must
 *  be finite (else PLUMB_ERR_ARGUMENT, nothing written) and must not alias another argument.
 *  @return see the section introduction. */
plumb_status plumb_spectral_norm_pair_f32(const float *w, int64_t rows, int64_t cols, float *u,
                                          float *v, float *v2, int32_t max_iters, double tol,
                                          plumb_spectral_info *info);
plumb_status plumb_spectral_norm_pair_f64(const double *w, int64_t rows, int64_t cols, double *u,
                                          double *v, double *v2, int32_t max_iters, double tol,
                                          plumb_spectral_info *info);
plumb_status plumb_spectral_grad_pair_f32(const float *w, int64_t rows, int64_t cols, int32_t squared,
                                          float *grad, float *v, float *v2, int32_t max_iters, double tol,
                                          plumb_spectral_info *info);
plumb_status plumb_spectral_grad_pair_f64(const double *w, int64_t rows, int64_t cols, int32_t squared,
                                          double *grad, double *v, double *v2, int32_t max_iters,
                                          double tol, plumb_spectral_info *info);
plumb_status plumb_spectral_decay_pair_f32(float *w, int64_t rows, int64_t cols, float coefficient,
                                           float *v, float *v2, int32_t max_iters, double tol,
                                           plumb_spectral_info *info);
plumb_status plumb_spectral_decay_pair_f64(double *w, int64_t rows, int64_t cols, double coefficient,
                                           double *v, double *v2, int32_t max_iters, double tol,
                                           plumb_spectral_info *info);

/*! plumb_exact_spectral_norm() :
 *  sigma_1 = ||W||_2 of the binary64 matrix w (rows x cols), correctly rounded to binary64.
 *  Method: the Gram matrix G (W^T W or W W^T, the smaller) is formed EXACTLY in GMP integers (the
 *  entries are dyadic); a top eigenvector x is refined by MPFR Rayleigh-quotient iteration; the
 *  enclosure of lambda_max(G) is rigorous: the lower end is the exact Rayleigh quotient of x (any
 *  Rayleigh quotient is <= lambda_max), the upper end mu is certified by proving mu I - G positive
 *  definite with exact integer (Bareiss) elimination: all leading principal minors > 0. sigma =
 *  sqrt(lambda_max) with directed rounding, Ziv's loop on the precision, capped at min(cap, 2048)
 *  bits (plumb_exact_set_precision_cap can lower it, not raise it past 2048). Once the enclosure
 *  narrows to two adjacent binary64 values, the side of their midpoint M is decided exactly (mu =
 *  M^2: mu I - G positive definite, sigma_1 < M; positive semidefinite and singular, sigma_1 = M,
 *  rounded to even; otherwise sigma_1 > M), which also settles a sigma_1 within any distance of a
 *  midpoint (e.g. [[a, b, 2^-1074]] with a^2 + b^2 = c^2, c a midpoint). Cost O(n^3) big-integer
 *  operations on integers that grow with n, n = min(rows, cols): intended for n <= 64 (measured:
 *  0.2 s at n = 64, 7 s at 128, 25 s at 200 for Gaussian matrices).
 *  u (rows) and v (cols), each may be NULL, receive the singular vectors to binary64 working
 *  accuracy (not correctly rounded; sign chosen so that the largest |v_j| is positive; zeros for a
 *  zero matrix).
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT (NULL w or sigma, rows < 1, cols < 1, overflow);
 *  PLUMB_ERR_DOMAIN for NaN/inf entries (first row named; *sigma NaN); PLUMB_ERR_PRECISION when
 *  the top eigenvalue cannot be separated within the precision cap (e.g. sigma_1, sigma_2 closer than
 *  about 1e-15 relative but not equal). */
plumb_status plumb_exact_spectral_norm(const double *w, int64_t rows, int64_t cols, double *sigma,
                                       double *u, double *v);

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
 * formula for beta near 1. The moments are the plain binary64 recurrences above (the bits of an
 * optimizer's own update), whose rounding accumulates: measured against the exact recurrences
 * (rationals + 60-digit square roots), the implied RMS/ADAM/BELIEF diagonals were within 5 binary64
 * ulps (worst 4.7) after 300 steps of random gradients, but a constant gradient, whose roundings all
 * lean the same way, stalls v once the update's increment (1 - beta2)(g^2 - v) falls below half an
 * ulp of v: the error then grows to the order of 0.5 / (1 - beta2) ulps. Measured worst over
 * 100000 steps of constant gradients: 5 ulps at beta2 = 0.9, 40 at 0.99, 513 at 0.999 (29 after
 * 300 steps, 186 after 3000), 1802 at 0.9999; a later scan of ~10000 gradient values found up to
 * 6 ulps at 0.9 and 70 at 0.99 (20000 steps), 38 (300 steps) and 258 (3000 steps) at 0.999.
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
 * est_i > 0 (the others have no logarithm and are left out of exponent, scale, log_correlation).
 * "Equal" and "constant" below are tested exactly, on the binary64 logarithms (values so close that
 * their logarithms round alike count as equal). An estimate that overflowed (+inf, see
 * plumb_hess_observe_f64) makes the fields it enters NaN. */
typedef struct plumb_hess_report {
  int64_t steps;            /* gradients observed */
  double exponent;          /* slope p of the least-squares line log est_i = p log|h_i| + c
                               (for RMS, est = sqrt(v_hat)): 1 = long-run Newton picture,
                               0.5 = Gauss-Newton picture. NaN with < 2 usable coordinates or
                               all usable |h_i| equal; exactly 0 when all usable est_i are equal */
  double scale;             /* exp(c), NaN likewise */
  double log_correlation;   /* Pearson correlation of log est_i and log|h_i| (usable coords);
                               NaN when either is constant */
  double relative_error;    /* min over c of ||c*est - |h||| / |||h||| (all coordinates, Euclidean),
                               at c = <est,|h|> / <est,est> (c = 0, giving 1, when est is all 0);
                               NaN when h is all 0 (0/0). Unchanged by rescaling h or est by a power
                               of two (sums formed on rescaled copies: no overflow or underflow) */
  double epsilon_dominated; /* fraction of all coordinates with eps >= the estimator's root
                               (sqrt(v_hat); sqrt(s_hat) for BELIEF; diag sqrtm(C_hat) for FULL):
                               there Adam behaves like plain SGD */
} plumb_hess_report;

/* Fit of the full-matrix estimate A = sqrtm(C_hat) against |H| = sqrtm(H^2) (the matrix absolute
 * value, V |Lambda| V^T, of the symmetric part (H + H^T)/2 of the reference, each entry rounded
 * once, without overflow for any finite H). The Frobenius sums are formed on copies rescaled by
 * powers of two, so they neither overflow nor underflow for references of any finite magnitude. */
typedef struct plumb_hess_matrix_report {
  int64_t steps;           /* gradients observed */
  double scale;            /* least-squares s in A ~ s |H|: <A,|H|>_F / <|H|,|H|>_F. For g = H d
                              with d ~ N(0, s^2 I), A -> s |H| and scale -> s. NaN when |H| = 0 */
  double relative_error;   /* min over c of ||c A - |H|||_F / |||H|||_F, at c = <A,|H|>_F / <A,A>_F
                              (c = 0, giving 1, when A = 0); NaN when |H| = 0 (H zero or
                              antisymmetric: 0/0). Unchanged by rescaling H by a power of two */
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
 *  the thread count. The gradient is first checked for NaN/inf. The moments are binary64 sums of
 *  squares, as in the optimizers themselves: float64 gradient entries beyond about 1.3e154 in
 *  magnitude (the square root of the largest binary64) overflow them (implied diagonals +inf) and,
 *  in full-matrix mode, C (PLUMB_HESS_FULL and plumb_hess_compare_matrix then report
 *  PLUMB_ERR_DOMAIN); below about 1e-150 they lose precision to underflow (measured 5% at 1e-160);
 *  float32 gradients always fit.
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
 *  PLUMB_ERR_DOMAIN for PLUMB_HESS_FULL when the probe's matrix C has overflowed (an observed
 *  gradient entry beyond about 1.3e154; the message says so and names the entry of C; sqrtm(C_hat)
 *  is then undefined; the other estimators give +inf there instead);
 *  PLUMB_ERR_NOT_CONVERGED if the eigensolver fails (not expected on finite input). */
plumb_status plumb_hess_implied_diag(const plumb_hess *h, plumb_hess_estimator e, double lr, double *diag);

/*! plumb_hess_compare() :
 *  Fits the implied diagonal of `e` at lr = 1 (est) against reference_diag (dim values, e.g.
 *  diag H; only |h_i| is used) and fills *out (see plumb_hess_report).
 *  @return PLUMB_OK (also when the log fit is undetermined: those fields are NaN);
 *  PLUMB_ERR_ARGUMENT as for plumb_hess_implied_diag or for NULL reference_diag/out;
 *  PLUMB_ERR_DOMAIN when reference_diag has a NaN or infinite entry (message names it), and for
 *  PLUMB_HESS_FULL as for plumb_hess_implied_diag (overflowed C); PLUMB_ERR_NOT_CONVERGED likewise. */
plumb_status plumb_hess_compare(const plumb_hess *h, plumb_hess_estimator e, const double *reference_diag,
                                plumb_hess_report *out);

/*! plumb_hess_compare_matrix() :
 *  Full-matrix mode only: compares A = sqrtm(C_hat) with |H| for the dense reference Hessian
 *  reference_hessian (dim*dim values, row-major; its symmetric part is used) and fills *out (see
 *  plumb_hess_matrix_report). O(dim^3). |H| comes from an eigendecomposition, whose absolute error
 *  is ~1e-16 ||H||: diagonal entries of |H| below that (e.g. b <= 1e-16 in [[1,1,0],[1,1,0],[0,0,b]])
 *  come out 0, and the diagonal fit then reports NaN (compare plumb_hess_compare, which takes the
 *  diagonal directly). The same holds for C's eigenvalues in PLUMB_HESS_FULL.
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for a NULL or dead handle, NULL pointers, a probe without
 *  full_matrix, or no gradient observed yet; PLUMB_ERR_DOMAIN for a NaN/inf reference entry
 *  (message names it), or when the probe's matrix C has overflowed (as for plumb_hess_implied_diag);
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
 *  standard deviation (divisor samples - 1) / sqrt(samples), and +inf when samples == 1. Each
 *  coordinate's sum of squared deviations is kept scaled by a power of two chosen from its first
 *  nonzero product, so H of any uniform scale (1e-300..1e300) gives both outputs to rounding, and so
 *  do coordinates of very different scales (each within ~1e+-300 of its first nonzero product).
 *  Probes are reproducible: SplitMix64 seeded with `seed` (state += 0x9E3779B97F4A7C15, then the
 *  standard output mix); the signs of one probe are the bits of successive outputs, bit b of an
 *  output giving coordinate 64*q + b (q-th output of that probe); a set bit means -1.
 *  ctx is passed to hvp unchanged (may be NULL).
 *  @return PLUMB_OK; PLUMB_ERR_ARGUMENT for NULL hvp or diag, dim < 1, samples < 1, an
 *  overflowing size, or when hvp returns nonzero (the message gives the callback's return value
 *  and the 0-based sample index; the remaining samples are not run); PLUMB_ERR_DOMAIN when hvp writes a
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
