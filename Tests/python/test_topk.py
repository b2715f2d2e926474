"""Smooth top-k: accuracy in ULPs against the exact reference, the exact reference against mpmath,
the contract's properties, VJPs against finite differences of the exact reference, statuses."""
import itertools
import math

import mpmath
import numpy as np
import pytest

import plumb

METHODS = ["gradient", "exp_clip", "sigmoid", "laplace"]


def rows(seed, scale, shape):
    return np.random.default_rng(seed).normal(0.0, scale, shape)


def f32_exact(x32, k, method, tau):
    """The exact reference of the float32 call: same inputs and temperature, widened to binary64."""
    return plumb.exact.soft_topk(x32.astype(np.float64), k, method, float(np.float32(tau)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0, 300.0, 1000.0])
@pytest.mark.parametrize("tau", [0.01, 1.0, 50.0])
def test_float32_within_2_ulp_every_scale(method, scale, tau):
    x = rows(int(scale * 7 + tau * 3), scale, (3, 24)).astype(np.float32)
    for k in (1, 2, 7, 12, 23, 24):
        got = plumb.soft_topk(x, k, method, tau)
        stats = plumb.compare(got, f32_exact(x, k, method, tau))
        assert stats["special_mismatches"] == 0
        assert stats["max_ulp"] <= 2.0, (method, scale, tau, k, stats)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [0.1, 1.0, 3.0, 10.0])
def test_float64_within_256_ulp_up_to_scale_10(method, scale):
    x = rows(int(scale * 11) + 5, scale, (3, 24))
    for k in (1, 3, 12, 23):
        got = plumb.soft_topk(x, k, method, 1.0)
        stats = plumb.compare(got, plumb.exact.soft_topk(x, k, method, 1.0))
        assert stats["special_mismatches"] == 0
        assert stats["max_ulp"] <= 256.0, (method, scale, k, stats)


@pytest.mark.parametrize("method", ["gradient", "exp_clip"])
@pytest.mark.parametrize("scale", [0.1, 10.0, 1000.0])
def test_float64_gradient_and_exp_clip_within_32_ulp_at_every_scale(method, scale):
    # Measured (README): gradient <= 23 ULP at n = 300, <= 110 at n = 1000 (k = n - 1), exp-clip <= 8;
    # the error grows with n and k, not with scale.
    x = rows(int(scale * 3) + 31, scale, (2, 120))
    for k in (1, 9, 60, 119):
        stats = plumb.compare(plumb.soft_topk(x, k, method, 1.0), plumb.exact.soft_topk(x, k, method, 1.0))
        assert stats["special_mismatches"] == 0 and stats["max_ulp"] <= 32, (method, scale, k, stats)


def mp_gradient(x, k, tau):
    a = [mpmath.exp(mpmath.mpf(float(v)) / mpmath.mpf(tau)) for v in x]

    def e(vals, j):
        return mpmath.fsum(mpmath.fprod(c) for c in itertools.combinations(vals, j)) if j > 0 else mpmath.mpf(1)
    total = e(a, k)
    return [a[i] * e(a[:i] + a[i + 1:], k - 1) / total for i in range(len(a))]


def mp_threshold(x, k, tau, f):
    z = [mpmath.mpf(float(v)) / mpmath.mpf(tau) for v in x]
    lo, hi = min(z) - 60, max(z) + 60  # sum f(z - lambda) - k is decreasing in lambda: bisect
    for _ in range(mpmath.mp.prec + 20):
        mid = (lo + hi) / 2
        if mpmath.fsum(f(zi - mid) for zi in z) > k:
            lo = mid
        else:
            hi = mid
    lam = (lo + hi) / 2
    return [f(zi - lam) for zi in z]


MP_F = {
    "exp_clip": lambda u: mpmath.mpf(1) if u >= 0 else mpmath.exp(u),
    "sigmoid": lambda u: 1 / (1 + mpmath.exp(-u)),
    "laplace": lambda u: 1 - mpmath.exp(-u) / 2 if u >= 0 else mpmath.exp(u) / 2,
}


