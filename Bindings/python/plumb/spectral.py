"""Spectral norm, its gradients and spectral weight decay (Lanczos with a certificate).

See ``Include/plumb.h`` (section "Spectral norm") for the method and what the certificate means.
Every function returns an ``info`` dict: ``sigma``, ``residual`` (bound on |sigma - sigma_1|),
``angle_bound`` (radians, bound on the angle to the true singular vectors, or inf), ``gap_ratio``
(estimate of sigma_2/sigma_1), ``iterations`` (passes over W) and ``converged``.
"""
from __future__ import annotations

import ctypes
from typing import Dict, Optional, Tuple

import numpy as np

from ._arrays import finite_float, flag, float32_parameter, float_array, int64, output_array, ptr, real, writable
from ._errors import ArgumentError, PlumbError, check
from ._lib import c_double_p, c_float_p, declare, lib, status_t
from ._output_cache import empty_output

__all__ = ["spectral_norm", "spectral_grad", "spectral_decay_", "SpectralState", "default_tol"]


class SpectralInfo(ctypes.Structure):
    """Mirror of ``plumb_spectral_info``."""

    _fields_ = [
        ("sigma", ctypes.c_double),
        ("residual", ctypes.c_double),
        ("angle_bound", ctypes.c_double),
        ("gap_ratio", ctypes.c_double),
        ("iterations", ctypes.c_int32),
        ("converged", ctypes.c_int32),
    ]


_info_p = ctypes.POINTER(SpectralInfo)
_i64, _i32, _f64 = ctypes.c_int64, ctypes.c_int32, ctypes.c_double
for _s, _p, _c in (("f32", c_float_p, ctypes.c_float), ("f64", c_double_p, ctypes.c_double)):
    declare("plumb_spectral_norm_" + _s, status_t, _p, _i64, _i64, _p, _p, _i32, _f64, _info_p)
    declare("plumb_spectral_grad_" + _s, status_t, _p, _i64, _i64, _i32, _p, _p, _i32, _f64, _info_p)
    declare("plumb_spectral_decay_" + _s, status_t, _p, _i64, _i64, _c, _p, _i32, _f64, _info_p)
    declare("plumb_spectral_norm_pair_" + _s, status_t, _p, _i64, _i64, _p, _p, _p, _i32, _f64, _info_p)
    declare("plumb_spectral_grad_pair_" + _s, status_t, _p, _i64, _i64, _i32, _p, _p, _p, _i32, _f64, _info_p)
    declare("plumb_spectral_decay_pair_" + _s, status_t, _p, _i64, _i64, _c, _p, _p, _i32, _f64, _info_p)


def default_tol(dtype) -> float:
    """The default relative-residual tolerance: 1e-6 for float32, 1e-12 for float64."""
    return 1e-6 if np.dtype(dtype) == np.float32 else 1e-12


def _prepare(w: np.ndarray, v: Optional[np.ndarray], max_iters: int, tol: Optional[float]):
    w = float_array(w, "w", ndim=(2,))
    rows, cols = w.shape
    if rows < 1 or cols < 1:
        raise ValueError(f"w must have at least one row and one column, got shape {w.shape}")
    if v is None:
        v = np.zeros(cols, dtype=w.dtype)
    else:
        v = output_array(v, "v", (cols,), w.dtype, ("w", w))  # in and out: overwritten with v_1
    mi = int64(max_iters, "max_iters", minimum=1)
    if mi > 2**31 - 1:
        raise ArgumentError(f"max_iters = {mi} does not fit int32")
    t = default_tol(w.dtype) if tol is None else real(tol, "tol")
    if not (t >= 0):
        raise ArgumentError(f"tol = {t} must be >= 0 and not NaN")
    cty = ctypes.c_float if w.dtype == np.float32 else ctypes.c_double
    suffix = "f32" if w.dtype == np.float32 else "f64"
    return w, v, rows, cols, mi, t, cty, suffix


def _partner(v2: Optional[np.ndarray], w: np.ndarray, v: np.ndarray):
    """The checked partner vector ``v2`` (or None) and the function-name infix it selects."""
    if v2 is None:
        return None, ""
    return output_array(v2, "v2", v.shape, w.dtype, ("w", w), ("v", v)), "pair_"


