"""Contrastive losses: InfoNCE and FlatNCE, loss and gradient with respect to the scores.

See ``Include/plumb.h`` ("Contrastive losses") for the math, accuracy and special cases.
"""
from __future__ import annotations

import ctypes
from typing import Optional, Tuple

import numpy as np

from ._arrays import describe, flag, float32_parameter, float_array, output_array, ptr, temperature_value
from ._errors import ArgumentError, check
from ._lib import c_double_p, c_float_p, c_int64_p, declare, lib, status_t
from ._output_cache import empty_output

__all__ = ["infonce", "flatnce", "contrastive_embeddings"]

for _name in ("infonce", "flatnce"):
    declare(f"plumb_{_name}_f32", status_t, c_float_p, ctypes.c_int64, ctypes.c_int64, c_int64_p,
            ctypes.c_float, c_float_p, c_float_p)
    declare(f"plumb_{_name}_f64", status_t, c_double_p, ctypes.c_int64, ctypes.c_int64, c_int64_p,
            ctypes.c_double, c_double_p, c_double_p)
    declare(f"plumb_exact_{_name}", status_t, c_double_p, ctypes.c_int64, ctypes.c_int64, c_int64_p,
            ctypes.c_double, c_double_p, c_double_p)

declare("plumb_contrastive_embeddings_f32", status_t, ctypes.c_int, c_float_p, c_float_p, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_int32, ctypes.c_int32, ctypes.c_float, c_float_p, c_float_p, c_float_p)
declare("plumb_contrastive_embeddings_f64", status_t, ctypes.c_int, c_double_p, c_double_p, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_int32, ctypes.c_int32, ctypes.c_double, c_double_p, c_double_p, c_double_p)
_KINDS = {"infonce": 0, "flatnce": 1}


def _positive(positive, rows: int) -> np.ndarray:
    """``positive`` as a C-contiguous int64 array of ``rows`` values. Any integer dtype and layout is
    accepted and copied to int64 when needed: an index array is read only, so unlike the float
    arrays (whose dtype picks the kernel) converting it changes nothing. Range checks happen in C
    and raise ArgumentError."""
    if not isinstance(positive, np.ndarray):
        raise TypeError(f"positive must be a numpy.ndarray, not {type(positive).__name__}")
    if positive.dtype.kind not in "iu":
        raise TypeError(f"positive has dtype {positive.dtype}; expected an integer dtype")
    if positive.ndim != 1 or positive.shape[0] != rows:
        raise ValueError(f"positive must have shape ({rows},), not {positive.shape}")
    if positive.dtype.kind == "u" and positive.size and int(positive.max()) > 2**63 - 1:
        raise ArgumentError("positive has values that do not fit int64")
    return np.ascontiguousarray(positive, dtype=np.int64)