@pytest.mark.parametrize("method", METHODS)
def test_exact_reference_matches_mpmath(method):
    mpmath.mp.prec = 400  # > 100 digits
    for seed, scale, k, tau in [(1, 1.0, 2, 1.0), (2, 30.0, 3, 0.5), (3, 0.2, 5, 2.0)]:
        x = rows(seed, scale, 7)
        ref = (mp_gradient(x, k, tau) if method == "gradient" else mp_threshold(x, k, tau, MP_F[method]))
        got = plumb.exact.soft_topk(x, k, method, tau)
        for g, r in zip(got, ref):
            assert g == float(r), (method, seed, g, float(r))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_k1_gradient_and_exp_clip_are_softmax(dtype):
    x = rows(4, 3.0, (4, 9)).astype(dtype)
    soft = plumb.exact.soft_topk(x.astype(np.float64), 1, "gradient")
    # softmax via the exact reference of the gradient method vs an mpmath softmax
    mpmath.mp.prec = 200
    for r in range(4):
        z = [mpmath.mpf(float(v)) for v in x[r]]
        s = mpmath.fsum(mpmath.exp(v) for v in z)
        assert [float(mpmath.exp(v) / s) for v in z] == list(soft[r])
    for method in ("gradient", "exp_clip"):
        assert plumb.compare(plumb.soft_topk(x, 1, method), soft)["max_ulp"] <= (2 if dtype == np.float32 else 256)
        np.testing.assert_array_equal(plumb.exact.soft_topk(x.astype(np.float64), 1, method), soft)


def test_k1_laplace_softmax_only_while_top_weight_at_most_half():
    flat = np.array([0.0, 0.1, -0.2, 0.3])   # top softmax weight < 1/2
    peaked = np.array([3.0, 0.1, -0.2, 0.3])  # top softmax weight > 1/2
    soft_flat = plumb.exact.soft_topk(flat, 1, "gradient")
    soft_peaked = plumb.exact.soft_topk(peaked, 1, "gradient")
    assert soft_flat.max() <= 0.5 and soft_peaked.max() > 0.5
    np.testing.assert_array_equal(plumb.exact.soft_topk(flat, 1, "laplace"), soft_flat)
    assert np.abs(plumb.exact.soft_topk(peaked, 1, "laplace") - soft_peaked).max() > 1e-3


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_n_edge_k_and_ties(method, dtype):
    tol = 2 if dtype == np.float32 else 256
    for n in (1, 2, 3, 6):
        x = rows(n, 2.0, (2, n)).astype(dtype)
        np.testing.assert_array_equal(plumb.soft_topk(x, n, method), np.ones_like(x))  # k = n
        for k in range(1, n):
            got = plumb.soft_topk(x, k, method)
            assert plumb.compare(got, plumb.exact.soft_topk(x.astype(np.float64), k, method))["max_ulp"] <= tol
    ties = np.array([[1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 0.0, 0.0], [0.0, 5.0, 5.0, 5.0]], dtype=dtype)
    for k in (1, 2, 3):
        got = plumb.soft_topk(ties, k, method)
        ex = plumb.exact.soft_topk(ties.astype(np.float64), k, method)
        assert plumb.compare(got, ex)["max_ulp"] <= tol
        np.testing.assert_array_equal(ex[0], np.full(4, k / 4))
        assert ex[1][0] == ex[1][1] and ex[2][1] == ex[2][3]


@pytest.mark.parametrize("method", METHODS)
def test_sum_monotone_shift_invariant_and_large_rows(method):
    x = rows(9, 5.0, (4, 512))
    for k in (1, 32, 256, 511):
        p = plumb.soft_topk(x, k, method, 0.7)
        assert np.all((p >= 0) & (p <= 1))
        assert np.all(np.abs(p.sum(axis=1) - k) <= 1e-11 * k)
        order = np.argsort(x, axis=1)
        assert np.all(np.diff(np.take_along_axis(p, order, axis=1), axis=1) >= -16 * np.finfo(float).eps)  # monotone up to rounding
        shifted = plumb.soft_topk(x + 3.0, k, method, 0.7)  # x + 3 exact at this scale? compare loosely
        assert np.abs(shifted - p).max() <= 1e-12
    # spread-out rows, n = 4096, k = n / 2: finite and summing to k
    flat = np.zeros((1, 4096))  # e_2048 of 4096 ones overflows binary64 by far
    assert np.abs(plumb.soft_topk(flat, 2048, method) - 0.5).max() <= 1e-12
    big = rows(10, 300.0, (2, 4096))
    p = plumb.soft_topk(big, 2048, method, 0.5)
    assert np.all(np.isfinite(p)) and np.all(np.abs(p.sum(axis=1) - 2048) <= 1e-9)


