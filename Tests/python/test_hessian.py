"""Tests of the Hessian-approximation diagnostics (plumb.HessianProbe, plumb.hutchinson_diag,
plumb.exact.least_squares_hessian)."""
import ctypes
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import plumb
from plumb import hessian as hz
from plumb._lib import lib


def reference_moments(grads, beta1, beta2):
    """Direct re-implementation of the probe's recurrences in float64 numpy."""
    m = np.zeros(grads.shape[1])
    v = np.zeros_like(m)
    s = np.zeros_like(m)
    for g in grads.astype(np.float64):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * (g * g)
        s = beta2 * s + (1 - beta2) * (g - m) ** 2
    t = len(grads)
    return m, v / (1 - beta2 ** t), s / (1 - beta2 ** t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.0, 0.5), (0.5, 0.0), (0.99, 0.9999)])
def test_implied_diagonals_match_reimplementation(dtype, betas):
    rng = np.random.default_rng(1)
    dim, steps, eps, lr = 257, 40, 1e-3, 0.01
    grads = (rng.normal(size=(steps, dim)) * np.logspace(-3, 2, dim)).astype(dtype)
    _, vhat, shat = reference_moments(grads, *betas)
    expected = {
        "adam": (np.sqrt(vhat) + eps) / lr,
        "rms": np.sqrt(vhat) / lr,
        "belief": (np.sqrt(shat) + eps) / lr,
    }
    with plumb.HessianProbe(dim, beta1=betas[0], beta2=betas[1], epsilon=eps) as p:
        for g in grads:
            p.observe(g)
        for name, want in expected.items():
            got = p.implied_diag(name, lr)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_full_estimator_matches_reimplementation():
    rng = np.random.default_rng(2)
    dim, steps, beta2, lr = 9, 30, 0.95, 0.5
    grads = rng.normal(size=(steps, dim)) @ rng.normal(size=(dim, dim))
    c = np.zeros((dim, dim))
    for g in grads:
        c = beta2 * c + (1 - beta2) * np.outer(g, g)
    c /= 1 - beta2 ** steps
    w, v = np.linalg.eigh(c)
    want = (v ** 2) @ np.sqrt(np.maximum(w, 0)) / lr
    with plumb.HessianProbe(dim, beta2=beta2, full_matrix=True) as p:
        for g in grads:
            p.observe(g)
        np.testing.assert_allclose(p.implied_diag("full", lr), want, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("betas, steps", [((0.9, 0.999), 30), ((0.0, 0.5), 20), ((0.99, 0.9), 40)])
def test_implied_diag_ulps_against_exact_moments(dtype, betas, steps):
    """ADAM/RMS/BELIEF diagonals against the exact recurrences (rationals) and 60-digit roots."""
    rng = np.random.default_rng(3)
    dim, eps, lr = 6, 1e-8, 0.01
    grads = (rng.normal(size=(steps, dim)) * np.array([1e-6, 1e-2, 1, 1e3, 1e8, 3.0])).astype(dtype)
    b1, b2 = Fraction(betas[0]), Fraction(betas[1])
    m = [Fraction(0)] * dim
    v = [Fraction(0)] * dim
    s = [Fraction(0)] * dim
    for g in grads:
        for i in range(dim):
            gi = Fraction(float(g[i]))
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            s[i] = b2 * s[i] + (1 - b2) * (gi - m[i]) ** 2
    corr = 1 - b2 ** steps
    mpmath.mp.dps = 60

    def mp(q):
        return mpmath.mpf(q.numerator) / mpmath.mpf(q.denominator)
    e_, l_ = mp(Fraction(eps)), mp(Fraction(lr))
    exact = {
        "rms": [mpmath.sqrt(mp(x / corr)) / l_ for x in v],
        "adam": [(mpmath.sqrt(mp(x / corr)) + e_) / l_ for x in v],
        "belief": [(mpmath.sqrt(mp(x / corr)) + e_) / l_ for x in s],
    }
    with plumb.HessianProbe(dim, beta1=betas[0], beta2=betas[1], epsilon=eps) as p:
        for g in grads:
            p.observe(g)
        for name, want in exact.items():
            stats = plumb.compare(p.implied_diag(name, lr), np.array([float(w) for w in want]))
            assert stats["special_mismatches"] == 0
            assert stats["max_ulp"] <= 4, (name, stats)  # the header's figure for random gradients


def test_exponent_one_when_wandering_dominates():
    rng = np.random.default_rng(4)
    dim, s = 2000, 0.1
    h = np.logspace(-2, 2, dim)  # 4 decades
    with plumb.HessianProbe(dim) as p:
        for _ in range(2000):
            p.observe(h * rng.normal(0, s, dim))  # g = H d, d ~ N(0, s^2 I)
        rep = p.compare(h, "rms")
    assert abs(rep["exponent"] - 1) <= 0.05, rep
    assert abs(rep["scale"] / s - 1) < 0.2, rep
    assert rep["log_correlation"] > 0.99
    assert rep["epsilon_dominated"] == 0


def test_exponent_half_when_sample_noise_dominates():
    rng = np.random.default_rng(5)
    dim = 2000
    h = np.logspace(-2, 2, dim)
    with plumb.HessianProbe(dim) as p:
        for _ in range(2000):
            p.observe((np.sqrt(h) * rng.normal(size=dim)).astype(np.float32))  # g = sqrt(H) xi
        rep = p.compare(h, "rms")
    assert abs(rep["exponent"] - 0.5) <= 0.05, rep
    assert rep["relative_error"] > 0.1  # a square root is not proportional to h


def test_epsilon_dominated_fraction():
    dim = 10
    with plumb.HessianProbe(dim, epsilon=1e-3) as p:
        p.observe(np.array([1e-5] * 4 + [1.0] * 6))
        rep = p.compare(np.ones(dim), "adam")
    assert rep["epsilon_dominated"] == pytest.approx(0.4)


def test_compare_fit_is_exact_for_a_power_law():
    """est = sqrt(v_hat) with v_hat = g^2 after one step (beta2 = 0): exponent, scale exact."""
    h = np.logspace(-3, 3, 50)
    with plumb.HessianProbe(50, beta2=0.0) as p:
        p.observe(2.0 * h ** 0.75)
        rep = p.compare(h, "rms")
    assert rep["exponent"] == pytest.approx(0.75, rel=1e-12)
    assert rep["scale"] == pytest.approx(2.0, rel=1e-12)
    assert rep["log_correlation"] == pytest.approx(1.0, rel=1e-12)


def test_compare_excludes_zero_coordinates():
    h = np.array([0.0, 1.0, 10.0, 100.0, 5.0])
    g = np.array([3.0, 1.0, 10.0, 100.0, 0.0])
    with plumb.HessianProbe(5, beta2=0.0) as p:
        p.observe(g)
        rep = p.compare(h, "rms")
    assert rep["exponent"] == pytest.approx(1.0, rel=1e-12)
    with plumb.HessianProbe(2, beta2=0.0) as p:
        p.observe(np.array([1.0, 2.0]))
        rep = p.compare(np.array([0.0, 1.0]), "rms")
        assert math.isnan(rep["exponent"]) and math.isnan(rep["scale"])


def test_float32_references_widen_exactly():
    """A float32 reference (diagonal or matrix) gives the report of its exact float64 widening."""
    rng = np.random.default_rng(8)
    dim = 6
    a = rng.normal(size=(dim, dim)).astype(np.float32)
    hess32 = (a @ a.T + np.eye(dim, dtype=np.float32)).astype(np.float32)
    with plumb.HessianProbe(dim, beta2=0.99, full_matrix=True) as p:
        for _ in range(50):
            p.observe(rng.normal(size=dim))
        for estimator in ("rms", "adam", "belief"):
            r32 = p.compare(np.diag(hess32).copy(), estimator)
            r64 = p.compare(np.diag(hess32).astype(np.float64), estimator)
            assert r32.keys() == r64.keys()
            assert all(r32[f] == r64[f] or (math.isnan(r32[f]) and math.isnan(r64[f])) for f in r32)
        assert p.compare_matrix(hess32) == p.compare_matrix(hess32.astype(np.float64))
    with pytest.raises(TypeError):
        plumb.HessianProbe(3).compare(np.ones(3, dtype=np.float16))


def test_full_matrix_recovers_scaled_hessian():
    rng = np.random.default_rng(6)
    dim, s = 8, 0.3
    a = rng.normal(size=(dim, dim))
    hess = a @ a.T / dim + 0.5 * np.eye(dim)  # dense SPD
    with plumb.HessianProbe(dim, beta2=0.9999, full_matrix=True) as p:
        for _ in range(60000):
            p.observe(hess @ rng.normal(0, s, dim))  # g = H d -> sqrtm(E[g g^T]) = s H
        diag = p.implied_diag("full", 1.0)
        np.testing.assert_allclose(diag, s * np.diag(hess), rtol=0.05)
        rep = p.compare_matrix(hess)
    assert rep["scale"] == pytest.approx(s, rel=0.05)
    assert rep["relative_error"] < 0.05
    assert abs(rep["exponent"] - 1) < 0.1


def test_hutchinson_exact_for_diagonal_hessian():
    h = np.linspace(-3, 5, 17)
    diag, se = plumb.hutchinson_diag(lambda v: h * v, 17, samples=5, seed=9)
    np.testing.assert_array_equal(diag, h)
    np.testing.assert_array_equal(se, np.zeros(17))


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & (2**64 - 1)
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
        yield z ^ (z >> 31)


def test_hutchinson_probes_follow_documented_prng():
    rng = np.random.default_rng(7)
    dim, samples, seed = 70, 3, 12345
    a = rng.normal(size=(dim, dim))
    hess = a + a.T
    gen = splitmix64(seed)
    est = np.zeros(dim)
    for _ in range(samples):
        z = np.empty(dim)
        for i in range(dim):
            if i % 64 == 0:
                word = next(gen)
            z[i] = -1.0 if (word >> (i % 64)) & 1 else 1.0
        est += z * (hess @ z)
    diag, _ = plumb.hutchinson_diag(lambda v: hess @ v, dim, samples, seed)
    np.testing.assert_allclose(diag, est / samples, rtol=1e-12, atol=1e-12)


def test_hutchinson_within_three_standard_errors():
    rng = np.random.default_rng(8)
    dim = 30
    a = rng.normal(size=(dim, dim))
    hess = a @ a.T / dim
    diag, se = plumb.hutchinson_diag(lambda v: hess @ v, dim, samples=400, seed=1)
    z = np.abs(diag - np.diag(hess)) / se
    assert np.all(z < 3), z.max()
    assert 0.3 < np.mean(z) < 1.3  # |N(0,1)| has mean 0.8: the errors are honest, not inflated
    d1, s1 = plumb.hutchinson_diag(lambda v: hess @ v, dim, samples=1, seed=1)
    assert np.all(np.isinf(s1)) and np.all(np.isfinite(d1))


def test_hutchinson_failing_callback():
    def bad(v):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        plumb.hutchinson_diag(bad, 4, 3, 0)
    # A raw C callback returning nonzero: PLUMB_ERR_ARGUMENT naming the return code.
    calls = []

    def raw(ctx, v, hv, n):
        calls.append(n)
        return 7 if len(calls) == 2 else 0
    cb = hz.HVP_FN(raw)
    diag = np.zeros(4)
    dp = diag.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    st = lib.plumb_hutchinson_diag(cb, None, 4, 5, 0, dp, None)
    assert st == 1
    assert b"returned 7 at sample 1 (0-based)" in lib.plumb_last_error()
    assert len(calls) == 2 and np.all(np.isnan(diag))
    # NaN products: domain error.
    with pytest.raises(plumb.PlumbError) as e:
        plumb.hutchinson_diag(lambda v: v * np.nan, 3, 2, 0)
    assert e.value.status == 2
    with pytest.raises(ValueError):
        plumb.hutchinson_diag(lambda v: v, 3, 0, 0)
    assert lib.plumb_hutchinson_diag(hz.HVP_FN(), None, 3, 2, 0, dp, None) == 1


@pytest.mark.parametrize("seed", [1.5, 5.0, 1e19, 2.0**63, np.float64(3.0), True, "1", None])
def test_hutchinson_seed_must_be_an_integer(seed):
    """Floats were accepted above 2**63 (truncated) and refused below it."""
    with pytest.raises(TypeError, match="seed"):
        plumb.hutchinson_diag(lambda v: v, 2, 2, seed)


def test_hutchinson_seed_range():
    for seed in (0, 2**63, 2**64 - 1, np.uint64(2**64 - 1), np.int8(3)):
        d, _ = plumb.hutchinson_diag(lambda v: 2 * v, 2, 2, seed)
        np.testing.assert_array_equal(d, [2.0, 2.0])
    for seed in (-1, 2**64):
        with pytest.raises(ValueError, match="seed"):
            plumb.hutchinson_diag(lambda v: v, 2, 2, seed)


@pytest.mark.parametrize("result", [
    lambda v: v * (1 + 2j), lambda v: v > 0, lambda v: np.array(list(v), dtype=object), lambda v: None,
])
def test_hutchinson_rejects_non_real_products(result):
    """Complex products were silently cut to their real part (a ComplexWarning at most)."""
    with pytest.raises(TypeError, match="hvp returned dtype"):
        plumb.hutchinson_diag(result, 3, 2, 0)


def test_hutchinson_accepts_real_products_of_any_width():
    for result in (lambda v: (2 * v).astype(np.int64), lambda v: (2 * v).astype(np.float32), lambda v: list(2 * v)):
        d, _ = plumb.hutchinson_diag(result, 3, 2, 0)
        np.testing.assert_array_equal(d, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(beta1=1.0), "beta1"), (dict(beta1=-0.1), "beta1"), (dict(beta1=math.nan), "beta1"),
    (dict(beta2=1.0), "beta2"), (dict(beta2=math.inf), "beta2"),
    (dict(epsilon=-1e-8), "epsilon"), (dict(epsilon=math.inf), "epsilon"),
])
def test_bad_configs(kwargs, fragment):
    with pytest.raises(plumb.PlumbError) as e:
        plumb.HessianProbe(4, **kwargs)
    assert e.value.status == 1 and fragment in e.value.message


