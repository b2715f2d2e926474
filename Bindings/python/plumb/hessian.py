"""Hessian-approximation diagnostics: what Hessian Adam implicitly uses (MATH.md section 4).

:class:`HessianProbe` streams gradients and keeps Adam's m and v, AdaBelief's s and optionally the
EMA of g g^T; :func:`hutchinson_diag` estimates diag(H) from a Hessian-vector-product callable.
"""
from __future__ import annotations

import ctypes
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np

from ._arrays import describe, enum_code, flag, float_array, int64, positive_float, ptr, real, uint64
from ._errors import ArgumentError, PlumbError, check
from ._lib import c_double_p, c_float_p, declare, lib, status_t

__all__ = ["HessianProbe", "hutchinson_diag", "ESTIMATORS"]

ESTIMATORS = {"adam": 0, "rms": 1, "belief": 2, "full": 3}


class _Config(ctypes.Structure):
    _fields_ = [("beta1", ctypes.c_double), ("beta2", ctypes.c_double), ("epsilon", ctypes.c_double),
                ("full_matrix", ctypes.c_int32)]


class _Report(ctypes.Structure):
    _fields_ = [("steps", ctypes.c_int64), ("exponent", ctypes.c_double), ("scale", ctypes.c_double),
                ("log_correlation", ctypes.c_double), ("relative_error", ctypes.c_double),
                ("epsilon_dominated", ctypes.c_double)]


class _MatrixReport(ctypes.Structure):
    _fields_ = [("steps", ctypes.c_int64), ("scale", ctypes.c_double), ("relative_error", ctypes.c_double),
                ("exponent", ctypes.c_double), ("diag_scale", ctypes.c_double),
                ("log_correlation", ctypes.c_double)]


HVP_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, c_double_p, c_double_p, ctypes.c_int64)
_handle_t = ctypes.c_void_p

declare("plumb_hess_create", status_t, ctypes.c_int64, ctypes.POINTER(_Config), ctypes.POINTER(_handle_t))
declare("plumb_hess_destroy", None, _handle_t)
declare("plumb_hess_observe_f32", status_t, _handle_t, c_float_p)
declare("plumb_hess_observe_f64", status_t, _handle_t, c_double_p)
declare("plumb_hess_implied_diag", status_t, _handle_t, ctypes.c_int, ctypes.c_double, c_double_p)
declare("plumb_hess_compare", status_t, _handle_t, ctypes.c_int, c_double_p, ctypes.POINTER(_Report))
declare("plumb_hess_compare_matrix", status_t, _handle_t, c_double_p, ctypes.POINTER(_MatrixReport))
declare("plumb_hutchinson_diag", status_t, HVP_FN, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32,
        ctypes.c_uint64, c_double_p, c_double_p)


def _estimator(estimator: Union[str, int]) -> int:
    if isinstance(estimator, str):
        key = estimator.lower()
        if key not in ESTIMATORS:
            raise ArgumentError(f"estimator must be one of {sorted(ESTIMATORS)}, not {describe(estimator)}")
        return ESTIMATORS[key]
    return enum_code(estimator, "estimator")