def fd_jacobian_t(x, k, method, tau, g, h=1e-6):
    """J^T g by central differences of the exact reference (its rounding error is <= 2^-53)."""
    out = np.empty_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        out[i] = (plumb.exact.soft_topk(xp, k, method, tau) - plumb.exact.soft_topk(xm, k, method, tau)) @ g / (2 * h)
    return out


@pytest.mark.parametrize("method", METHODS)
def test_vjp_against_finite_differences_of_exact(method):
    x = rows(11, 2.0, 9)
    g = rows(12, 1.0, 9)
    for k, tau in ((1, 1.0), (3, 0.7), (8, 2.0)):
        ref = fd_jacobian_t(x, k, method, tau, g)
        got = plumb.soft_topk_vjp(x, k, g, method, tau)
        # central differences with h = 1e-6 carry O(h^2) + O(eps/h) ~ 1e-10 error
        assert np.linalg.norm(got - ref) <= 1e-8 * max(1.0, np.linalg.norm(ref)), (method, k)
        got32 = plumb.soft_topk_vjp(x.astype(np.float32), k, g.astype(np.float32), method, tau)
        assert np.linalg.norm(got32 - ref) <= 1e-5 * max(1.0, np.linalg.norm(ref)), (method, k)
        # J 1 = 0 (shift invariance) and 1^T J = 0 (sum k)
        assert abs(got.sum()) <= 1e-12 * max(1.0, np.abs(got).sum())
    np.testing.assert_array_equal(plumb.soft_topk_vjp(x, 9, g, method), np.zeros(9))


def test_vjp_gradient_symmetric_and_large_scale():
    x = rows(13, 1.5, 12)
    eye = np.eye(12)
    J = np.array([plumb.soft_topk_vjp(x, 4, eye[i]) for i in range(12)])
    assert np.abs(J - J.T).max() <= 1e-15
    wide = rows(14, 300.0, 64)
    v = plumb.soft_topk_vjp(wide, 16, rows(15, 1.0, 64), "gradient", 1.0)
    assert np.all(np.isfinite(v))


def mp_gradient_vjp(x, k, g, tau):
    """J^T g of the gradient method by enumeration: J_ij = (P(i, j in S) - p_i p_j) / tau, at a
    precision that resolves 1 - p_i for items up to ~1500 temperatures apart."""
    spread = (max(x) - min(x)) / tau
    with mpmath.workprec(600 + int(3 * min(spread, 1500))):
        n = len(x)
        a = [mpmath.exp(mpmath.mpf(float(v)) / mpmath.mpf(tau)) for v in x]
        subsets = list(itertools.combinations(range(n), k))
        w = [mpmath.fprod(a[i] for i in S) for S in subsets]
        W = mpmath.fsum(w)
        both = [[mpmath.fsum(wt for wt, S in zip(w, subsets) if i in S and j in S) / W for j in range(n)]
                for i in range(n)]
        return np.array([float(mpmath.fsum((both[i][j] - both[i][i] * both[j][j]) * mpmath.mpf(float(g[j]))
                                           for j in range(n)) / mpmath.mpf(tau)) for i in range(n)])


@pytest.mark.parametrize("x, k, g, tau", [
    # Outputs near 1 that do not round to 1 (p = 1 - 4e-9): p (g + R - mu) cancelled, 1e8 ULP.
    ([10.0, 10.0, -10.0, -10.0], 2, [-1.0, 0.0, 0.0, 2.0], 1.0),
    ([3.0, 2.0, 1.0], 2, [-1.0, 0.042875, 2.197], 0.01),
    ([0.3, -1.2, 2.0, 0.7, 0.1], 3, [1.0, -2.0, 0.5, 3.0, -1.0], 0.7),
])
def test_gradient_vjp_keeps_relative_accuracy(x, k, g, tau):
    got = plumb.soft_topk_vjp(np.array(x), k, np.array(g), "gradient", tau)
    assert plumb.compare(got, mp_gradient_vjp(x, k, g, tau))["max_ulp"] <= 16