def test_bad_sizes_and_modes():
    with pytest.raises(ValueError):
        plumb.HessianProbe(0)
    with pytest.raises(plumb.PlumbError, match="4096"):
        plumb.HessianProbe(5000, full_matrix=True)
    with plumb.HessianProbe(3) as p:
        with pytest.raises(plumb.PlumbError, match="no gradient"):
            p.implied_diag("adam", 1.0)
        p.observe(np.ones(3))
        with pytest.raises(plumb.PlumbError, match="full_matrix"):
            p.implied_diag("full", 1.0)
        with pytest.raises(plumb.PlumbError, match="full_matrix"):
            p.compare_matrix(np.eye(3))
        for lr in (-1.0, 0.0, -0.0, float("nan"), float("inf")):  # as for temperatures: ValueError
            with pytest.raises(ValueError, match="lr"):
                p.implied_diag("adam", lr)
        with pytest.raises(plumb.PlumbError) as e:
            p.implied_diag(9, 1.0)
        assert e.value.status == 1
        with pytest.raises(TypeError):
            p.observe(np.ones(3, dtype=np.int32))
        with pytest.raises(ValueError):
            p.observe(np.ones(4))
        with pytest.raises(plumb.PlumbError) as e:
            p.compare(np.array([1.0, math.nan, 1.0]))
        assert e.value.status == 2


