"""Embedding-level contrastive loss: against a float64 numpy reference and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import plumb


def reference(a, b, tau, kind, normalize, symmetric):
    """Plain float64 numpy: loss and analytic gradients (autograd-free, by the chain rule)."""
    na = np.linalg.norm(a, axis=1, keepdims=True) if normalize else np.ones((len(a), 1))
    nb = np.linalg.norm(b, axis=1, keepdims=True) if normalize else np.ones((len(b), 1))
    ah, bh = a / na, b / nb
    s = ah @ bh.T
    n = len(a)

    def rows(sc):
        z = sc / tau
        zt = np.diag(z).copy()
        off = z - zt[:, None]
        np.fill_diagonal(off, -np.inf)
        e = np.exp(off)
        xi = e.sum(axis=1)
        if kind == "infonce":
            loss = np.log1p(xi)
            g = e / (1 + xi)[:, None]
            np.fill_diagonal(g, -xi / (1 + xi))
        else:
            loss = np.log(xi)
            g = e / xi[:, None]
            np.fill_diagonal(g, -1.0)
        return loss.mean(), g / tau / n

    loss, g = rows(s)
    if symmetric:
        l2, g2 = rows(s.T)
        loss, g = (loss + l2) / 2, (g + g2.T) / 2
    da, db = g @ bh, g.T @ ah
    if normalize:
        da = (da - ah * (ah * da).sum(axis=1, keepdims=True)) / na
        db = (db - bh * (bh * db).sum(axis=1, keepdims=True)) / nb
    return loss, da, db


@pytest.mark.parametrize("kind", ["infonce", "flatnce"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("symmetric", [True, False])
def test_matches_numpy_reference(kind, normalize, symmetric):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    tau = 0.2
    loss, ga, gb = plumb.contrastive_embeddings(a, b, tau, kind, normalize, symmetric)
    rl, ra, rb = reference(a, b, tau, kind, normalize, symmetric)
    np.testing.assert_allclose(loss, rl, rtol=1e-13)
    np.testing.assert_allclose(ga, ra, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(gb, rb, rtol=1e-11, atol=1e-14)
    l32, g32a, g32b = plumb.contrastive_embeddings(a.astype(np.float32), b.astype(np.float32), tau, kind,
                                                   normalize, symmetric)
    assert l32.dtype == np.float32 and g32a.dtype == np.float32
    rl, ra, rb = reference(a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64),
                           float(np.float32(tau)), kind, normalize, symmetric)
    np.testing.assert_allclose(l32, rl, rtol=2e-7)
    np.testing.assert_allclose(g32a, ra, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", ["infonce", "flatnce"])
def test_finite_differences(kind):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, ga, gb = plumb.contrastive_embeddings(a, b, 0.5, kind)
    h = 1e-6
    for m, g in ((a, ga), (b, gb)):
        for idx in np.ndindex(m.shape):
            old = m[idx]
            m[idx] = old + h
            up = plumb.contrastive_embeddings(a, b, 0.5, kind, grad=False)[0]
            m[idx] = old - h
            down = plumb.contrastive_embeddings(a, b, 0.5, kind, grad=False)[0]
            m[idx] = old
            assert abs((up - down) / (2 * h) - g[idx]) < 1e-7


def test_errors():
    a = np.ones((3, 2))
    with pytest.raises(ValueError):
        plumb.contrastive_embeddings(a, np.ones((2, 2)))
    with pytest.raises(TypeError):
        plumb.contrastive_embeddings(a, a.astype(np.float32))
    with pytest.raises(ValueError):
        plumb.contrastive_embeddings(a, a, loss="nce")
    with pytest.raises(ValueError):
        plumb.contrastive_embeddings(a, a, temperature=0)
    with pytest.raises(ValueError, match="n >= 2"):
        plumb.contrastive_embeddings(np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="dim >= 1"):
        plumb.contrastive_embeddings(np.ones((2, 0)), np.ones((2, 0)))
    z = a.copy()
    z[1] = 0
    with pytest.raises(plumb.PlumbError, match="zero norm") as info:
        plumb.contrastive_embeddings(z, a)
    assert info.value.name == "PLUMB_ERR_DOMAIN"
    plumb.contrastive_embeddings(z, a, normalize=False)  # zero rows are fine without normalising
    # Tiny rows are not zero rows: normalisation is scale-free (squares of 1e-300 underflow; the
    # kernel scales first). Scaling a row by a power of two changes nothing but that row's
    # gradient, which scales inversely, bit for bit.
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    want, ga, gb = plumb.contrastive_embeddings(x, y)
    for scale in (2.0**-1000, 2.0**-600, 2.0**600, 2.0**1000):
        xs = x.copy()
        xs[1] *= scale
        got, gas, gbs = plumb.contrastive_embeddings(xs, y)
        assert got == want and np.array_equal(gbs, gb), scale
        assert np.array_equal(gas[1] * scale, ga[1]) and np.array_equal(np.delete(gas, 1, 0), np.delete(ga, 1, 0))
    bad = a.copy()
    bad[2, 1] = np.nan
    with pytest.raises(plumb.PlumbError, match="row 2"):
        plumb.contrastive_embeddings(a, bad)


def test_work_space_too_large_is_a_status_not_a_crash():
    # n = 2^20 pairs of 1-dim embeddings (8 MB in) would need 2^43 bytes of n x n work space.
    a = np.ones((1 << 20, 1), dtype=np.float32)
    with pytest.raises(plumb.PlumbError, match="cannot allocate") as info:
        plumb.contrastive_embeddings(a, a, normalize=False)
    assert info.value.name == "PLUMB_ERR_NO_MEMORY"


def test_overflowing_row_losses():
    # Regression: a row loss of +inf (tau = 1e-310) made the compensated mean NaN with PLUMB_OK.
    # Row losses beyond binary64 enter the mean from their parts: here the means are 1e310 and
    # (FlatNCE: rows of +2e310 and -4e310) -1e310, beyond binary64 too, so +-inf with PLUMB_OK.
    a, b = np.array([[1.0], [2.0]]), np.array([[-1.0], [1.0]])
    for symmetric in (False, True):
        for kind, want in (("infonce", np.inf), ("flatnce", -np.inf)):
            loss, _, _ = plumb.contrastive_embeddings(a, b, loss=kind, normalize=False, symmetric=symmetric,
                                                      temperature=1e-310, grad=False)
            assert loss == want, (kind, symmetric, loss)
    # A share of the mean beyond 2^1088 (2e328): +inf, not an error.
    loss, _, _ = plumb.contrastive_embeddings(np.array([[1.0], [1.0]]), np.array([[-1e5], [1e5]]), loss="infonce",
                                              normalize=False, temperature=5e-324, grad=False)
    assert loss == np.inf
    # Shares of the mean beyond 2^1088 with opposite signs have no binary64 mean.
    a, b = np.array([[1e308], [1e308]]), np.array([[-1.0], [1.0]])  # rows of +-4e631
    with pytest.raises(plumb.PlumbError, match="opposite signs") as info:
        plumb.contrastive_embeddings(a, b, loss="flatnce", normalize=False, temperature=5e-324, grad=False)
    assert info.value.name == "PLUMB_ERR_DOMAIN"


def mp_reference(a, b, tau, kind, normalize, symmetric):
    """The loss and gradients in 300-bit mpmath (no overflow, no underflow), as binary64."""
    import mpmath as mp
    with mp.workprec(300):
        A = [[mp.mpf(float(x)) for x in r] for r in a]
        B = [[mp.mpf(float(x)) for x in r] for r in b]
        t, n, d = mp.mpf(float(tau)), len(A), len(A[0])

        def unit(M):
            norms = [mp.sqrt(mp.fsum(x * x for x in r)) if normalize else mp.mpf(1) for r in M]
            return [[x / q for x in r] for r, q in zip(M, norms)], norms

        ua, na = unit(A)
        ub, nb = unit(B)
        S = [[mp.fsum(ua[i][k] * ub[j][k] for k in range(d)) for j in range(n)] for i in range(n)]

        def rows(Sm):
            total, G = mp.mpf(0), [[mp.mpf(0)] * n for _ in range(n)]
            for i in range(n):
                e = [mp.exp((Sm[i][j] - Sm[i][i]) / t) if j != i else mp.mpf(0) for j in range(n)]
                xi = mp.fsum(e)
                den = (1 + xi) if kind == "infonce" else xi
                total += mp.log1p(xi) if kind == "infonce" else mp.log(xi)  # 1 + xi may round to 1
                for j in range(n):
                    G[i][j] = e[j] / (den * t) / n
                G[i][i] = (-xi / ((1 + xi) * t) if kind == "infonce" else -1 / t) / n
            return total / n, G

        loss, G = rows(S)
        if symmetric:
            l2, G2 = rows([list(r) for r in zip(*S)])
            loss = (loss + l2) / 2
            G = [[(G[i][j] + G2[j][i]) / 2 for j in range(n)] for i in range(n)]

        def back(Gm, other, own, norms):
            out = []
            for i in range(n):
                dv = [mp.fsum(Gm[i][j] * other[j][k] for j in range(n)) for k in range(d)]
                if normalize:
                    p = mp.fsum(own[i][k] * dv[k] for k in range(d))
                    dv = [(dv[k] - own[i][k] * p) / norms[i] for k in range(d)]
                out.append([float(x) for x in dv])
            return np.array(out)

        GT = [list(r) for r in zip(*G)]
        return float(loss), back(G, ub, ua, na), back(GT, ua, ub, nb)


def assert_close(got, want, rel=1e-13):
    """Same infinities and zeros, no NaN, and finite values within `rel`."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert not np.isnan(got).any(), got
    assert np.array_equal(np.isinf(got), np.isinf(want)) and np.array_equal(got[np.isinf(got)], want[np.isinf(want)])
    assert np.array_equal(got == 0, want == 0), (got, want)
    fin = np.isfinite(want) & (want != 0)
    assert np.all(np.abs(got[fin] - want[fin]) <= rel * np.abs(want[fin])), (got, want)


