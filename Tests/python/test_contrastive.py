"""InfoNCE / FlatNCE: float kernels against the exact references (ULP bounds), the exact
references against mpmath (100 digits), special cases and every error path of the wrappers."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

import plumb

GAPS = [-50, -10, 0, 2, 5, 10, 20, 30, 50, 90, 100]
KINDS = ["infonce", "flatnce"]


def make_scores(rng, rows, cols, gap, tau, center=0.0, dtype=np.float64):
    """Negatives ~ N(0, tau^2) around `center`; positive = max negative + gap * tau."""
    s = rng.normal(size=(rows, cols)) * tau
    pos = rng.integers(0, cols, rows)
    s[np.arange(rows), pos] = s.max(axis=1) + gap * tau
    s = (s + center).astype(dtype)
    return s, pos.astype(np.int64)


def f64_loss_error(loss, exact, kind):
    """ULP error of the f64 loss: relative for InfoNCE, against max(|loss|, 1) for FlatNCE."""
    if kind == "infonce":
        return plumb.compare(loss, exact)["max_ulp"]
    finite = np.isfinite(exact)
    assert np.array_equal(loss[~finite], exact[~finite])
    return float(np.max(np.abs(loss[finite] - exact[finite]) / np.maximum(np.abs(exact[finite]), 1.0)
                        / 2.0**-52, initial=0.0))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tau,center", [(1.0, 0.0), (0.07, 0.0), (0.07, 0.9e4 * 0.07), (1.0, -0.95e4)])
def test_float_kernels_within_ulp_bounds_at_every_gap(kind, tau, center):
    rng = np.random.default_rng(abs(hash((kind, tau, center))) % 2**32)
    for gap in GAPS:
        for cols in (2, 3, 64):
            s, pos = make_scores(rng, 6, cols, gap, tau, center)
            if cols > 2:
                s[0, (pos[0] + 1) % cols] = -np.inf  # a masked negative
            pos[1] = -1  # an ignored row
            s32 = s.astype(np.float32)
            tau32 = float(np.float32(tau))
            el, eg = getattr(plumb.exact, kind)(s32.astype(np.float64), pos, tau32)
            l32, g32 = getattr(plumb, kind)(s32, pos, tau32)
            assert l32.dtype == np.float32 and g32.dtype == np.float32
            cl, cg = plumb.compare(l32, el), plumb.compare(g32, eg)
            where = (kind, gap, cols, tau, center)
            assert cl["special_mismatches"] == 0 and cg["special_mismatches"] == 0, where
            assert cl["max_ulp"] <= 1.0, (where, cl)
            assert cg["max_ulp"] <= 1.0, (where, cg)

            el, eg = getattr(plumb.exact, kind)(s, pos, tau)
            l64, g64 = getattr(plumb, kind)(s, pos, tau)
            assert f64_loss_error(l64, el, kind) <= 4.0, where
            cg = plumb.compare(g64, eg)
            assert cg["special_mismatches"] == 0 and cg["max_ulp"] <= 4.0, (where, cg)


@pytest.mark.parametrize("kind", KINDS)
def test_wide_rows(kind):
    rng = np.random.default_rng(3)
    for gap in (0, 30, 90):
        s, pos = make_scores(rng, 2, 1000, gap, 0.07)
        el, eg = getattr(plumb.exact, kind)(s, pos, 0.07)
        l64, g64 = getattr(plumb, kind)(s, pos, 0.07)
        assert f64_loss_error(l64, el, kind) <= 4.0
        assert plumb.compare(g64, eg)["max_ulp"] <= 4.0
        s32 = s.astype(np.float32)
        t32 = float(np.float32(0.07))
        el, eg = getattr(plumb.exact, kind)(s32.astype(np.float64), pos, t32)
        l32, g32 = getattr(plumb, kind)(s32, pos, t32)
        assert plumb.compare(l32, el)["max_ulp"] <= 1.0
        assert plumb.compare(g32, eg)["max_ulp"] <= 1.0


def mp_reference(kind, row, t, tau):
    """Loss and gradient of one row with mpmath at 100 digits."""
    with mpmath.workdps(100):
        tau_m = mpmath.mpf(tau)
        d = [(mpmath.mpf(v) - mpmath.mpf(row[t])) / tau_m for v in row]
        e = [mpmath.exp(x) if i != t and np.isfinite(row[i]) else mpmath.mpf(0) for i, x in enumerate(d)]
        xi = mpmath.fsum(e)
        if kind == "infonce":
            loss = mpmath.log1p(xi)
            grad = [ei / (1 + xi) / tau_m for ei in e]
            grad[t] = -xi / (1 + xi) / tau_m
        else:
            loss = mpmath.log(xi)
            grad = [ei / xi / tau_m for ei in e]
            grad[t] = -1 / tau_m
        return float(loss), [float(g) for g in grad]


@pytest.mark.parametrize("kind", KINDS)
def test_exact_references_match_mpmath(kind):
    rng = np.random.default_rng(11)
    for gap, tau, cols in [(0, 1.0, 2), (2, 0.07, 5), (30, 0.07, 8), (90, 0.5, 4), (-50, 1.0, 6), (5, 0.07, 7)]:
        s, pos = make_scores(rng, 3, cols, gap, tau)
        if cols > 4:
            s[2, (pos[2] + 2) % cols] = -np.inf
        el, eg = getattr(plumb.exact, kind)(s, pos, tau)
        for r in range(3):
            loss, grad = mp_reference(kind, s[r], int(pos[r]), tau)
            assert el[r] == loss, (kind, gap, r)
            assert eg[r].tolist() == grad, (kind, gap, r)


def test_exact_scores_near_1e4():
    s = np.array([[1e4 * 0.07, 1e4 * 0.07 - 0.5, -1e4 * 0.07]])
    pos = np.array([0])
    for kind in KINDS:
        el, eg = getattr(plumb.exact, kind)(s, pos, 0.07)
        loss, grad = mp_reference(kind, s[0], 0, 0.07)
        assert el[0] == loss and eg[0].tolist() == grad


@pytest.mark.parametrize("row,tau", [([0.0, -7.45e8], 1.0), ([0.0, -1e9, -2e9], 1.0), ([0.0, -1.0], 1e-300),
                                     ([1e300, -1e300], 1.0)])
def test_exact_infonce_when_xi_underflows(row, tau):
    # Regression: exp((s_i - s_t) / tau) below MPFR's default range (2^-2^30) left xi's interval at
    # [0, tiny], and g_t = -xi / ((1 + xi) tau) < 0 could not be certified as -0: PLUMB_ERR_PRECISION
    # after climbing to the precision cap. Exact: loss +0, g_i +0, g_t -0.
    loss, grad = plumb.exact.infonce(np.array(row), 0, temperature=tau)
    assert loss == 0 and not np.signbit(loss)
    assert grad[0] == 0 and np.signbit(grad[0])
    assert np.all(grad[1:] == 0) and not np.any(np.signbit(grad[1:]))


def naive_float32_infonce(s, pos, tau):
    z = s.astype(np.float32) / np.float32(tau)
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    tot = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(pos))
    p = e / tot
    g = p.copy()
    g[rows, pos] -= 1
    return g / np.float32(tau)


def test_naive_formulation_loses_the_gradient_plumb_keeps_it():
    rng = np.random.default_rng(5)
    s, pos = make_scores(rng, 4, 64, 30, 1.0, dtype=np.float32)
    _, eg = plumb.exact.infonce(s.astype(np.float64), pos, 1.0)
    naive = plumb.compare(naive_float32_infonce(s, pos, 1.0), eg)
    _, g = plumb.infonce(s, pos, 1.0)
    ours = plumb.compare(g, eg)
    assert naive["min_bits"] < 4  # the usual formulation: gradient gone at gap 30
    assert ours["min_bits"] >= 23 and ours["max_ulp"] <= 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_rows(dtype):
    inf = np.inf
    s = np.array([[1.0, -inf, -inf, -inf],   # all negatives masked
                  [0.5, 0.5, -inf, -inf],    # one live negative equal to the positive
                  [3.0, 1.0, 2.0, 0.0],      # ignored row
                  [0.0, 1.0, 2.0, 3.0]], dtype=dtype)
    pos = np.array([0, 0, -1, 3])
    l, g = plumb.infonce(s, pos, 0.5)
    assert l[0] == 0 and np.all(g[0] == 0)
    assert l[2] == 0 and np.all(g[2] == 0)
    assert l[1] == dtype(np.log(2.0))
    assert g[1, 0] == -1.0 and g[1, 1] == 1.0 and g[1, 2] == 0
    l, g = plumb.flatnce(s, pos, 0.5)
    assert l[0] == -inf and g[0].tolist() == [-2.0, 0, 0, 0]
    assert l[1] == 0 and g[1].tolist() == [-2.0, 2.0, 0, 0]
    assert l[2] == 0 and np.all(g[2] == 0)
    el, eg = plumb.exact.flatnce(s.astype(np.float64), pos, 0.5)
    assert el[0] == -inf and eg[0].tolist() == [-2.0, 0, 0, 0]
    el, eg = plumb.exact.infonce(s.astype(np.float64), pos, 0.5)
    assert el[0] == 0 and np.all(eg[0] == 0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_domain_errors_name_the_row_and_compute_the_others(kind, dtype):
    fn = getattr(plumb, kind)
    for bad_row, bad in [(1, (1, 2, np.nan)), (2, (2, 0, np.inf)), (1, (1, 3, -np.inf))]:
        s = np.zeros((3, 4), dtype=dtype)
        s[bad[0], bad[1]] = bad[2]
        pos = np.array([0, 3, 1])
        with pytest.raises(plumb.PlumbError) as info:
            fn(s, pos)
        assert info.value.name == "PLUMB_ERR_DOMAIN" and f"row {bad_row}" in info.value.message
    # the other rows are still computed: check through ctypes-level outputs via the exact path too
    s = np.zeros((2, 3))
    s[0, 1] = np.nan
    with pytest.raises(plumb.PlumbError):
        getattr(plumb.exact, kind)(s, np.array([0, 0]))


def test_domain_error_rows_are_nan_other_rows_computed():
    import ctypes
    from plumb._lib import lib
    s = np.zeros((2, 3))
    s[0, 1] = np.nan
    pos = np.array([0, 0], dtype=np.int64)
    loss = np.empty(2)
    grad = np.empty((2, 3))
    p = lambda a, t: a.ctypes.data_as(ctypes.POINTER(t))  # noqa: E731
    st = lib.plumb_infonce_f64(p(s, ctypes.c_double), 2, 3, p(pos, ctypes.c_int64), 1.0,
                               p(loss, ctypes.c_double), p(grad, ctypes.c_double))
    assert st == 2
    assert np.isnan(loss[0]) and np.all(np.isnan(grad[0]))
    el, eg = plumb.exact.infonce(s[1:], pos[1:])
    assert plumb.compare(loss[1:], el)["max_ulp"] <= 4 and plumb.compare(grad[1:], eg)["max_ulp"] <= 4


@pytest.mark.parametrize("kind", KINDS)
def test_argument_errors(kind):
    fn = getattr(plumb, kind)
    s = np.zeros((2, 3))
    pos = np.array([0, 1])
    with pytest.raises(plumb.PlumbError, match="positive\\[1\\] = 3"):
        fn(s, np.array([0, 3]))
    with pytest.raises(plumb.PlumbError, match="positive\\[0\\] = -2"):
        fn(s, np.array([-2, 0]))
    # A shape error is a ValueError before any pointer is passed (it came back from C as PlumbError).
    with pytest.raises(ValueError, match="at least 2 columns"):
        fn(np.zeros((2, 1)), pos)
    with pytest.raises(ValueError, match="at least 2 columns"):
        getattr(plumb.exact, kind)(np.zeros((2, 1)), pos)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="temperature"):
            fn(s, pos, bad)
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match="temperature"):
            fn(s, pos, bad)
    with pytest.raises(TypeError):
        fn(s.astype(np.float16), pos)
    with pytest.raises(TypeError):
        fn(s, pos.astype(np.float64))
    with pytest.raises(ValueError):
        fn(s, np.array([0, 1, 2]))
    with pytest.raises(ValueError):
        fn(np.zeros((3, 2)).T, pos)
    with pytest.raises(TypeError):
        plumb.exact.infonce(s.astype(np.float32), pos)


def test_grad_false_and_one_d_input():
    rng = np.random.default_rng(1)
    s = rng.normal(size=(3, 5))
    pos = np.array([0, 1, 2], dtype=np.int32)
    l, g = plumb.infonce(s, pos, grad=False)
    assert g is None
    l2, g2 = plumb.infonce(s, pos)
    assert np.array_equal(l, l2) and g2.shape == s.shape
    l1, g1 = plumb.flatnce(s[1], 1)
    lf, gf = plumb.flatnce(s, pos)
    assert l1.shape == () and l1 == lf[1] and np.array_equal(g1, gf[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_thread_count_does_not_change_bits(dtype):
    rng = np.random.default_rng(2)
    s = rng.normal(size=(300, 257)).astype(dtype)
    pos = rng.integers(-1, 257, 300)
    before = plumb.get_num_threads()
    try:
        plumb.set_num_threads(1)
        a = plumb.flatnce(s, pos, 0.07)
        plumb.set_num_threads(0)
        b = plumb.flatnce(s, pos, 0.07)
    finally:
        plumb.set_num_threads(before)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_flatnce_gradient_is_infonce_gradient_rescaled():
    rng = np.random.default_rng(4)
    s, pos = make_scores(rng, 4, 16, 5, 1.0)
    li, gi = plumb.exact.infonce(s, pos)
    lf, gf = plumb.exact.flatnce(s, pos)
    xi = np.exp(lf)
    np.testing.assert_allclose(gi, gf * (xi / (1 + xi))[:, None], rtol=1e-13, atol=0)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(cols=st.integers(2, 120), gap=st.one_of(st.floats(-50, 100), st.floats(100, 2e4)),
       spread=st.sampled_from([0.0, 0.1, 1.0, 5.0, 40.0]),
       tau=st.sampled_from([0.07, 0.5, 1.0, 3.7]), center=st.floats(-9000, 9000), seed=st.integers(0, 2**32 - 1),
       masked=st.integers(0, 3))
def test_random_rows_within_bounds(cols, gap, spread, tau, center, seed, masked):
    """Random rows with |s / tau| <= 1e4: f32 <= 1 ULP; f64 <= 4 ULP (FlatNCE loss vs max(|L|, 1))."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(2, cols)) * spread
    pos = rng.integers(0, cols, 2)
    z[np.arange(2), pos] = z.max(axis=1) + gap
    z = np.clip(z + center, -1e4, 1e4)
    for j in range(min(masked, cols - 1)):
        z[0, (pos[0] + 1 + j) % cols] = -np.inf
    s32 = (z * tau).astype(np.float32)
    tau32 = float(np.float32(tau))
    for kind in KINDS:
        el, eg = getattr(plumb.exact, kind)(s32.astype(np.float64), pos, tau32)
        l32, g32 = getattr(plumb, kind)(s32, pos, tau32)
        cl, cg = plumb.compare(l32, el), plumb.compare(g32, eg)
        if kind == "flatnce":  # f32 FlatNCE loss: relative bound except near log(xi) = 0
            with np.errstate(invalid="ignore"):  # -inf - -inf for an all-masked row
                ok = (np.abs(l32.astype(np.float64) - el) <= np.maximum(np.abs(el), 2.0**-20) * 2.0**-23) | (l32 == el)
            assert ok.all(), (l32, el)
        else:
            assert cl["max_ulp"] <= 1.0, cl
        assert cg["max_ulp"] <= 1.0 and cg["special_mismatches"] == 0, cg
        s64 = z * tau
        el, eg = getattr(plumb.exact, kind)(s64, pos, tau)
        l64, g64 = getattr(plumb, kind)(s64, pos, tau)
        assert f64_loss_error(l64, el, kind) <= 4.0
        cg = plumb.compare(g64, eg)
        assert cg["max_ulp"] <= 4.0 and cg["special_mismatches"] == 0, cg


