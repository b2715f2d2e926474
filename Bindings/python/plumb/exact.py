"""Exact references: binary64 results correctly rounded from the exact value (GMP/MPFR)."""
from __future__ import annotations

import ctypes

import numpy as np

from ._arrays import float_array, ptr
from ._errors import check
from ._lib import lib

__all__ = ["logsumexp", "least_squares_hessian"]


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


from ._lib import c_double_p, declare, status_t  # noqa: E402

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