@pytest.mark.parametrize("top, tau", [(1e9, 1.0), (1e10, 1.0), (9.9e11, 1.0), (9.9e9, 0.01), (3e12, 1.0), (1e13, 1.0)])
def test_gradient_method_accurate_across_wide_spreads(top, tau):
    # The top cluster holds fewer than k items, so the far items decide. Their weights took
    # exp(hi) (1 + lo), dropping lo^2 / 2 (5e6 ULP at a spread of 1e12), and beyond the narrowing
    # at 1e12 their offsets were rounded at the size of the narrowed gap (140 ULP).
    x = np.array([top, 0.1, 0.7, -0.3, 0.2])
    got = plumb.soft_topk(x, 2, "gradient", tau)
    assert plumb.compare(got, plumb.exact.soft_topk(x, 2, "gradient", tau))["max_ulp"] <= 4
    g = np.array([1.0, -0.5, 0.25, 2.0, -1.0])
    if top < 1e12:
        vjp = plumb.soft_topk_vjp(x, 2, g, "gradient", tau)
        assert plumb.compare(vjp, mp_gradient_vjp(list(x), 2, g, tau))["max_ulp"] <= 16


@pytest.mark.parametrize("x, k, g, tau", [
    ([0.0, -7.6e-298], 1, [1.0, 0.0], 1e-300),
    ([0.0, -7.6e-298, 5e-301], 2, [1.0, 0.0, -0.5], 1e-300),
    ([0.0, -7.45e-298], 1, [1.0, 0.0], 1e-300),
    ([0.0, -760.0], 1, [1e300, 0.0], 1.0),
    ([0.0, -760.0, 0.5], 2, [1e300, 0.0, -5e299], 1.0),
])
def test_gradient_vjp_entries_below_binary64_in_z_units(x, k, g, tau):
    # p_i q_i ~ e^-760 underflowed before the 1 / tau (or grad_out's scale) brought the entry
    # back into range: 0 (or 2.3x off) where the value is 8.6e-31.
    got = plumb.soft_topk_vjp(np.array(x), k, np.array(g), "gradient", tau)
    assert plumb.compare(got, mp_gradient_vjp(x, k, g, tau))["max_ulp"] <= 16


def test_gradient_vjp_tends_to_its_limit():
    # At small temperatures the VJP tends to the hard top-k's, 0. The rounding of p (g + R - mu),
    # divided by tau, gave 1.4e306 at tau = 5e-324 and 6.9e182 at 1e-200.
    x, g = np.array([3.0, 2.0, 1.0]), np.array([-1.0, 0.042875, 2.197])
    for tau in (5e-324, 1e-310, 1e-200, 1e-20):
        got = plumb.soft_topk_vjp(x, 2, g, "gradient", tau)
        assert np.all(np.abs(got) <= 1e-300), (tau, got)


@pytest.mark.parametrize("method", ["exp_clip", "sigmoid", "laplace"])
def test_threshold_vjp_takes_grad_out_as_given(method):
    # Scaling a row of grad_out to its largest entry flushed the small ones (1e7 ULP on entries
    # that depend on them only: exp-clip's clipped item has f' = 0).
    x = np.array([100.0, 0.0, 0.5])
    small = plumb.soft_topk_vjp(x, 2, np.array([1.0, 1e-15, 3e-15]), method)
    huge = plumb.soft_topk_vjp(x, 2, np.array([1e300, 1e-15, 3e-15]), method)
    if method == "exp_clip":
        assert np.array_equal(small, huge)
    else:
        # f'(z_0 - lambda) ~ e^-100 carries the 1e300 into every entry.
        assert np.all(np.abs(huge[1:]) > 1e250)


@pytest.mark.parametrize("fn", [plumb.soft_topk, plumb.exact.soft_topk])
def test_statuses(fn):
    x = rows(16, 1.0, (3, 5))
    for bad_k in (0, 6, -1):
        with pytest.raises(plumb.PlumbError, match="k = "):
            fn(x, bad_k)
    with pytest.raises(plumb.PlumbError, match="method"):
        fn(x, 2, 7)
    with pytest.raises(ValueError):
        fn(x, 2, "nope")
    with pytest.raises(ValueError, match="temperature"):  # as for every function with a temperature
        fn(x, 2, "gradient", 0.0)
    y = x.copy()
    y[1, 2] = np.nan
    y[2, 0] = np.inf
    with pytest.raises(plumb.PlumbError, match="row 1") as info:
        fn(y, 2)
    assert info.value.status == 2


