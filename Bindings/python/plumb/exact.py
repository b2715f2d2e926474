"""Exact references: binary64 results correctly rounded from the exact value (GMP/MPFR)."""
from __future__ import annotations

import ctypes

import numpy as np

from ._arrays import float_array, ptr
from ._errors import check
from ._lib import declare, lib, status_t

__all__ = ["logsumexp"]


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


def infonce(scores: np.ndarray, positive: np.ndarray, temperature: float = 1.0, grad: bool = True):
    """Correctly rounded InfoNCE loss and gradient (``plumb_exact_infonce``); float64 only.

    Same arguments and results as :func:`plumb.infonce`. Slow (MPFR): meant for test sizes.
    """
    from .contrastive import _run
    return _run("infonce", scores, positive, temperature, grad, exact=True)


def flatnce(scores: np.ndarray, positive: np.ndarray, temperature: float = 1.0, grad: bool = True):
    """Correctly rounded FlatNCE loss and gradient (``plumb_exact_flatnce``); float64 only.

    Same arguments and results as :func:`plumb.flatnce`. Slow (MPFR): meant for test sizes.
    """
    from .contrastive import _run
    return _run("flatnce", scores, positive, temperature, grad, exact=True)


__all__ += ["infonce", "flatnce"]


declare("plumb_exact_soft_topk", status_t, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_int64,
        ctypes.c_int64, ctypes.c_int64, ctypes.c_double, ctypes.POINTER(ctypes.c_double))
__all__ += ["soft_topk"]


def soft_topk(x: np.ndarray, k: int, method: str = "gradient", temperature: float = 1.0) -> np.ndarray:
    """Correctly rounded smooth top-k of each row of ``x / temperature`` (float64, 1-D or 2-D).

    Same methods and arguments as :func:`plumb.soft_topk`. Slow (MPFR intervals); keep n small.
    """
    from .topk import method_value
    from ._arrays import finite_float, int64

    x = float_array(x, "x", ndim=(1, 2), dtypes=(np.dtype(np.float64),))
    rows, n = (1, x.shape[0]) if x.ndim == 1 else x.shape
    if n == 0:
        raise ValueError("x must have at least one column")
    m = method_value(method)
    out = np.empty_like(x)
    check(lib.plumb_exact_soft_topk(m, ptr(x, ctypes.c_double), rows, n, int64(k, "k"),
                                    finite_float(temperature, "temperature"), ptr(out, ctypes.c_double)))
    return out
