"""Smooth top-k (MATH.md section 2): forward ``soft_topk`` and backward ``soft_topk_vjp``."""
from __future__ import annotations

import ctypes
from typing import Optional

import numpy as np

from ._arrays import (describe, enum_code, float32_parameter, float_array, int64, ptr, same_shape, temperature_value,
                      writable)
from ._errors import ArgumentError, check
from ._lib import declare, lib, status_t
from ._output_cache import empty_output

__all__ = ["soft_topk", "soft_topk_vjp", "TOPK_METHODS"]

#: Method names accepted by ``method=`` and their ``plumb_topk_method`` values.
TOPK_METHODS = {"gradient": 0, "exp_clip": 1, "sigmoid": 2, "laplace": 3}

_F32 = ctypes.POINTER(ctypes.c_float)
_F64 = ctypes.POINTER(ctypes.c_double)
declare("plumb_soft_topk_f32", status_t, ctypes.c_int, _F32, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_float, _F32)
declare("plumb_soft_topk_f64", status_t, ctypes.c_int, _F64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_double, _F64)
declare("plumb_soft_topk_vjp_f32", status_t, ctypes.c_int, _F32, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_float, _F32, _F32)
declare("plumb_soft_topk_vjp_f64", status_t, ctypes.c_int, _F64, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_double, _F64, _F64)


def method_value(method) -> int:
    """The ``plumb_topk_method`` value of a method name (or an int, passed through)."""
    if isinstance(method, str):
        try:
            return TOPK_METHODS[method.replace("-", "_")]  # the CLI's spelling, exp-clip, too
        except KeyError:
            raise ArgumentError(f"unknown method {describe(method)}; "
                                f"expected one of {sorted(TOPK_METHODS)}") from None
    return enum_code(method, "method")


def _shape(x: np.ndarray):
    rows, n = (1, x.shape[0]) if x.ndim == 1 else x.shape
    if n == 0:
        raise ValueError("x must have at least one column")
    return rows, n


def soft_topk(x: np.ndarray, k: int, method: str = "gradient", temperature: float = 1.0,
              out: Optional[np.ndarray] = None) -> np.ndarray:
    """Smooth top-k of each row of ``x / temperature``: values in [0, 1] summing to ``k``.

    ``x``: float32 or float64, 1-D (one row) or 2-D (rows x n), C-contiguous; the dtype picks the
    kernel. ``method``: "gradient", "exp_clip", "sigmoid" or "laplace". ``1 <= k <= n``.
    ``temperature``: finite, > 0; float32 ``x`` takes it rounded to float32, as the C function does
    (measure against ``plumb.exact.soft_topk(x.astype(np.float64), k, method, float(np.float32(t)))``).
    Returns an array of x's shape and dtype (``out`` if given: it may be ``x`` itself, in place,
    but must not partially overlap it). NaN/inf rows raise ``PlumbError``.
    """
    x = float_array(x, "x", ndim=(1, 2))
    m = method_value(method)
    k = int64(k, "k")
    t = temperature_value(temperature)
    rows, n = _shape(x)
    if out is None:
        out = empty_output(x.shape, x.dtype)
    else:
        out = writable(float_array(out, "out", ndim=(1, 2), dtypes=(x.dtype,)), "out")
        same_shape(out, x, "out", "x")
        # In place (out is x's memory exactly) is allowed; a partial overlap is not (plumb.h).
        if out.ctypes.data != x.ctypes.data and np.shares_memory(out, x):
            raise ValueError("out partially overlaps x (only out = x, in place, may share its memory)")
    if x.dtype == np.float32:
        float32_parameter(t, "temperature")
        check(lib.plumb_soft_topk_f32(m, ptr(x, ctypes.c_float), rows, n, k, t, ptr(out, ctypes.c_float)))
    else:
        check(lib.plumb_soft_topk_f64(m, ptr(x, ctypes.c_double), rows, n, k, t, ptr(out, ctypes.c_double)))
    return out


def soft_topk_vjp(x: np.ndarray, k: int, grad_out: np.ndarray, method: str = "gradient",
                  temperature: float = 1.0) -> np.ndarray:
    """``J^T grad_out`` for the Jacobian J of :func:`soft_topk` at ``x`` (the backward pass).

    ``x`` and ``grad_out``: same shape and dtype (float32 or float64). Returns ``grad_x``.
    """
    x = float_array(x, "x", ndim=(1, 2))
    g = float_array(grad_out, "grad_out", ndim=(1, 2), dtypes=(x.dtype,))
    same_shape(g, x, "grad_out", "x")
    m = method_value(method)
    k = int64(k, "k")
    t = temperature_value(temperature)
    rows, n = _shape(x)
    gx = empty_output(x.shape, x.dtype)
    if x.dtype == np.float32:
        float32_parameter(t, "temperature")
        c = ctypes.c_float
        check(lib.plumb_soft_topk_vjp_f32(m, ptr(x, c), rows, n, k, t, ptr(g, c), ptr(gx, c)))
    else:
        c = ctypes.c_double
        check(lib.plumb_soft_topk_vjp_f64(m, ptr(x, c), rows, n, k, t, ptr(g, c), ptr(gx, c)))
    return gx