def test_nan_row_outputs_and_other_rows():
    x = rows(17, 1.0, (3, 5))
    x[1, 0] = np.nan
    out = np.zeros_like(x)
    with pytest.raises(plumb.PlumbError):
        plumb.soft_topk(x, 2, "sigmoid", out=out)
    assert np.all(np.isnan(out[1])) and np.all(np.isfinite(out[[0, 2]]))
    with pytest.raises(TypeError):
        plumb.soft_topk(np.ones(x.shape, dtype=np.int64), 2)


@pytest.mark.parametrize("row, k", [([0.0, 0.0, 0.0, -4000.0], 2), ([0.0, 0.0, 0.0, -1000.0], 2),
                                    ([0.0, 0.5, 0.25, -3000.0, -3500.0], 2), ([5.0, 1.0, -700.0, -800.0], 3),
                                    ([0.0, -2.0, -900.0], 1)])
def test_laplace_threshold_far_from_the_item_below(row, k):
    # lambda near the items above it but far above the next one: outputs near 2/3 were formed as
    # 4000 + log(2/3) - 4000 and lost 1037 ULP (exact integer inputs at temperature 1, so no
    # rounding of the inputs explains it).
    x = np.array(row)
    got, want = plumb.soft_topk(x, k, "laplace"), plumb.exact.soft_topk(x, k, "laplace")
    assert plumb.compare(got, want)["max_ulp"] <= 4


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype, scales", [(np.float64, (2.0**-1000, 2.0**-100, 2.0**100, 2.0**1000)),
                                           (np.float32, (2.0**-60, 2.0**60))])
def test_vjp_is_exactly_linear_in_grad_out(method, dtype, scales):
    # J^T (2^e g) = 2^e J^T g bit for bit: the gradient method's forward-mode pairs share one exponent
    # between a value and its derivative, and a grad_out of 1e300 scaled the values away (finite,
    # wrong results with PLUMB_OK).
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, 7)).astype(dtype)
    g = rng.normal(size=(3, 7)).astype(dtype)
    base = plumb.soft_topk_vjp(x, 2, g, method)
    for scale in scales:
        got = plumb.soft_topk_vjp(x, 2, (g * scale).astype(dtype), method)
        assert np.array_equal(got, (base * scale).astype(dtype)), scale


def test_out_in_place_or_apart_never_overlapping():
    b = np.zeros(12)
    b[:8] = np.arange(8.0)
    want = plumb.soft_topk(b[:8].reshape(2, 4).copy(), 2)
    # A partial overlap was accepted and overwrote row 1's input while it was read.
    with pytest.raises(ValueError, match="overlaps"):
        plumb.soft_topk(b[:8].reshape(2, 4), 2, out=b[4:12].reshape(2, 4))
    x = b[:8].reshape(2, 4)
    assert plumb.soft_topk(x, 2, out=x) is x and np.array_equal(x, want)   # in place is fine


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scale", [100.0, 1000.0, 10000.0])
def test_float64_beyond_scale_10_within_the_conditioning_limit(method, scale):
    # An output p_i = f(z_i - lambda) inherits the rounding of z_i - z_ref (up to ~745 for a
    # representable output, so up to ~scale ULPs of 1): the error grows like the scale for sigmoid and
    # Laplace. Measured (n <= 1000, README): 11.4 x scale at 100, 1.7 x scale at 1000. Bound 12 x scale.
    x = rows(int(scale) + 13, scale, (4, 32))
    for k in (1, 2, 16, 31):
        got = plumb.soft_topk(x, k, method, 1.0)
        stats = plumb.compare(got, plumb.exact.soft_topk(x, k, method, 1.0))
        assert stats["special_mismatches"] == 0
        assert stats["max_ulp"] <= 12 * scale, (method, scale, k, stats)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_threshold_far_from_every_item(dtype):
    # Regression: with the threshold hundreds of temperatures from every item, Newton moved it by ~1
    # per step and stopped after 400 steps far from the root (1407 instead of 1392.3).
    x = np.random.default_rng(13001).normal(0, 1000, (4, 32)).astype(dtype)
    got = plumb.soft_topk(x, 1, "sigmoid", 1.0)
    stats = plumb.compare(got, plumb.exact.soft_topk(x.astype(np.float64), 1, "sigmoid", 1.0))
    assert stats["max_ulp"] <= (2 if dtype == np.float32 else 8000), stats
    assert np.allclose(got.sum(axis=1), 1.0)


