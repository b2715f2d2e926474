"""Checks applied to numpy arguments before any pointer reaches C.

Wrong dtype raises TypeError; wrong shape, non-contiguous or read-only outputs raise ValueError;
a bad parameter value (NaN temperature, an integer out of range) raises ArgumentError, which is both
a PlumbError (PLUMB_ERR_ARGUMENT, as C would report it) and a ValueError.
No float array is silently copied or converted: a caller passing float64 gets the float64 kernel
(only index arrays, such as contrastive ``positive``, are converted to int64).
"""
from __future__ import annotations

import ctypes
import math
from typing import Tuple

import numpy as np

from ._errors import ArgumentError

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
INT64_MAX = 2**63 - 1


def float_array(a, name: str, ndim: Tuple[int, ...] = (2,), dtypes=FLOAT_DTYPES) -> np.ndarray:
    """``a`` as a C-contiguous numpy array of one of ``dtypes`` with an allowed ``ndim``."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, not {type(a).__name__}")
    if a.dtype not in dtypes:
        allowed = ", ".join(str(d) for d in dtypes)
        raise TypeError(f"{name} has dtype {a.dtype}; expected one of {allowed}")
    if a.ndim not in ndim:
        raise ValueError(f"{name} must be {' or '.join(f'{d}-D' for d in ndim)}, not {a.ndim}-D")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    return a


def writable(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` after checking it can be written in place."""
    if not a.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return a


def output_array(out, name: str, shape: Tuple[int, ...], dtype: np.dtype, *inputs) -> np.ndarray:
    """A caller's preallocated output: exactly ``dtype`` and ``shape``, C-contiguous, writable, and
    sharing no memory with any of ``inputs`` (``(name, array)`` pairs; the C functions forbid
    aliasing)."""
    out = writable(float_array(out, name, ndim=(len(shape),), dtypes=(np.dtype(dtype),)), name)
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, not {out.shape}")
    for other_name, other in inputs:
        if other is not None and np.shares_memory(out, other):
            raise ValueError(f"{name} shares memory with {other_name}")
    return out


def same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}")


def real(x, name: str) -> float:
    """A real-number parameter as a Python float. Strings and bools are refused (``float()`` would
    parse ``"0.1"`` and turn ``True`` into 1.0), as is anything ``float()`` cannot convert."""
    if isinstance(x, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, not {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:  # an int beyond binary64's range
        raise ArgumentError(f"{name} is too large for a binary64 float") from None
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, not {type(x).__name__}") from None


def finite_float(x, name: str) -> float:
    """A real-number parameter that must be finite (e.g. a temperature)."""
    v = real(x, name)
    if not math.isfinite(v):
        raise ArgumentError(f"{name} must be finite, got {v}")
    return v


def describe(x) -> str:
    """``x`` for an error message: an array by its shape and dtype (not its values), anything else
    by its repr, cut at 60 characters."""
    if isinstance(x, np.ndarray):
        return f"a {x.dtype} array of shape {x.shape}"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def flag(x, name: str) -> bool:
    """A yes/no parameter: a bool (Python or numpy) or the int 0 or 1. Anything else is a TypeError,
    as truthiness would take ``squared="no"`` for yes."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)) and x in (0, 1):
        return bool(x)
    raise TypeError(f"{name} must be True or False, not {describe(x)}")


def positive_float(x, name: str) -> float:
    """A parameter that must be finite and > 0 (a temperature, a learning rate), else ArgumentError."""
    v = finite_float(x, name)
    if not v > 0:
        raise ArgumentError(f"{name} must be > 0, got {v}")
    return v


def temperature_value(x) -> float:
    """A temperature: finite and > 0 (every function taking one), else ArgumentError."""
    return positive_float(x, "temperature")


def float32_parameter(v: float, name: str) -> float:
    """Checks that the finite ``v`` survives the conversion to a float32 C parameter (the float32
    functions take float32 temperatures and coefficients): an ArgumentError, naming the value, when it
    overflows to inf or a nonzero value underflows to 0, instead of the C error about inf or 0."""
    with np.errstate(over="ignore", under="ignore"):
        v32 = np.float32(v)
    if np.isinf(v32) or (v != 0 and v32 == 0):
        raise ArgumentError(f"{name} = {v} becomes {v32} in float32 (the float32 functions take a float32 "
                            f"{name}): its magnitude must lie between 1.4e-45 and 3.4e38")
    return v


def int64(x, name: str, minimum: int = -(2**63)) -> int:
    """A Python int parameter that fits int64_t and is >= minimum."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(x).__name__}")
    v = int(x)
    if v < minimum or v > INT64_MAX:
        raise ArgumentError(f"{name} = {v} is out of range [{minimum}, {INT64_MAX}]")
    return v


def uint64(x, name: str) -> int:
    """A Python int parameter that fits uint64_t. Only integers (Python or numpy; not bool) are
    accepted: a float would be truncated, and only some floats fit."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(x).__name__}")
    v = int(x)
    if not 0 <= v < 2**64:
        raise ArgumentError(f"{name} = {v} is out of range [0, 2**64)")
    return v


def enum_code(x, name: str) -> int:
    """An integer code for a C enum argument (a C int): it must fit int32, since ctypes would wrap
    it (2**32 + 1 became 1); whether it is a known value is C's check."""
    v = int64(x, name)
    if not -(2**31) <= v < 2**31:
        raise ArgumentError(f"{name} = {v} is not a known value (codes are C ints)")
    return v


def ptr(a: np.ndarray, ctype):
    """A ctypes pointer to ``a``'s data (``a`` must stay alive during the call)."""
    return a.ctypes.data_as(ctypes.POINTER(ctype))