DBL_MAX = np.finfo(np.float64).max
SUBNORMAL_A = np.random.default_rng(7).standard_normal((3, 2)) * 2.0**-1000
SUBNORMAL_B = np.random.default_rng(8).standard_normal((3, 2)) * 2.0**-70  # scores ~2^-1070


@pytest.mark.parametrize("a, b, tau, kind, normalize, symmetric", [
    # Row norms beyond DBL_MAX: the norm overflowed and the row became zeros (loss log 2).
    ([[DBL_MAX, DBL_MAX], [DBL_MAX, -DBL_MAX]], [[DBL_MAX, DBL_MAX], [-DBL_MAX, DBL_MAX]], 0.5, "infonce", True, True),
    ([[1.5e308, 1.5e308], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], 1.0, "infonce", True, False),
    # Subnormal rows: divided by a norm rounded to subnormal precision (9e-6 relative off).
    ([[3e-320, 1e-320], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], 1.0, "infonce", True, False),
    ([[5e-324, 0.0], [0.0, 5e-324]], [[5e-324, 5e-324], [0.0, -5e-324]], 0.5, "flatnce", True, True),
    # Subnormal temperatures: score gradients ~1 / tau overflow; G b gave inf - inf = NaN.
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], 5e-324, "infonce", True, False),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], 5e-324, "infonce", True, True),
    ([[1.0, 2.0], [1.0, 2.0], [0.5, 1.0]], [[2.0, 1.0], [2.0, 1.0], [2.0, 1.0]], 3e-310, "flatnce", True, False),
    ([[1.0, 2.0], [1.0, 2.0]], [[2.0, 1.0], [4.0, 2.0]], 1e-320, "infonce", False, True),
    # A dot product that overflows mid-sum although the score is 0.
    ([[1e308, 1e308, -1e308, -1e308], [1.0, 0.0, 0.0, 0.0]], [[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]],
     1.0, "infonce", False, False),
    # Columns of b far below its largest entry: one exponent for all of b flushed them to 0.
    ([[1.0, 0.0], [-1.0, 1.0], [0.0, 1.0]], [[1e300, 0.0], [0.0, 1e-300], [0.0, 2e-300]], 1.0, "flatnce", False, False),
    # Nearly axis-aligned rows: d_k - u_k (u . d) cancelled (7% off) for the dominant entry.
    ([[1.7e308, -1e308], [5e-324, 1e-310], [1e300, 1e-300]], [[1e308, 1.7e308], [-5e-324, 2e-310], [-1e-300, 1e300]],
     0.1, "infonce", True, True),
    # Row losses of 9.1e307: their sum overflows, their mean does not.
    ([[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]], 1.1e-308, "infonce", False, True),
    # Row losses beyond binary64 (score gaps of 2.2e308 and 1e308 temperatures), means within it:
    # they made the loss +-inf, the gradients being finite.
    ([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
     4.5e-309, "infonce", False, False),
    ([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
     4.5e-309, "infonce", False, True),
    ([[1.0], [-1.0], [1.0]], [[-1.0], [1.0], [1.0]], 1e-308, "flatnce", False, False),  # +2e308 and -2e308 cancel
    ([[1.0], [-1.0], [0.5], [0.0]], [[-1.0], [1.0], [1.0], [0.3]], 1e-308, "flatnce", False, True),
    ([[1.0, 0.0], [0.0, 1.0], [1.0, 2.0]], [[-1.0, 0.0], [0.0, -1.0], [2.0, 1.0]], 1e-308, "infonce", True, False),
    # Scores in the subnormal range at subnormal temperatures: the plain dot products kept only the
    # subnormal bits (a loss 6% off, FlatNCE's 0.083 read 0.267).
    (SUBNORMAL_A, SUBNORMAL_B, 2.0**-1072, "infonce", False, False),
    (SUBNORMAL_A, SUBNORMAL_B, 2.0**-1072, "flatnce", False, True),
    (SUBNORMAL_A * 2.0**-30, SUBNORMAL_B * 2.0**40, 1e-320, "infonce", False, True),
    # Unit-row components in the subnormal range, brought back to normal numbers by 1 / ||A|| or
    # 1 / tau: formed at the row's common scale they kept only subnormal bits (12% off).
    (np.array([[1.0, 0.0]] * 3) * 2.0**-1000, [[1.0, 0.0], [1.0, 1.5e-323], [1.0, 0.0]], 0.5, "infonce", True, False),
    ([[1.0, 0.0]] * 3, [[1.0, 0.0], [1.0, 1.5e-323], [1.0, 0.0]], 2.0**-955, "infonce", True, False),
    ([[1.0, 1e-310], [1.0, 0.0], [-1.0, 3e-311]], [[1.0, 0.0], [1.0, 1.5e-323], [0.5, -4e-320]], 2.0**-950,
     "flatnce", True, True),
])
def test_extreme_scales_against_mpmath(a, b, tau, kind, normalize, symmetric):
    a, b = np.array(a), np.array(b)
    loss, ga, gb = plumb.contrastive_embeddings(a, b, tau, loss=kind, normalize=normalize, symmetric=symmetric)
    want, wa, wb = mp_reference(a, b, tau, kind, normalize, symmetric)
    assert_close([loss], [want])
    assert_close(ga, wa)
    assert_close(gb, wb)