def _args(cty, v, v2):
    """Pointers to v and, for the _pair functions, v2."""
    return (ptr(v, cty),) if v2 is None else (ptr(v, cty), ptr(v2, cty))


def _finish(status: int, info: SpectralInfo, strict: bool) -> Dict[str, float]:
    d = {k: getattr(info, k) for k, _ in SpectralInfo._fields_}
    d["converged"] = bool(d["converged"])
    if status == 4 and not strict:
        return d
    check(status)
    return d


def spectral_norm(w: np.ndarray, v: Optional[np.ndarray] = None, max_iters: int = 300,
                  tol: Optional[float] = None, strict: bool = True, *, v2: Optional[np.ndarray] = None
                  ) -> Tuple[float, np.ndarray, np.ndarray, Dict[str, float]]:
    """Top singular triplet of ``w`` (2-D float32/float64, C-contiguous).

    ``v``: optional warm start (cols values, same dtype); it is updated IN PLACE with the new right
    singular vector (pass the previous step's v to converge in a few passes). ``v2``: optional
    second warm-start vector (same shape and dtype, C-contiguous, writable, zeros at first), updated
    in place with the search's second right Ritz vector; keeping it as well saves about a fifth of
    the passes after a small change of ``w`` (the ``plumb_spectral_*_pair`` C functions).
    ``tol`` defaults to :func:`default_tol`. Returns ``(sigma, u, v, info)``. With ``strict=False``
    a run that does not meet ``tol`` returns its best estimate (``info["converged"] == False``)
    instead of raising.
    """
    strict = flag(strict, "strict")
    w, v, rows, cols, mi, t, cty, s = _prepare(w, v, max_iters, tol)
    v2, pair = _partner(v2, w, v)
    u = np.empty(rows, dtype=w.dtype)
    info = SpectralInfo()
    status = getattr(lib, f"plumb_spectral_norm_{pair}{s}")(ptr(w, cty), rows, cols, ptr(u, cty),
                                                             *_args(cty, v, v2), mi, t, ctypes.byref(info))
    d = _finish(status, info, strict)
    return d["sigma"], u, v, d


def spectral_grad(w: np.ndarray, squared: bool = False, v: Optional[np.ndarray] = None,
                  max_iters: int = 300, tol: Optional[float] = None, strict: bool = True, *,
                  v2: Optional[np.ndarray] = None, grad_out: Optional[np.ndarray] = None
                  ) -> Tuple[np.ndarray, np.ndarray, Dict[str, float]]:
    """Gradient of ``||w||_2`` (``u v^T``) or, with ``squared=True``, of ``0.5 ||w||_2^2``
    (``sigma u v^T = w v v^T``). Returns ``(grad, v, info)``; ``v`` and ``v2`` as in
    :func:`spectral_norm`. ``grad_out``: optional preallocated result (``w``'s shape and dtype,
    C-contiguous, writable, sharing no memory with ``w``, ``v`` or ``v2``), returned as ``grad``
    (without it, a gradient of 1 MiB or more comes from plumb's output cache: see
    :func:`plumb.set_output_cache`). A zero ``w``
    with ``squared=False`` raises PlumbError (PLUMB_ERR_DOMAIN)."""
    squared, strict = flag(squared, "squared"), flag(strict, "strict")
    w, v, rows, cols, mi, t, cty, s = _prepare(w, v, max_iters, tol)
    v2, pair = _partner(v2, w, v)
    if grad_out is None:
        g = empty_output(w.shape, w.dtype)
    else:
        g = output_array(grad_out, "grad_out", w.shape, w.dtype, ("w", w), ("v", v), ("v2", v2))
    info = SpectralInfo()
    status = getattr(lib, f"plumb_spectral_grad_{pair}{s}")(ptr(w, cty), rows, cols, 1 if squared else 0,
                                                             ptr(g, cty), *_args(cty, v, v2), mi, t,
                                                             ctypes.byref(info))
    d = _finish(status, info, strict)
    return g, v, d