class HessianProbe:
    """A ``plumb_hess`` probe of ``dim`` coordinates (see plumb.h, "Hessian-approximation diagnostics").

    Use as a context manager or call :meth:`close`; the handle is also freed when garbage-collected.
    """

    def __init__(self, dim: int, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                 full_matrix: bool = False) -> None:
        self._h = _handle_t()
        self.dim = int64(dim, "dim", minimum=1)
        self.full_matrix = flag(full_matrix, "full_matrix")
        cfg = _Config(real(beta1, "beta1"), real(beta2, "beta2"), real(epsilon, "epsilon"), int(self.full_matrix))
        self.beta1, self.beta2, self.epsilon = cfg.beta1, cfg.beta2, cfg.epsilon
        check(lib.plumb_hess_create(self.dim, ctypes.byref(cfg), ctypes.byref(self._h)))

    def close(self) -> None:
        """Free the probe (idempotent)."""
        if self._h is not None and self._h.value:
            lib.plumb_hess_destroy(self._h)
        self._h = None

    def __enter__(self) -> "HessianProbe":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _handle(self) -> _handle_t:
        if self._h is None:
            raise ArgumentError("the HessianProbe is closed")
        return self._h

    def observe(self, grad: np.ndarray) -> None:
        """Fold one gradient (1-D float32 or float64 array of ``dim`` values) into the moments."""
        grad = float_array(grad, "grad", ndim=(1,))
        if grad.shape[0] != self.dim:
            raise ValueError(f"grad has {grad.shape[0]} values; the probe has dim {self.dim}")
        h = self._handle()
        if grad.dtype == np.float32:
            check(lib.plumb_hess_observe_f32(h, ptr(grad, ctypes.c_float)))
        else:
            check(lib.plumb_hess_observe_f64(h, ptr(grad, ctypes.c_double)))

    def implied_diag(self, estimator: Union[str, int] = "adam", lr: float = 1.0) -> np.ndarray:
        """The Hessian diagonal the estimator ("adam", "rms", "belief", "full") implies at ``lr``
        (finite, > 0: ArgumentError otherwise)."""
        e = _estimator(estimator)
        lr = positive_float(lr, "lr")
        out = np.empty(self.dim, dtype=np.float64)
        check(lib.plumb_hess_implied_diag(self._handle(), e, lr, ptr(out, ctypes.c_double)))
        return out

    def compare(self, reference: np.ndarray, estimator: Union[str, int] = "rms") -> Dict[str, float]:
        """Fit the estimator's diagonal against ``reference`` (``dim`` values, float64 or float32,
        which is widened exactly); a dict with steps, exponent, scale, log_correlation,
        relative_error, epsilon_dominated."""
        ref = _reference(reference, "reference", 1)
        if ref.shape[0] != self.dim:
            raise ValueError(f"reference has {ref.shape[0]} values; the probe has dim {self.dim}")
        e = _estimator(estimator)
        rep = _Report()
        check(lib.plumb_hess_compare(self._handle(), e, ptr(ref, ctypes.c_double), ctypes.byref(rep)))
        return {f: getattr(rep, f) for f, _ in _Report._fields_}

    def compare_matrix(self, hessian: np.ndarray) -> Dict[str, float]:
        """Full-matrix mode: compare sqrtm(C_hat) with |H| for a dense ``dim x dim`` Hessian (float64,
        or float32 widened exactly); a dict with steps, scale, relative_error, exponent,
        diag_scale, log_correlation."""
        hm = _reference(hessian, "hessian", 2)
        if hm.shape != (self.dim, self.dim):
            raise ValueError(f"hessian has shape {hm.shape}; expected {(self.dim, self.dim)}")
        rep = _MatrixReport()
        check(lib.plumb_hess_compare_matrix(self._handle(), ptr(hm, ctypes.c_double), ctypes.byref(rep)))
        return {f: getattr(rep, f) for f, _ in _MatrixReport._fields_}


def _reference(a, name: str, ndim: int) -> np.ndarray:
    """A reference Hessian (its diagonal, or the matrix) as float64: the C functions take binary64,
    and a float32 reference widens exactly, so it is accepted too."""
    a = float_array(a, name, ndim=(ndim,))
    return a if a.dtype == np.float64 else a.astype(np.float64)


def hutchinson_diag(hvp: Callable[[np.ndarray], np.ndarray], dim: int, samples: int = 100,
                    seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Hutchinson's estimate of diag(H) from ``hvp(v) -> H v`` (float64 arrays of ``dim`` values)
    with ``samples`` Rademacher probes; returns ``(diag, std_error)`` (std_error is +inf for one
    sample). ``seed`` is an integer in [0, 2**64). ``hvp`` must return real (float or integer)
    values; a complex, bool or object result raises TypeError. An exception in ``hvp`` aborts the C
    call and is re-raised."""
    if not callable(hvp):
        raise TypeError("hvp must be callable")
    dim = int64(dim, "dim", minimum=1)
    samples = int64(samples, "samples", minimum=1)
    if samples > 2**31 - 1:
        raise ArgumentError(f"samples = {samples} must fit int32")
    seed = uint64(seed, "seed")
    failure = []

    def trampoline(ctx, v, hv, n):
        try:
            vin = np.ctypeslib.as_array(v, shape=(n,))
            out = np.ctypeslib.as_array(hv, shape=(n,))
            res = np.asarray(hvp(vin.copy()))
            if res.dtype.kind not in "fiu":  # complex, bool, object, str: no silent conversion
                raise TypeError(f"hvp returned dtype {res.dtype}; expected real (float or integer) values")
            if res.shape != (n,):
                raise ValueError(f"hvp returned shape {res.shape}; expected ({n},)")
            out[:] = res
            return 0
        except BaseException as exc:  # noqa: BLE001 - re-raised after the C call returns
            failure.append(exc)
            return 1

    cb = HVP_FN(trampoline)
    diag = np.empty(dim, dtype=np.float64)
    err = np.empty(dim, dtype=np.float64)
    status = lib.plumb_hutchinson_diag(cb, None, dim, samples, seed, ptr(diag, ctypes.c_double),
                                       ptr(err, ctypes.c_double))
    if failure:
        raise failure[0]
    check(status)
    return diag, err