def test_nan_gradient_leaves_state_unchanged():
    with plumb.HessianProbe(4) as p:
        p.observe(np.array([1.0, 2.0, 3.0, 4.0]))
        before = p.implied_diag("belief", 1.0)
        with pytest.raises(plumb.PlumbError) as e:
            p.observe(np.array([1.0, np.nan, 3.0, np.inf], dtype=np.float32))
        assert e.value.status == 2 and "grad[1]" in e.value.message
        np.testing.assert_array_equal(p.implied_diag("belief", 1.0), before)
        assert p.compare(np.ones(4))["steps"] == 1


def test_dead_and_null_handles():
    p = plumb.HessianProbe(3)
    handle = ctypes.c_void_p(p._h.value)
    p.close()
    p.close()  # idempotent
    g = np.ones(3)
    gp = g.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    assert lib.plumb_hess_observe_f64(handle, gp) == 1
    assert b"not a live" in lib.plumb_last_error()
    lib.plumb_hess_destroy(handle)  # double destroy is a no-op
    assert lib.plumb_hess_observe_f64(None, gp) == 1
    assert b"NULL" in lib.plumb_last_error()
    with pytest.raises(ValueError):
        p.observe(g)


def exact_hessian_fractions(x):
    n, dim = x.shape
    fx = [[Fraction(float(v)) for v in row] for row in x]
    out = np.empty((dim, dim))
    for j in range(dim):
        for k in range(dim):
            q = sum(fx[r][j] * fx[r][k] for r in range(n)) / n
            out[j, k] = q.numerator / q.denominator  # int true division is correctly rounded
    return out