def test_sigmoid_newton_stops_only_at_its_rounding_floor():
    """Regression: the Newton loop stopped when a correction did not halve the one before, which
    after a bisection it need not do: lambda came back ~2^-40 off, 1000-2600 k eps in the row sum
    and up to 4321 ULP against the exact reference (9 rows of 40000 in an audit's hunt)."""
    rng = np.random.default_rng(3)
    worst_rows = []
    for _ in range(100):  # the audit's batches: 50 rows, n and k drawn, scale 0.1..1, tau 1
        n = int(rng.choice([3, 5, 10, 30, 100, 200, 500, 1000]))
        k = int(rng.integers(1, n))
        x = rng.standard_normal((50, n)) * float(10 ** rng.uniform(-1, 0))
        got = plumb.soft_topk(x, k, "sigmoid", 1.0)
        deviation = np.abs(got.sum(axis=1) - k) / (k * 2.0 ** -52)
        assert deviation.max() <= 100, (n, k, deviation.max())
        if n <= 200:
            worst_rows.append((x[np.argmax(deviation)], k))
    for row, k in worst_rows[:8]:
        got = plumb.soft_topk(row, k, "sigmoid", 1.0)
        stats = plumb.compare(got, plumb.exact.soft_topk(row, k, "sigmoid", 1.0))
        assert stats["max_ulp"] <= 64, stats


@pytest.mark.parametrize("dtype,scale", [(np.float32, 1e20), (np.float32, 1e37), (np.float64, 1e16),
                                         (np.float64, 1e100), (np.float64, 1e300)])
def test_gradient_method_at_spreads_beyond_the_exponent_range(dtype, scale):
    # Regression: items more than ~7e14 below the row's maximum (in units of the temperature) came
    # out as exactly 0 weight, so with fewer than k items within reach every output was 0.
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((4, 11)) * scale).astype(dtype)
    for k in range(1, 11):
        out = plumb.soft_topk(x, k, "gradient", 1.0)
        hard = np.zeros_like(out)
        for r in range(4):
            hard[r, np.argsort(-x[r].astype(np.float64), kind="stable")[:k]] = 1
        assert np.max(np.abs(out.astype(np.float64) - hard)) <= 4 * np.finfo(dtype).eps, (k, out)
        vjp = plumb.soft_topk_vjp(x, k, np.ones_like(x), "gradient", 1.0)
        assert np.all(np.isfinite(vjp)) and np.all(np.abs(vjp) <= 1e-12)
    # Within a far cluster the weights stay soft: two items 2 apart, 1e16 below the top two.
    x = np.array([[0.0, -1e16, -1e16 - 2, 5.0, -3e16]])
    expect = np.array([[1.0, 1 / (1 + math.exp(-2)), math.exp(-2) / (1 + math.exp(-2)), 1.0, 0.0]])
    assert np.max(np.abs(plumb.soft_topk(x, 3, "gradient", 1.0) - expect)) <= 4e-16
    near = np.array([[0.0, -3000.0, -3002.0, 5.0, -6000.0]])   # the same row with its gaps narrowed
    g = np.array([[0.3, -1.0, 2.0, 0.5, 1.0]])
    assert np.max(np.abs(plumb.soft_topk_vjp(x, 3, g, "gradient", 1.0)
                         - plumb.soft_topk_vjp(near, 3, g, "gradient", 1.0))) <= 1e-15


