"""Exact references: binary64 results correctly rounded from the exact value (GMP/MPFR).

To measure a float32 kernel, give the reference the kernel's own inputs: the float32 functions take
a float32 temperature (``plumb.infonce(s32, pos, 0.07)`` computes with ``float32(0.07)``), so compare
with ``infonce(s32.astype(np.float64), pos, float(np.float32(0.07)))``. With the binary64 0.07 the
comparison measures the temperature's rounding (~6 ULP of a float32 gradient), not the kernel.
"""
from __future__ import annotations

import ctypes
from typing import Optional, Tuple

import numpy as np

from ._arrays import float_array, int64, ptr, temperature_value
from ._errors import check
from ._lib import c_double_p, declare, lib, status_t
from .topk import method_value

__all__ = ["logsumexp", "infonce", "flatnce", "soft_topk", "spectral_norm", "least_squares_hessian"]


def logsumexp(x: np.ndarray) -> np.ndarray:
    """Correctly rounded ``log(sum(exp(x)))`` of each row of ``x``.

    ``x``: float64 array, 1-D (one row, returns a 0-d array) or 2-D (rows x cols, returns rows
    values). ``-inf`` entries are masked; a row of only ``-inf`` gives ``-inf``. NaN raises
    ``PlumbError`` (PLUMB_ERR_DOMAIN).
    """
    x = float_array(x, "x", ndim=(1, 2), dtypes=(np.dtype(np.float64),))
    rows, cols = (1, x.shape[0]) if x.ndim == 1 else x.shape
    if cols == 0:
        raise ValueError("x must have at least one column")
    out = np.empty(rows, dtype=np.float64)
    check(lib.plumb_exact_logsumexp(ptr(x, ctypes.c_double), rows, cols, ptr(out, ctypes.c_double)))
    return out.reshape(()) if x.ndim == 1 else out


def infonce(scores: np.ndarray, positive: np.ndarray, temperature: float = 1.0,
            grad: bool = True) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Correctly rounded InfoNCE loss and gradient (``plumb_exact_infonce``); float64 only.

    Arguments and results as :func:`plumb.infonce` (without ``loss_out``/``grad_out``). Slow (MPFR):
    meant for test sizes.
    """
    from .contrastive import _run
    return _run("infonce", scores, positive, temperature, grad, exact=True)


def flatnce(scores: np.ndarray, positive: np.ndarray, temperature: float = 1.0,
            grad: bool = True) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Correctly rounded FlatNCE loss and gradient (``plumb_exact_flatnce``); float64 only.

    Arguments and results as :func:`plumb.flatnce` (without ``loss_out``/``grad_out``). Slow (MPFR):
    meant for test sizes.
    """
    from .contrastive import _run
    return _run("flatnce", scores, positive, temperature, grad, exact=True)


declare("plumb_exact_soft_topk", status_t, ctypes.c_int, c_double_p, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_double, c_double_p)


def soft_topk(x: np.ndarray, k: int, method: str = "gradient", temperature: float = 1.0) -> np.ndarray:
    """Correctly rounded smooth top-k of each row of ``x / temperature`` (float64, 1-D or 2-D).

    Methods and arguments as :func:`plumb.soft_topk` (without ``out``). Slow (MPFR intervals); keep n
    small.
    """
    x = float_array(x, "x", ndim=(1, 2), dtypes=(np.dtype(np.float64),))
    rows, n = (1, x.shape[0]) if x.ndim == 1 else x.shape
    if n == 0:
        raise ValueError("x must have at least one column")
    m = method_value(method)
    out = np.empty_like(x)
    check(lib.plumb_exact_soft_topk(m, ptr(x, ctypes.c_double), rows, n, int64(k, "k"),
                                    temperature_value(temperature), ptr(out, ctypes.c_double)))
    return out


declare("plumb_exact_spectral_norm", status_t, c_double_p, ctypes.c_int64, ctypes.c_int64, c_double_p,
        c_double_p, c_double_p)


def spectral_norm(w: np.ndarray) -> Tuple[float, np.ndarray, np.ndarray]:
    """Correctly rounded ``sigma_1 = ||w||_2`` of a 2-D float64 array, with ``u`` and ``v`` to
    binary64 working accuracy. Returns ``(sigma, u, v)``. Exact Gram matrix (GMP) and a proved
    enclosure of its top eigenvalue; intended for min(rows, cols) <= 64."""
    w = float_array(w, "w", ndim=(2,), dtypes=(np.dtype(np.float64),))
    rows, cols = w.shape
    if rows < 1 or cols < 1:
        raise ValueError(f"w must have at least one row and one column, got shape {w.shape}")
    sigma = ctypes.c_double()
    u = np.empty(rows, dtype=np.float64)
    v = np.empty(cols, dtype=np.float64)
    check(lib.plumb_exact_spectral_norm(ptr(w, ctypes.c_double), rows, cols, ctypes.byref(sigma),
                                        ptr(u, ctypes.c_double), ptr(v, ctypes.c_double)))
    return sigma.value, u, v


declare("plumb_exact_least_squares_hessian", status_t, c_double_p, ctypes.c_int64, ctypes.c_int64, c_double_p)


def least_squares_hessian(x: np.ndarray) -> np.ndarray:
    """Correctly rounded ``X^T X / n`` for a float64 ``n x dim`` array ``x`` (the Hessian of
    ``||X w - y||^2 / (2n)``), computed exactly with GMP rationals and rounded once."""
    x = float_array(x, "x", ndim=(2,), dtypes=(np.dtype(np.float64),))
    n, dim = x.shape
    if n == 0 or dim == 0:
        raise ValueError("x must have at least one row and one column")
    out = np.empty((dim, dim), dtype=np.float64)
    check(lib.plumb_exact_least_squares_hessian(ptr(x, ctypes.c_double), n, dim, ptr(out, ctypes.c_double)))
    return out