@pytest.mark.parametrize("case", ["normal", "cancellation", "wide", "tiny", "n3"])
def test_exact_least_squares_hessian_against_fractions(case):
    rng = np.random.default_rng(10)
    if case == "normal":
        x = rng.normal(size=(40, 6))
    elif case == "cancellation":  # huge terms cancel, leaving the small ones
        x = np.array([[1e16, 1.0, 3.0], [1e16, -1.0, 1e-8], [1e-3, 1.0, -3.0]])
        x = np.vstack([x, [[1e16, 0.5, 2.0]], [[-1e16, 0.5, 2.0]]])
    elif case == "wide":  # magnitudes over 600 binades
        x = rng.normal(size=(12, 4)) * 10.0 ** rng.integers(-150, 150, size=(12, 4))
    elif case == "tiny":  # subnormal results
        x = rng.normal(size=(5, 3)) * 1e-160
    else:
        x = rng.normal(size=(3, 5))
    got = plumb.exact.least_squares_hessian(x)
    want = exact_hessian_fractions(x)
    np.testing.assert_array_equal(got, want)
    assert plumb.compare(got, want)["max_ulp"] == 0


def test_exact_least_squares_hessian_against_mpmath():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(7, 3))
    got = plumb.exact.least_squares_hessian(x)
    mpmath.mp.dps = 120
    for j in range(3):
        for k in range(3):
            v = mpmath.fsum(mpmath.mpf(float(x[r, j])) * mpmath.mpf(float(x[r, k])) for r in range(7)) / 7
            assert got[j, k] == float(v)