def test_sizes_beyond_memory_are_statuses():
    # The gradient method's n x k table (here 2^22 x 2^21 x 24 bytes) cannot exist: a status, no trap.
    x = np.zeros((1, 1 << 22))
    with pytest.raises(plumb.PlumbError, match="cannot allocate") as info:
        plumb.soft_topk(x, 1 << 21, "gradient")
    assert info.value.name == "PLUMB_ERR_NO_MEMORY"
    with pytest.raises(plumb.PlumbError, match="limit") as info:
        plumb.exact.soft_topk(np.zeros((1, 5000)), 1000, "gradient")
    assert info.value.name == "PLUMB_ERR_ARGUMENT"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_any_offset_and_scale(method, dtype):
    # Regression: sigmoid found and applied lambda in absolute z = x / tau coordinates, so its
    # rounding grew with |z|: all-equal rows at tau = 1e-13 summed to 2.00014 (791 float32 ULP), 1e20
    # gave [0.5 0.5 0.5] for k = 2, a tie at 1e17 gave [1 1 0] for k = 1, 1e6 + O(1) was 390613 ULP off.
    tol = 0.5 if dtype == np.float32 else 8
    big, eps = (3e300, 2.0**-50) if dtype == np.float64 else (3e37, 2.0**-21)
    for x, k, tau in [(np.ones(3), 2, 1e-13), (np.full(3, 1e20), 2, 1.0), (np.array([1e17, 1e17, 0.0]), 1, 1.0),
                      (1e6 + np.array([0.0, 0.5, 1.0, -0.25]), 2, 1.0), (1e6 + np.array([0.0, 0.5, 1.0, -0.25]), 1, 0.3),
                      (big * np.array([1.0, 1 + eps, 1 - eps / 2]), 1, big * eps)]:
        x = x.astype(dtype)
        got = plumb.soft_topk(x, k, method, tau)
        exact = plumb.exact.soft_topk(x.astype(np.float64), k, method, float(dtype(tau)))
        stats = plumb.compare(got, exact)
        assert stats["special_mismatches"] == 0 and stats["max_ulp"] <= tol, (x, k, tau, got, stats)
        assert abs(got.astype(np.float64).sum() - k) <= 4 * np.finfo(dtype).eps * k
    # Shift invariance: x on a coarse dyadic grid, so x + shift is exact and the row's differences
    # are unchanged: the outputs must be bitwise the same.
    x = (np.round(rows(21, 2.0, (3, 16)) * 256) / 256).astype(dtype)
    for shift in ((2.0**8, -2.0**12) if dtype == np.float32 else (2.0**20, -2.0**40)):
        for k in (1, 5, 15):
            for tau in (1.0, 0.3):
                np.testing.assert_array_equal(plumb.soft_topk(x + dtype(shift), k, method, tau),
                                              plumb.soft_topk(x, k, method, tau))


@pytest.mark.parametrize("method", METHODS)
def test_spread_beyond_binary64_range(method):
    # Regression: sigmoid formed max - min = inf and returned all zeros for [1.7e308, -1.7e308, 0].
    x = np.array([[1.7e308, -1.7e308, 0.0], [-1.7e308, 1.7e308, 1.7e308]])
    np.testing.assert_array_equal(plumb.soft_topk(x, 1, method), [[1, 0, 0], [0, 0.5, 0.5]])
    np.testing.assert_array_equal(plumb.soft_topk(x, 2, method), [[1, 0, 1], [0, 1, 1]])
    x32 = (np.sign(x) * 3e38).astype(np.float32)
    np.testing.assert_array_equal(plumb.soft_topk(x32, 1, method), [[1, 0, 0], [0, 0.5, 0.5]])
    assert np.all(plumb.soft_topk_vjp(x, 1, np.ones_like(x), method) == 0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quotient_beyond_binary64_range_gives_the_limit(method, dtype):
    # Regression: z = x / tau was formed first, so x / tau = inf gave NaN (sigmoid, Laplace) or a wrong
    # row (gradient [0 0 0], exp-clip [1 1 1]) with status OK. The limit is the hard top-k (ties
    # shared), which is also plumb.exact's answer where it certifies one (gradient, k = 1).
    tiny = 5e-324 if dtype == np.float64 else float(np.float32(1e-45))
    x = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 1.0]], dtype=dtype)
    for k, hard in ((1, [[0, 0, 1], [0.5, 0.5, 0]]), (2, [[0, 1, 1], [1, 1, 0]])):
        np.testing.assert_array_equal(plumb.soft_topk(x, k, method, tiny), hard)
        np.testing.assert_array_equal(plumb.soft_topk_vjp(x, k, np.ones_like(x), method, tiny), np.zeros_like(x))
    far = np.array([1e300, 0.5, 0.0]) if dtype == np.float64 else np.array([1e30, 0.5, 0.0], dtype=dtype)
    np.testing.assert_array_equal(plumb.soft_topk(far, 2, method, 1e-10), [1, 1, 0])