@pytest.mark.parametrize("kind", KINDS)
def test_gaps_beyond_exp_range(kind):
    """Gaps of 1000-19000 temperatures (|s / tau| <= 1e4): every exp(d_i) underflows, yet FlatNCE's
    loss (~ -gap) and gradient (order 1/tau) are exact-ish, and InfoNCE's are correctly 0."""
    s = np.array([[1.0, -1.0, -1.2, -3.0], [9.0, 0.5, -1.0, -np.inf], [0.5, -9.0, 0.4, 0.3]])
    pos = np.array([0, 0, 0])
    tau = 1e-3
    for dtype in (np.float32, np.float64):
        x = s.astype(dtype)
        t = float(dtype(tau))
        el, eg = getattr(plumb.exact, kind)(x.astype(np.float64), pos, t)
        loss, grad = getattr(plumb, kind)(x, pos, t)
        bound = 1.0 if dtype == np.float32 else 4.0
        assert plumb.compare(loss, el)["max_ulp"] <= bound
        cg = plumb.compare(grad, eg)
        assert cg["max_ulp"] <= bound and cg["special_mismatches"] == 0
        if kind == "flatnce":
            assert np.all(loss < -50) and np.all(grad[:, 0] == dtype(-1 / t))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ignored_rows_are_not_read(kind, dtype):
    s = np.array([[np.nan, np.inf, 0.0], [0.0, 1.0, 2.0]], dtype=dtype)
    loss, grad = getattr(plumb, kind)(s, np.array([-1, 2]))
    assert loss[0] == 0 and np.all(grad[0] == 0) and np.isfinite(loss[1])
    el, eg = getattr(plumb.exact, kind)(s.astype(np.float64), np.array([-1, 2]))
    assert el[0] == 0 and np.all(eg[0] == 0)