def test_exact_least_squares_hessian_errors():
    x = np.ones((3, 2))
    x[1, 0] = np.nan
    with pytest.raises(plumb.PlumbError) as e:
        plumb.exact.least_squares_hessian(x)
    assert e.value.status == 2 and "row 1" in e.value.message
    with pytest.raises(TypeError):
        plumb.exact.least_squares_hessian(np.ones((3, 2), dtype=np.float32))
    with pytest.raises(ValueError):
        plumb.exact.least_squares_hessian(np.ones((0, 2)))


def test_observe_is_independent_of_thread_count():
    rng = np.random.default_rng(12)
    dim = 300_001  # several chunks above the threading grain
    grads = rng.normal(size=(3, dim)).astype(np.float32)
    results = []
    before = plumb.get_num_threads()
    try:
        for threads in (1, 2, 3):
            plumb.set_num_threads(threads)
            with plumb.HessianProbe(dim) as p:
                for g in grads:
                    p.observe(g)
                results.append(np.concatenate([p.implied_diag(e, 0.1) for e in ("adam", "rms", "belief")]))
    finally:
        plumb.set_num_threads(before)
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_full_matrix_eigensolver_on_larger_dim():
    """dim 300: the FULL diagonal against numpy's eigh on the same bias-corrected matrix."""
    rng = np.random.default_rng(13)
    dim = 300
    with plumb.HessianProbe(dim, beta2=0.9, full_matrix=True) as p:
        c = np.zeros((dim, dim))
        for t in range(1, 41):
            g = rng.normal(size=dim) * np.logspace(-3, 3, dim)
            p.observe(g)
            c = 0.9 * c + 0.1 * np.outer(g, g)
        c /= 1 - 0.9 ** 40
        w, v = np.linalg.eigh(c)
        want = (v ** 2) @ np.sqrt(np.maximum(w, 0))
        got = p.implied_diag("full", 1.0)
    # rank-40 PSD matrix: the clamped near-zero eigenvalues contribute sqrt(O(u ||C||)) noise
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * want.max())