@pytest.mark.parametrize("method", METHODS)
def test_vjp_at_a_subnormal_temperature(method):
    # Regression: the VJP multiplied by 1 / tau, which overflows below ~5.6e-309: [inf, -inf] instead
    # of ~[1.966e299, -1.966e299]. The same row in units of tau gives the same J_z, times 1 / tau.
    tau = 1e-310
    x, g = np.array([0.0, 1e-310]), np.array([1e-10, 0.0])
    got = plumb.soft_topk_vjp(x, 1, g, method, tau)
    ref = plumb.soft_topk_vjp(x / tau, 1, g, method, 1.0) / tau
    assert np.all(np.isfinite(got)) and np.allclose(got, ref, rtol=1e-12, atol=0), (got, ref)
    if method == "gradient":
        assert abs(got[0] - 1.966119332e299) <= 1e-9 * 1.966e299


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vjp_when_an_output_rounds_to_one(dtype):
    # Regression: exp-clip took f' = 0 when an unclipped output rounded to 1 (x = [0, 40], k = 1 gave
    # a zero VJP), and the gradient method's p_i (g_i - mu) cancelled for that item. Softmax Jacobian:
    # (J^T g)_1 = p_0 p_1 (g_1 - g_0), p_0 = 1 / (1 + e^40).
    p0 = 1 / (1 + math.exp(40))
    expect = np.array([-p0 * (1 - p0), p0 * (1 - p0)])
    for method in ("exp_clip", "gradient"):
        got = plumb.soft_topk_vjp(np.array([0.0, 40.0], dtype), 1, np.array([0.0, 1.0], dtype), method)
        assert np.allclose(got.astype(np.float64), expect, rtol=8 * np.finfo(dtype).eps, atol=0), (method, got)
    # Threshold methods: the dominant item's entry is as accurate as the others (sums to ~0).
    for method in ("sigmoid", "laplace"):
        got = plumb.soft_topk_vjp(np.array([0.0, 80.0, 1.0], dtype), 1, np.array([0.0, 1.0, 0.5], dtype), method)
        assert got[1] > 0 and abs(got.astype(np.float64).sum()) <= 4 * np.finfo(dtype).eps * np.abs(got).sum()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equal_rows_give_k_over_n_exactly(method, dtype):
    # All-zero row, n = 2000, k = 1000 came out as 0.5000000000000248 (gradient method).
    for n, k in ((2000, 1000), (7, 3), (1000, 1)):
        x = np.full((2, n), 3.25, dtype)
        np.testing.assert_array_equal(plumb.soft_topk(x, k, method), np.full((2, n), dtype(k / n)))


@pytest.mark.parametrize("fn", [plumb.soft_topk, plumb.exact.soft_topk])
def test_unknown_method_message_shows_the_value_passed(fn):
    # Regression: -1 was reported as "method = 4294967295".
    with pytest.raises(plumb.PlumbError, match=r"method = -1 is not a known value"):
        fn(rows(22, 1.0, (1, 4)), 1, -1)
    with pytest.raises(plumb.PlumbError, match=r"method = 4 is not a known value"):
        fn(rows(22, 1.0, (1, 4)), 1, 4)


def test_exact_sigmoid_terminates_when_x_over_tau_overflows():
    # Regression: the exact sigmoid bracketed lambda in binary64 from x / tau, which is inf for a
    # subnormal tau; the bracket never widened and the call never returned. It now brackets in MPFR
    # and either certifies or reports PLUMB_ERR_PRECISION (the documented status), quickly.
    import time
    start = time.perf_counter()
    for x, k, tau in ((np.array([1.0, 2.0, 3.0]), 1, 5e-324), (np.array([1e300, 0.5, 0.0]), 2, 1e-10)):
        try:
            got = plumb.exact.soft_topk(x, k, "sigmoid", tau)
            assert np.array_equal(got, plumb.soft_topk(x, k, "sigmoid", tau)), got
        except plumb.PlumbError as error:
            assert error.name == "PLUMB_ERR_PRECISION", error
    assert time.perf_counter() - start < 30