@pytest.mark.parametrize("tau, kind, symmetric", [(1 / 740, "infonce", False), (1 / 745, "infonce", True),
                                                  (1 / 742, "flatnce", True)])
def test_subnormal_score_gradients_against_mpmath(tau, kind, symmetric):
    # Every score gradient subnormal (weights exp(-740) / tau), the embedding gradients brought back
    # to ~1e-19 by 1 / ||A|| = 1e300: they kept only subnormal bits (1.6e-5 off at gap 740, 1e-3 at
    # 745). The InfoNCE loss (~1e-321) is itself subnormal: within a few units of 2^-1074.
    a, b = np.eye(3) * 1e-300, np.eye(3) * (3.0 if kind == "flatnce" else 1.0)
    loss, ga, gb = plumb.contrastive_embeddings(a, b, tau, loss=kind, normalize=True, symmetric=symmetric)
    want, wa, wb = mp_reference(a, b, tau, kind, True, symmetric)
    if kind == "infonce":
        assert abs(loss - want) <= 4 * 2.0**-1074, (loss, want)
    else:
        assert_close([loss], [want])
    assert_close(ga, wa)
    assert_close(gb, wb)


@pytest.mark.parametrize("a, b, tau", [
    ([[18.0], [-28.0], [-17.0]], [[-0.1], [-0.3], [-0.3]], 2e-309),
    ([[4.0, 21.0], [-1.0, -15.0], [2.0, 11.0]], [[0.9, -0.6], [-0.4, -0.9], [-0.6, -0.5]], 5e-309),
    ([[44.0], [32.0], [6.0]], [[-0.6], [-0.2], [-1.6]], 1e-308),
])
def test_symmetric_means_beyond_binary64_with_opposite_signs(a, b, tau):
    """Symmetric FlatNCE whose two directions' means lie beyond binary64 with opposite signs while
    their average lies within it: summed direction by direction they gave inf - inf
    (PLUMB_ERR_DOMAIN). (The loss only: the gradients' small entries here are cancellations
    binary64 cannot resolve.)"""
    a, b = np.array(a), np.array(b)
    loss, _, _ = plumb.contrastive_embeddings(a, b, tau, loss="flatnce", normalize=False, symmetric=True, grad=False)
    assert_close([loss], [mp_reference(a, b, tau, "flatnce", False, True)[0]])