def _run(kind: str, scores: np.ndarray, positive, temperature: float, grad: bool,
         exact: bool, loss_out: Optional[np.ndarray] = None,
         grad_out: Optional[np.ndarray] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    grad = flag(grad, "grad")
    dtypes = (np.dtype(np.float64),) if exact else (np.dtype(np.float32), np.dtype(np.float64))
    scores = float_array(scores, "scores", ndim=(1, 2), dtypes=dtypes)
    rows, cols = (1, scores.shape[0]) if scores.ndim == 1 else scores.shape
    if cols < 2:
        raise ValueError(f"scores must have at least 2 columns (a positive and a negative), not {cols}")
    if scores.ndim == 1 and isinstance(positive, (int, np.integer)) and not isinstance(positive, bool):
        positive = np.array([positive], dtype=np.int64)
    elif scores.ndim == 1 and isinstance(positive, np.ndarray) and positive.ndim == 0:
        positive = positive.reshape(1)
    pos = _positive(positive, rows)
    tau = temperature_value(temperature)
    dtype = scores.dtype
    if dtype == np.float32 and not exact:
        float32_parameter(tau, "temperature")
    ctype = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    if grad_out is not None and not grad:
        raise ArgumentError("grad_out was given with grad=False")
    inputs = (("scores", scores), ("positive", pos))
    if loss_out is None:
        loss = np.empty(rows, dtype=dtype)
    else:
        loss = output_array(loss_out, "loss_out", (rows,) if scores.ndim == 2 else (), dtype, *inputs)
    if grad_out is not None:
        g = output_array(grad_out, "grad_out", scores.shape, dtype, *inputs, ("loss_out", loss))
    else:
        g = empty_output(scores.shape, dtype) if grad else None
    fn = getattr(lib, f"plumb_exact_{kind}" if exact else
                 f"plumb_{kind}_{'f32' if dtype == np.float32 else 'f64'}")
    check(fn(ptr(scores, ctype), rows, cols, ptr(pos, ctypes.c_int64), tau, ptr(loss, ctype),
             ptr(g, ctype) if g is not None else None))
    return (loss.reshape(()) if scores.ndim == 1 and loss_out is None else loss), g


def _doc(kind: str, formula: str) -> str:
    return f"""{kind} loss of each row of ``scores`` and its gradient with respect to the scores.

    ``scores``: float32 or float64 array, C-contiguous, ``rows x cols`` (or 1-D for one row),
    ``cols >= 2``; the dtype picks the kernel; negative scores may be ``-inf`` (masked).
    ``positive``: integer array of ``rows`` column indices (an int for 1-D ``scores``; ``-1``
    ignores the row: loss 0, gradient 0). ``temperature``: finite, > 0; float32 scores take it
    rounded to float32, as the C function does (compare with
    ``plumb.exact.{kind.lower()}(scores.astype(np.float64), positive, float(np.float32(t)))``).
    {formula}
    Returns ``(loss, grad)``: ``loss`` has ``rows`` values (0-d for 1-D input) and ``grad`` the
    shape of ``scores`` (``None`` when ``grad=False``), both in the dtype of ``scores``.
    ``loss_out`` / ``grad_out``: preallocated outputs of exactly that dtype and shape (C-contiguous,
    writable, sharing no memory with the inputs or each other), filled and returned instead of new
    arrays. (A new gradient of 1 MiB or more comes from plumb's output cache, which recycles the
    memory of earlier outputs nothing refers to any more: see :func:`plumb.set_output_cache`.)
    Raises TypeError / ValueError for bad dtypes and shapes, ``ArgumentError`` (a ``PlumbError``)
    for bad values, and ``PlumbError`` (PLUMB_ERR_DOMAIN) when a row holds NaN or +inf or a
    non-finite positive score (other rows are still computed)."""


def infonce(scores: np.ndarray, positive: np.ndarray, temperature: float = 1.0, grad: bool = True, *,
            loss_out: Optional[np.ndarray] = None,
            grad_out: Optional[np.ndarray] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    return _run("infonce", scores, positive, temperature, grad, exact=False, loss_out=loss_out,
                grad_out=grad_out)


def flatnce(scores: np.ndarray, positive: np.ndarray, temperature: float = 1.0, grad: bool = True, *,
            loss_out: Optional[np.ndarray] = None,
            grad_out: Optional[np.ndarray] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    return _run("flatnce", scores, positive, temperature, grad, exact=False, loss_out=loss_out,
                grad_out=grad_out)


infonce.__doc__ = _doc("InfoNCE", "Loss ``log(1 + xi)``, ``xi = sum_{i != t} exp((s_i - s_t)/tau)``.")
flatnce.__doc__ = _doc("FlatNCE", "Loss ``log(xi)`` (``-inf`` when every negative is masked).")


def contrastive_embeddings(a: np.ndarray, b: np.ndarray, temperature: float = 0.1, loss: str = "infonce",
                           normalize: bool = True, symmetric: bool = True,
                           grad: bool = True) -> Tuple[np.floating, Optional[np.ndarray], Optional[np.ndarray]]:
    """SimCLR / NT-Xent style loss of paired embeddings and its gradients (``plumb_contrastive_embeddings_*``).

    ``a``, ``b``: ``n x dim`` arrays of the same float dtype (float32 or float64), ``n >= 2``; row i
    of ``a`` and row i of ``b`` are a positive pair. Rows are L2-normalised when ``normalize``;
    scores ``S = a b^T``; ``loss`` ("infonce" or "flatnce") is applied to each row of ``S`` at
    ``temperature`` with the diagonal as positives, averaged over rows, and (``symmetric``) averaged
    with the same for ``S^T``. Returns ``(loss, grad_a, grad_b)`` (loss a numpy scalar, gradients
    ``None`` when ``grad=False``), in the dtype of the inputs. Computed in float64 internally. The
    default temperature, 0.1, is SimCLR's (the score-level functions default to 1).
    """
    a = float_array(a, "a")
    b = float_array(b, "b", dtypes=(a.dtype,))
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}")
    if not isinstance(loss, str):
        raise TypeError(f"loss must be 'infonce' or 'flatnce', not {describe(loss)}")
    if loss not in _KINDS:
        raise ArgumentError(f"loss must be 'infonce' or 'flatnce', not {describe(loss)}")
    normalize, symmetric, grad = flag(normalize, "normalize"), flag(symmetric, "symmetric"), flag(grad, "grad")
    tau = temperature_value(temperature)
    if a.dtype == np.float32:
        float32_parameter(tau, "temperature")
    n, dim = a.shape
    if n < 2 or dim < 1:
        raise ValueError(f"a and b must be n x dim with n >= 2 (each row needs a negative) and dim >= 1, "
                         f"not {n} x {dim}")
    ctype = ctypes.c_float if a.dtype == np.float32 else ctypes.c_double
    out = np.empty(1, dtype=a.dtype)
    ga = empty_output(a.shape, a.dtype) if grad else None
    gb = empty_output(b.shape, b.dtype) if grad else None
    fn = lib.plumb_contrastive_embeddings_f32 if a.dtype == np.float32 else lib.plumb_contrastive_embeddings_f64
    check(fn(_KINDS[loss], ptr(a, ctype), ptr(b, ctype), n, dim, int(normalize), int(symmetric), tau,
             ptr(out, ctype), ptr(ga, ctype) if ga is not None else None,
             ptr(gb, ctype) if gb is not None else None))
    return out[0], ga, gb