@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("center", [0.0, 0.9e4 * 0.07, -0.9e4 * 0.07])
def test_float32_at_the_exp_reduction_boundaries(kind, center):
    """The float32 kernels' exp2 polynomial is worst at the reduction boundaries f = +-1/2, i.e. at
    (s_i - s_r) / tau = -(k + 1/2) ln 2: rows made of such scores (k = 0..1000, a few offsets)
    stay within 1 ULP (the error budget in ContrastiveRowF32 gives 0.5 + 2^-3.9)."""
    tau = float(np.float32(0.07))
    ln2 = np.log(2.0)
    rng = np.random.default_rng(17)
    rows, cols = 48, 64
    s = np.empty((rows, cols))
    pos = rng.integers(0, cols, rows)
    for r in range(rows):
        top = center + rng.uniform(-0.5, 0.5)
        k = rng.integers(0, 1000 if r % 2 else 40, cols)
        k[rng.integers(0, cols)] = 0
        offset = rng.choice([0.0, 1e-7, -1e-7, 1e-5], cols)
        s[r] = top - (k + 0.5 + offset) * ln2 * tau
        # positive: the top score (InfoNCE unshifted), or below it (FlatNCE / shifted InfoNCE)
        s[r, pos[r]] = top + (0.5 * ln2 * tau if r % 3 == 0 else -rng.uniform(0, 3) * tau)
    s32 = s.astype(np.float32)
    el, eg = getattr(plumb.exact, kind)(s32.astype(np.float64), pos, tau)
    l32, g32 = getattr(plumb, kind)(s32, pos, tau)
    cl, cg = plumb.compare(l32, el), plumb.compare(g32, eg)
    assert cl["special_mismatches"] == 0 and cg["special_mismatches"] == 0
    assert cl["max_ulp"] <= 1.0, cl
    assert cg["max_ulp"] <= 1.0, cg


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cols", [2, 7, 8, 9, 64, 1001])
def test_float32_batch_rows_equal_rows_alone(kind, cols):
    """The float32 kernels pipeline rows (one row's exps share a loop with the next row's scan and
    the previous row's gradient write); every row must still come out bit for bit as when it is
    computed alone, next to ignored rows, rows outside the domain, all-masked rows and rows whose
    positive is the largest score."""
    import ctypes
    from plumb._lib import lib
    rng = np.random.default_rng(cols)
    rows = 40
    s = (rng.normal(size=(rows, cols)) * 0.3).astype(np.float32)
    pos = rng.integers(0, cols, rows).astype(np.int64)
    s[3, pos[3]] = s[3].max() + 1  # positive is the largest score
    s[4, pos[4]] = s[4].max()  # ties with the largest negative
    pos[[5, 6, 20]] = -1  # ignored rows (6 holds NaN: not read)
    s[6, 0] = np.nan
    s[9, (pos[9] + 1) % cols] = np.nan  # outside the domain
    s[10, pos[10]] = np.inf
    s[11, :] = -np.inf  # every negative masked
    s[11, pos[11]] = 0.5
    s[12, (pos[12] + 1) % cols] = np.inf
    fn = getattr(lib, f"plumb_{kind}_f32")
    p = lambda a, t: a.ctypes.data_as(ctypes.POINTER(t))  # noqa: E731
    tau = 0.07
    for with_grad in (True, False):
        loss = np.empty(rows, np.float32)
        grad = np.empty((rows, cols), np.float32)
        gp = p(grad, ctypes.c_float) if with_grad else None
        assert fn(p(s, ctypes.c_float), rows, cols, p(pos, ctypes.c_int64), tau, p(loss, ctypes.c_float), gp) == 2
        assert "row 9" in lib.plumb_last_error().decode()
        for r in range(rows):
            l1 = np.empty(1, np.float32)
            g1 = np.empty((1, cols), np.float32)
            row = np.ascontiguousarray(s[r:r + 1])
            fn(p(row, ctypes.c_float), 1, cols, p(pos[r:r + 1].copy(), ctypes.c_int64), tau, p(l1, ctypes.c_float),
               p(g1, ctypes.c_float) if with_grad else None)
            assert l1.tobytes() == loss[r:r + 1].tobytes(), (r, l1, loss[r])
            if with_grad:
                assert g1.tobytes() == grad[r:r + 1].tobytes(), r


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cols,offset", [(4099, 0), (4099, 4), (1024, 12), (1024, 16), (17, 60), (16, 4), (15, 8),
                                         (14, 4), (9, 28), (3, 20), (2, 4)])