def test_overflowing_score_is_a_domain_error():
    # a_0 . b_1 = -1e400: the kernel masked it as a -inf negative and returned PLUMB_OK.
    with pytest.raises(plumb.PlumbError, match=r"a\[0\] \. b\[1\] overflows") as info:
        plumb.contrastive_embeddings(np.array([[1e200], [1.0]]), np.array([[1.0], [-1e200]]), 1.0, normalize=False)
    assert info.value.name == "PLUMB_ERR_DOMAIN"


def test_widened_copies_that_cannot_be_allocated_are_a_status():
    # The binary64 copies of float32 embeddings were Swift arrays: an allocation failure aborted
    # the process. In a child whose address space is capped ~700 MB above its current size, the
    # 1 GB of copies for 2 x 2^24 float32 rows cannot be had.
    import subprocess
    import sys
    import textwrap
    child = textwrap.dedent("""
        import resource, numpy as np, plumb
        a = np.ones((2, 1 << 24), dtype=np.float32)
        plumb.contrastive_embeddings(a[:, :4].copy(), a[:, :4].copy())  # load the library first
        size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (size + (700 << 20), resource.RLIM_INFINITY))
        try:
            plumb.contrastive_embeddings(a, a)
        except plumb.PlumbError as e:
            print(e.name)
    """)
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "PLUMB_ERR_NO_MEMORY", (out.returncode, out.stderr[-500:])
