"""Exact references: binary64 results correctly rounded from the exact value (GMP/MPFR)."""
from __future__ import annotations

import ctypes

import numpy as np

from ._arrays import float_array, ptr
from ._errors import check
from ._lib import lib

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