def test_float32_streamed_gradient_equals_cached_writes(kind, cols, offset):
    """A float32 gradient of 32 MiB or more is written past the caches (non-temporal stores from
    the first 32-byte boundary of each row of 15 columns or more); it must be bit for bit the
    gradient computed in batches small enough for plain stores, whatever the row's alignment
    (`offset` bytes past a 64-byte boundary), with the positive anywhere (before the first
    streamed column, in the streamed part, in the tail), ignored rows (every third row, next to
    rows of every alignment), outside-the-domain and all-masked rows, and not one float written
    outside the gradient. (Regression: rows shorter than their alignment peel overran into the
    next rows and past the buffer.)"""
    rng = np.random.default_rng(cols * 100 + offset)
    rows = -(-(33 << 20) // (4 * cols))
    s = (rng.normal(size=(rows, cols)) * 0.3).astype(np.float32)
    pos = rng.integers(0, cols, rows).astype(np.int64)
    pos[:8] = np.arange(8) % cols  # positives in the first columns
    pos[8:12] = cols - 1 - np.arange(4) % cols  # and in the last
    pos[20::3] = -1
    s[22, (pos[22] + 1) % cols] = np.nan
    s[23, :] = -np.inf
    s[23, pos[23]] = 0.5
    guard = 64
    buf = np.full(rows * cols + 3 * guard, 7.0, np.float32)
    start = guard + ((-buf.ctypes.data) % 64 + offset) // 4
    grad = buf[start:start + rows * cols].reshape(rows, cols)
    assert grad.ctypes.data % 64 == offset
    loss = np.empty(rows, np.float32)
    fn = getattr(plumb, kind)
    for threads in (2, 1):
        plumb.set_num_threads(threads)
        try:
            with pytest.raises(plumb.PlumbError, match="row 22"):  # the other rows are still computed
                fn(s, pos, 0.07, loss_out=loss, grad_out=grad)
        finally:
            plumb.set_num_threads(0)
        assert np.all(buf[:start] == 7.0) and np.all(buf[start + rows * cols:] == 7.0), threads
        step = (8 << 20) // (4 * cols)  # 8 MiB batches: plain stores
        for a in range(0, rows, step):
            b = min(rows, a + step)
            l1, g1 = np.empty(b - a, np.float32), np.empty((b - a, cols), np.float32)
            try:
                fn(s[a:b], pos[a:b], 0.07, loss_out=l1, grad_out=g1)
            except plumb.PlumbError:
                assert a <= 22 < b
            assert g1.tobytes() == grad[a:b].tobytes() and l1.tobytes() == loss[a:b].tobytes(), (threads, a)


@pytest.mark.parametrize("cols", [2, 11, 64])
def test_float64_infonce_subnormal_range(cols):
    """Gaps of 700-760 temperatures put float64 InfoNCE's xi, loss and gradients in (or below) the
    subnormal range, where rounding each exp to a subnormal cost 5-30 ULPs (hypothesis found it);
    the kernel re-sums such rows scaled by 2^600: within 4 ULP like everywhere else."""
    rng = np.random.default_rng(cols)
    for gap in [700, 708, 709, 710, 711, 712, 720, 740, 745, 746, 750, 760]:
        for spread in (0.0, 0.3):
            z = rng.normal(size=(3, cols)) * spread
            pos = rng.integers(0, cols, 3)
            z[np.arange(3), pos] = z.max(axis=1) + gap
            s = z * 0.07
            el, eg = plumb.exact.infonce(s, pos, 0.07)
            l64, g64 = plumb.infonce(s, pos, 0.07)
            assert f64_loss_error(l64, el, "infonce") <= 4.0, (gap, spread)
            cg = plumb.compare(g64, eg)
            assert cg["max_ulp"] <= 4.0 and cg["special_mismatches"] == 0, (gap, spread, cg)


@pytest.mark.parametrize("kind", ["infonce", "flatnce"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_preallocated_outputs(kind, dtype):
    # loss_out / grad_out are filled and returned, bitwise the same as fresh outputs, and reused.
    fn = getattr(plumb, kind)
    rng = np.random.default_rng(21)
    s = rng.normal(size=(9, 33)).astype(dtype)
    pos = rng.integers(0, 33, 9)
    pos[3] = -1
    loss_ref, grad_ref = fn(s, pos, 0.3)
    loss_out, grad_out = np.full(9, np.nan, dtype), np.full((9, 33), np.nan, dtype)
    for _ in range(2):
        loss, grad = fn(s, pos, 0.3, loss_out=loss_out, grad_out=grad_out)
        assert loss is loss_out and grad is grad_out
        assert loss.tobytes() == loss_ref.tobytes() and grad.tobytes() == grad_ref.tobytes()
    # Loss only, and a single row (0-d loss_out).
    loss, grad = fn(s, pos, 0.3, grad=False, loss_out=loss_out)
    assert grad is None and loss.tobytes() == loss_ref.tobytes()
    one = np.empty((), dtype)
    loss1, _ = fn(s[0], int(pos[0]), 0.3, loss_out=one)
    assert loss1 is one and one.tobytes() == loss_ref[0].tobytes()


@pytest.mark.parametrize("kind", ["infonce", "flatnce"])
def test_preallocated_outputs_are_checked(kind):
    fn = getattr(plumb, kind)
    s = np.zeros((4, 5), np.float32)
    pos = np.zeros(4, np.int64)
    good_loss, good_grad = np.empty(4, np.float32), np.empty((4, 5), np.float32)
    with pytest.raises(TypeError):
        fn(s, pos, loss_out=np.empty(4, np.float64))
    with pytest.raises(TypeError):
        fn(s, pos, grad_out=[0.0] * 20)
    with pytest.raises(ValueError):
        fn(s, pos, loss_out=np.empty(5, np.float32))
    with pytest.raises(ValueError):
        fn(s, pos, grad_out=np.empty((5, 4), np.float32))
    with pytest.raises(ValueError):
        fn(s, pos, grad_out=np.empty((4, 10), np.float32)[:, ::2])     # not contiguous
    ro = np.empty((4, 5), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        fn(s, pos, grad_out=ro)
    with pytest.raises(ValueError):
        fn(s, pos, grad_out=s)                                           # aliases the scores
    with pytest.raises(ValueError):
        fn(s, pos, loss_out=s[0, :4])                                    # aliases the scores
    with pytest.raises(ValueError):
        fn(s, pos, grad=False, grad_out=good_grad)
    fn(s, pos, loss_out=good_loss, grad_out=good_grad)                   # and the good ones work


def test_exact_loss_at_a_rounding_midpoint_plus_a_vanishing_term():
    """Loss = m + log(1 + e^-m) (InfoNCE) or d + log(S), S = 1 + e^-huge (FlatNCE), with m or d a
    binary64 midpoint: the value is strictly above it and rounds up, but no MPFR precision up to
    the cap separated the two, so the exact references returned PLUMB_ERR_PRECISION."""
    from fractions import Fraction
    up = float(2**53 + 2)
    assert plumb.exact.infonce(np.array([[-1.0, 2.0**53]]), np.array([0]), 1.0)[0][0] == up
    assert plumb.exact.flatnce(np.array([[-0.5, 2.0**52, -1.0]]), np.array([0]), 0.5)[0][0] == up
    s = [-8.731612020182267e-102, -0.36821856504604455, 2.2475049154614847e-102]
    m = (Fraction(s[2]) - Fraction(s[0])) * 2**950          # a midpoint: its float rounds to even
    above = float(m) if Fraction(float(m)) > m else float(np.nextafter(float(m), np.inf))
    assert plumb.exact.infonce(np.array([s]), np.array([0]), 2.0**-950)[0][0] == above


@pytest.mark.parametrize("kind", KINDS)
def test_float64_losses_just_below_overflow(kind):
    """Losses between DBL_MAX / 2 and DBL_MAX, at temperatures in [2^-1024, 2^-1023) (and
    below): the difference of scores was scaled by 2^-exponent(tau), which overflows for a
    difference of 1 at tau = 1.1e-308 though the loss is 9.1e307 (it came out +inf)."""
    for s in (np.array([[0.0, 1.0]]), np.array([[0.0, 1.9, -3.0]]), np.array([[0.5, -1.0, 1.5]])):
        for tau in (1.1e-308, 1.2e-308, 6e-309, 2e-308):
            loss, grad = getattr(plumb, kind)(s, np.array([0]), tau)
            el, eg = getattr(plumb.exact, kind)(s, np.array([0]), tau)
            cl, cg = plumb.compare(loss, el), plumb.compare(grad, eg)
            assert cl["max_ulp"] <= 4.0 and cl["special_mismatches"] == 0, (s, tau, loss, el)
            assert cg["max_ulp"] <= 4.0 and cg["special_mismatches"] == 0, (s, tau, grad, eg)
    loss, _ = getattr(plumb, kind)(np.array([[0.0, 1.0]]), np.array([0]), 1.1e-308)
    assert loss[0] == getattr(plumb.exact, kind)(np.array([[0.0, 1.0]]), np.array([0]), 1.1e-308)[0] < np.inf


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("tau", [1e-4, 1e-8, 1e-100, 1e-300, 1e-310, 1e-320, 5e-324, 1e10, 1e300, 1e305])
def test_float64_within_ulp_bounds_at_extreme_temperatures(kind, tau):
    """|s / tau| <= 1e4 at any tau: the float64 kernels work with tau = T 2^E (T in [1, 2)), so
    neither a tiny denominator (NaN or -0 gradients, 330 ULP at subnormal tau), the rounding of
    log((1 + xi) tau) (8 ULP at tau = 1e-4, 480 at 1e-300 for far-trailing negatives) nor an
    overflowing s_r - s_t (a loss of +-inf for scores near +-1.7e308) spoil them."""
    rng = np.random.default_rng(int(-np.log10(tau) * 7) % 1000)
    for trial in range(12):
        cols = int(rng.integers(2, 34))
        z = rng.normal(size=(3, cols)) * rng.choice([1.0, 30.0, 300.0])
        pos = rng.integers(0, cols, 3)
        z[np.arange(3), pos] += rng.choice([0.0, 30.0, 90.0, 700.0, 1200.0, -50.0])
        s = np.clip(z, -1e4, 1e4) * tau
        if trial % 4 == 0:
            s[0, (pos[0] + 1) % cols] = -np.inf
        loss, grad = getattr(plumb, kind)(s, pos, tau)
        el, eg = getattr(plumb.exact, kind)(s, pos, tau)
        assert f64_loss_error(loss, el, kind) <= 4.0, (trial, loss, el)
        cg = plumb.compare(grad, eg)
        assert cg["max_ulp"] <= 4.0 and cg["special_mismatches"] == 0, (trial, cg)
    # Scores at the ends of binary64: s_r - s_t overflows, d = 3400 does not.
    if tau == 1e305:
        for s in (np.array([[-1.7e308, 1.7e308]]), np.array([[1.7e308, -1.7e308]])):
            loss, _ = getattr(plumb, kind)(s, np.array([0]), tau)
            assert loss[0] == getattr(plumb.exact, kind)(s, np.array([0]), tau)[0]
    # All-zero scores at a subnormal tau: gradients of +-1/(cols tau) overflow to +-inf, not NaN.
    if tau <= 1e-310:
        _, grad = getattr(plumb, kind)(np.zeros((1, 3)), np.array([0]), tau)
        _, eg = getattr(plumb.exact, kind)(np.zeros((1, 3)), np.array([0]), tau)
        assert np.array_equal(grad, eg), (grad, eg)