@pytest.mark.parametrize("value", [3.0, -3.0, 1.0, 0.1, 7.0, 1e-3])
@pytest.mark.parametrize("n", [3, 5, 7, 10])
def test_compare_equal_references_leave_the_line_undetermined(value, n):
    """All |h_i| equal: no slope. The rounded mean of equal logs used to leave a spread of an ulp
    (h = 3.0, n = 10 gave exponent 0.05, scale 1.39)."""
    with plumb.HessianProbe(n, beta2=0.0) as p:
        p.observe(np.linspace(1, 2, n))
        rep = p.compare(np.full(n, value), "rms")
    assert math.isnan(rep["exponent"]) and math.isnan(rep["scale"]) and math.isnan(rep["log_correlation"])


@pytest.mark.parametrize("estimator", ["adam", "rms", "belief"])
def test_compare_overflowed_estimate_gives_nan_fields(estimator):
    """An overflowed (+inf) estimate makes every field it enters NaN; the correlation's clamp to
    [-1, 1] turned its NaN into -1.0 (hunt)."""
    with plumb.HessianProbe(4) as p:
        p.observe(np.array([1e160, 1.0, 2.0, 3.0]))
        assert math.isinf(p.implied_diag(estimator)[0])
        for h in (np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 3.0, 2.0, 1.0])):
            rep = p.compare(h, estimator)
            assert all(math.isnan(rep[f]) for f in ("exponent", "scale", "log_correlation", "relative_error")), rep


def test_compare_constant_estimate():
    """A constant estimate: correlation NaN (it was 2.7e-16), slope exactly 0, scale the constant."""
    h = np.linspace(1, 5, 10)
    with plumb.HessianProbe(10, beta1=0.0) as p:  # beta1 = 0: m = g, so s = 0 and est = eps
        p.observe(np.linspace(1, 2, 10))
        rep = p.compare(h, "belief")
    assert math.isnan(rep["log_correlation"]), rep
    assert rep["exponent"] == 0.0 and rep["scale"] == pytest.approx(1e-8, rel=1e-15)
    with plumb.HessianProbe(10) as p:  # zero gradients under "adam": est = eps again
        p.observe(np.zeros(10))
        rep = p.compare(h, "adam")
        assert math.isnan(rep["log_correlation"]) and rep["exponent"] == 0.0
        rep = p.compare(h, "rms")  # est all 0: nothing usable; the best multiple c = 0 leaves all of h
        assert math.isnan(rep["exponent"]) and rep["relative_error"] == 1.0


def test_compare_relative_error_does_not_depend_on_scale():
    """Diagonal fit with references and estimates near the ends of the binary64 range: the sums of
    squares overflowed (h ~ 1e200, or est ~ 1e153) and gave NaN."""
    g = np.array([1.0, 2.0, 4.0])
    h = np.array([1.0, 2.0, 5.0])
    with plumb.HessianProbe(3, beta2=0.0) as p:
        p.observe(g)
        base = p.compare(h, "rms")
        for k in (-1000, -600, 600, 1000):
            assert p.compare(h * 2.0 ** k, "rms")["relative_error"] == base["relative_error"]
        for s in (1e200, 1e-200):
            assert p.compare(h * s, "rms")["relative_error"] == pytest.approx(base["relative_error"], rel=1e-14)
    with plumb.HessianProbe(3, beta2=0.0) as p:
        p.observe(g * 2.0 ** 500)  # v = g^2 ~ 1e301 still fits; est^2 does not
        assert p.compare(h, "rms")["relative_error"] == base["relative_error"]


def test_zero_reference_gives_nan_relative_error():
    """0/0: an all-zero reference, or one whose symmetric part is zero, has no relative error."""
    with plumb.HessianProbe(3, beta2=0.0) as p:
        p.observe(np.array([1.0, 2.0, 4.0]))
        assert math.isnan(p.compare(np.zeros(3), "rms")["relative_error"])
    with plumb.HessianProbe(2, full_matrix=True) as p:
        p.observe(np.array([1.0, 2.0]))
        for hm in (np.zeros((2, 2)), np.array([[0.0, 1.0], [-1.0, 0.0]])):
            rep = p.compare_matrix(hm)
            assert math.isnan(rep["relative_error"]) and math.isnan(rep["scale"]), rep