def spectral_decay_(w: np.ndarray, coefficient: float, v: Optional[np.ndarray] = None,
                    max_iters: int = 300, tol: Optional[float] = None, strict: bool = True, *,
                    v2: Optional[np.ndarray] = None) -> Tuple[np.ndarray, Dict[str, float]]:
    """In place ``w <- w - coefficient * w v v^T`` (spectral weight decay: only sigma_1 shrinks).
    ``w`` must be writable. Returns ``(v, info)``; ``v`` and ``v2`` as in :func:`spectral_norm`.
    When the search does not meet ``tol`` the decay is still applied with the best estimate (as in
    C), so with ``strict=True`` the PlumbError (PLUMB_ERR_NOT_CONVERGED) comes after ``w`` changed."""
    strict = flag(strict, "strict")
    w = writable(float_array(w, "w", ndim=(2,)), "w")
    c = finite_float(coefficient, "coefficient")
    if w.dtype == np.float32:
        float32_parameter(c, "coefficient")
    w, v, rows, cols, mi, t, cty, s = _prepare(w, v, max_iters, tol)
    v2, pair = _partner(v2, w, v)
    info = SpectralInfo()
    status = getattr(lib, f"plumb_spectral_decay_{pair}{s}")(ptr(w, cty), rows, cols, c, *_args(cty, v, v2),
                                                              mi, t, ctypes.byref(info))
    d = _finish(status, info, strict)
    return v, d


class SpectralState:
    """Keeps the top two right Ritz vectors between training steps (the warm start of the
    ``plumb_spectral_*_pair`` functions): ``v``, the right singular vector, and ``v2``, its partner.

    >>> state = plumb.SpectralState()
    >>> for step in range(steps):
    ...     grad, info = state.grad(W)          # or state.decay_(W, 1e-3)
    """

    def __init__(self, max_iters: int = 300, tol: Optional[float] = None, strict: bool = False):
        self.v: Optional[np.ndarray] = None
        self.v2: Optional[np.ndarray] = None
        self.max_iters, self.tol, self.strict = max_iters, tol, flag(strict, "strict")
        self.last_info: Optional[Dict[str, float]] = None

    def reset(self) -> None:
        """Forget v and v2: the next call starts cold. Do this after an abrupt change of W: a warm
        start can stop on a singular value that another has overtaken (see plumb.h, "Warm starts
        and a singular value that overtakes")."""
        self.v = self.v2 = None

    def _run(self, w: np.ndarray, call):
        """``call(v, v2)`` on the kept vectors, or on zeros when w's width or dtype differs from
        the previous call's. New vectors replace the kept ones once the call has reached C (it
        returned, or raised PlumbError); an argument refused in Python keeps the warm start."""
        w = float_array(w, "w", ndim=(2,))
        if self.v is not None and self.v.shape == (w.shape[1],) and self.v.dtype == w.dtype:
            v, v2 = self.v, self.v2
        else:
            v, v2 = np.zeros(w.shape[1], dtype=w.dtype), np.zeros(w.shape[1], dtype=w.dtype)
        try:
            result = call(v, v2)
        except PlumbError:
            self.v, self.v2 = v, v2
            raise
        self.v, self.v2 = v, v2
        self.last_info = result[-1]
        return result

    def norm(self, w: np.ndarray) -> Tuple[float, np.ndarray, np.ndarray, Dict[str, float]]:
        """:func:`spectral_norm` warm-started from the previous call."""
        return self._run(w, lambda v, v2: spectral_norm(w, v, self.max_iters, self.tol, self.strict, v2=v2))

    def grad(self, w: np.ndarray, squared: bool = False, grad_out: Optional[np.ndarray] = None
             ) -> Tuple[np.ndarray, Dict[str, float]]:
        """:func:`spectral_grad` warm-started (``grad_out`` as there); returns ``(grad, info)``."""
        g, _, info = self._run(w, lambda v, v2: spectral_grad(w, squared, v, self.max_iters, self.tol, self.strict,
                                                             v2=v2, grad_out=grad_out))
        return g, info

    def decay_(self, w: np.ndarray, coefficient: float) -> Dict[str, float]:
        """:func:`spectral_decay_` in place, warm-started; returns ``info``."""
        return self._run(w, lambda v, v2: spectral_decay_(w, coefficient, v, self.max_iters, self.tol,
                                                          self.strict, v2=v2))[1]