def test_compare_matrix_does_not_depend_on_reference_scale():
    """H 2^k: the same relative error bit for bit and the scale times 2^-k (H 1e160 gave scale 0 and
    relative error NaN; H 1e-200 gave scale NaN and relative error 0, a perfect fit)."""
    hm = np.array([[2.0, 1.0], [1.0, 3.0]])
    with plumb.HessianProbe(2, full_matrix=True) as p:
        p.observe(np.array([1.0, 2.0]))
        base = p.compare_matrix(hm)
        # the reference: A = g g^T / |g| (rank one, C_hat = g g^T), |H| = H
        a = np.outer([1.0, 2.0], [1.0, 2.0]) / math.sqrt(5.0)
        assert base["scale"] == pytest.approx(np.sum(a * hm) / np.sum(hm * hm), rel=1e-13)
        c = np.sum(a * hm) / np.sum(a * a)
        assert base["relative_error"] == pytest.approx(np.linalg.norm(c * a - hm) / np.linalg.norm(hm), rel=1e-13)
        for k in (-1070, -1000, -600, 600, 1000):
            rep = p.compare_matrix(hm * 2.0 ** k)
            assert rep["relative_error"] == base["relative_error"], k
            if abs(k) <= 1000:
                assert rep["scale"] * 2.0 ** k == base["scale"], k
        for s in (1e160, 1e-200):
            rep = p.compare_matrix(hm * s)
            assert rep["relative_error"] == pytest.approx(base["relative_error"], rel=1e-14)
            assert rep["scale"] * s == pytest.approx(base["scale"], rel=1e-14)


def test_compare_matrix_accepts_any_finite_reference():
    """(H + H^T)/2 overflowed for entries near 1e308 and was blamed on the reference."""
    with plumb.HessianProbe(2, full_matrix=True) as p:
        p.observe(np.array([1.0, 2.0]))
        ones = p.compare_matrix(np.ones((2, 2)))
        big = p.compare_matrix(np.full((2, 2), 1e308))
        assert big["relative_error"] == pytest.approx(ones["relative_error"], rel=1e-14)
        assert big["scale"] * 1e308 == pytest.approx(ones["scale"], rel=1e-14)
        top = np.finfo(np.float64).max
        skew = p.compare_matrix(np.array([[top, top], [top / 2, -top]]))  # symmetric part 0.75 top off the diagonal
        assert math.isfinite(skew["relative_error"]) and math.isfinite(skew["scale"]), skew


def test_full_matrix_with_huge_gradients():
    """C entries near 1e308 (gradients ~1e154), whose eigenvalue |g|^2 = 3e308 overflows: sqrtm(C_hat)
    is computed on an exactly rescaled C (it gave +inf, and compare_matrix a DOMAIN error).
    Gradients beyond ~1.3e154 overflow C itself: PLUMB_ERR_DOMAIN saying so, not an error about a
    matrix the caller never gave."""
    g = np.array([1e154, -1e154, 1e154])
    with plumb.HessianProbe(3, full_matrix=True) as p:
        p.observe(g)
        # one step: C_hat = g g^T (up to the rounding of 1 - beta2), sqrtm = g g^T / |g|
        want = 1e154 / math.sqrt(3.0)  # g_i^2 / |g|
        np.testing.assert_allclose(p.implied_diag("full"), [want] * 3, rtol=1e-13)
        rep = p.compare_matrix(np.outer(g, g))  # |H| = H: A = |H| / |g|
        assert rep["scale"] == pytest.approx(1 / (math.sqrt(3.0) * 1e154), rel=1e-13)
        assert rep["relative_error"] < 1e-14
    with plumb.HessianProbe(3, full_matrix=True) as p:
        p.observe(np.array([1e155, 1.0, 2.0]))
        np.testing.assert_array_equal(p.implied_diag("rms"), [math.inf, 1.0, 2.0])
        for call in (lambda: p.implied_diag("full"), lambda: p.compare(np.ones(3), "full"),
                     lambda: p.compare_matrix(np.eye(3))):
            with pytest.raises(plumb.PlumbError) as e:
                call()
            assert e.value.status == 2
            assert "second-moment matrix C overflowed" in e.value.message and "1.3e154" in e.value.message


def test_belief_epsilon_dominated_uses_the_root_itself():
    """sqrt(s_hat) = 1 + 2^-52 > eps = 1; recovered as (sqrt(s_hat) + eps) - eps it was 1 = eps."""
    with plumb.HessianProbe(1, beta1=0.5, beta2=0.0, epsilon=1.0) as p:
        p.observe(np.array([2 * (1 + 2**-52)]))  # m = g/2, s = (g/2)^2
        assert p.compare(np.ones(1), "belief")["epsilon_dominated"] == 0.0
    with plumb.HessianProbe(1, beta1=0.5, beta2=0.0, epsilon=1.0) as p:
        p.observe(np.array([2.0]))  # sqrt(s_hat) = 1 = eps exactly: dominated
        assert p.compare(np.ones(1), "belief")["epsilon_dominated"] == 1.0


@pytest.mark.parametrize("beta2", [0.9, 0.99])
def test_constant_gradient_error_within_documented_bound(beta2):
    """The header's accuracy note: a constant gradient stalls the binary64 EMA, to the order of
    0.5 / (1 - beta2) ulps from the exact sqrt(v_hat) = |g| (exact: v_t = (1 - beta2^t) g^2). These
    gradients stay within it; the worst measured (70 ulps at beta2 = 0.99) is 1.4 times it."""
    g = np.array([1.7, 1.3, 0.7, 3.1, 2.5, 1.1])
    with plumb.HessianProbe(6, beta2=beta2) as p:
        for _ in range(20000):
            p.observe(g)
        got = p.implied_diag("rms")
    stats = plumb.compare(got, g)
    assert 1 < stats["max_ulp"] <= 0.5 / (1 - beta2) + 2, stats


def test_unknown_estimator_message_shows_the_value_passed():
    # Regression: the shared enum check printed the unsigned raw value ("e = 4294967295" for -1).
    with plumb.HessianProbe(3) as p:
        p.observe(np.ones(3))
        with pytest.raises(plumb.PlumbError, match=r"e = -1 is not a known value"):
            p.implied_diag(-1)


@pytest.mark.parametrize("scale", [1e300, 1e150, 1e-300, 2.0**-1000])
def test_hutchinson_std_error_at_extreme_scales(scale):
    # Regression: Welford's sum of squared deviations overflowed for products near 1e300
    # (std_error +inf) and underflowed near 1e-300 (std_error 0). Same probes (seed), H scaled:
    # both outputs scale with it.
    H = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, -1.0], [0.5, -1.0, 1.0]])
    d1, s1 = plumb.hutchinson_diag(lambda v: H @ v, 3, samples=50, seed=3)
    d2, s2 = plumb.hutchinson_diag(lambda v: (H * scale) @ v, 3, samples=50, seed=3)
    np.testing.assert_allclose(d2 / scale, d1, rtol=1e-14)
    np.testing.assert_allclose(s2 / scale, s1, rtol=1e-14)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_hutchinson_std_error_when_the_first_products_vanish(scale):
    # Regression: the scale of the squared deviations came from the first probe alone; with seed 1
    # the first probe of [[1, 1], [1, 1]] is (+1, -1), whose products are 0, so the scale stayed 1
    # and std_error came out +inf (1e200) or 0 (1e-200). Coordinates of unrelated scales too:
    # each keeps its own.
    H = np.array([[1.0, 1.0], [1.0, 1.0]])
    d1, s1 = plumb.hutchinson_diag(lambda v: H @ v, 2, samples=20, seed=1)
    d2, s2 = plumb.hutchinson_diag(lambda v: (H * scale) @ v, 2, samples=20, seed=1)
    assert np.all(s1 > 0) and np.all(np.isfinite(s1))
    np.testing.assert_allclose(d2 / scale, d1, rtol=1e-14)
    np.testing.assert_allclose(s2 / scale, s1, rtol=1e-14)
    D = np.diag([1e200, 1.0, 1e-200]) @ np.array([[2.0, 1.0, 0.5], [1.0, 3.0, -1.0], [0.5, -1.0, 1.0]])
    d, s = plumb.hutchinson_diag(lambda v: D @ v, 3, samples=30, seed=4)
    for i, c in enumerate((1e200, 1.0, 1e-200)):
        row = np.array([2.0, 1.0, 0.5, 1.0, 3.0, -1.0, 0.5, -1.0, 1.0]).reshape(3, 3)[i] * c
        dr, sr = plumb.hutchinson_diag(lambda v: np.where(np.arange(3) == i, row @ v, 0.0), 3, samples=30, seed=4)
        np.testing.assert_allclose(s[i], sr[i], rtol=1e-14)
        assert 0 < s[i] < np.inf
