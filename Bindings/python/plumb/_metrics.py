"""plumb.compare: ULP and bit statistics of computed values against exact references."""
from __future__ import annotations

import ctypes
from typing import Dict, Optional, Union

import numpy as np

from ._arrays import float_array, ptr
from ._errors import check
from ._lib import ErrorStats, lib

_FORMATS = {
    "float64": ("plumb_compare_f64", np.dtype(np.float64), ctypes.c_double),
    "float32": ("plumb_compare_f32", np.dtype(np.float32), ctypes.c_float),
    "float16": ("plumb_compare_f16", np.dtype(np.float16), ctypes.c_uint16),
    "bfloat16": ("plumb_compare_bf16", np.dtype(np.uint16), ctypes.c_uint16),
}


def compare(computed: np.ndarray, exact: np.ndarray, dtype: Optional[str] = None) -> Dict[str, Union[int, float]]:
    """Error statistics of ``computed`` against ``exact`` (``plumb_error_stats`` as a dict).

    ``computed``: float64, float32 or float16 array; bfloat16 values are passed as their uint16 bit
    patterns with ``dtype="bfloat16"``. ``exact``: float64 array of the same shape, e.g. from
    ``plumb.exact``. Keys: count, max_ulp, mean_ulp, max_rel, min_bits, worst_index (a flat index,
    -1 when none), special_mismatches.
    """
    if not isinstance(computed, np.ndarray):
        raise TypeError(f"computed must be a numpy.ndarray, not {type(computed).__name__}")
    name = dtype if dtype is not None else str(computed.dtype)
    if name not in _FORMATS:
        raise TypeError(f"cannot compare values of dtype {name!r}; expected float64, float32, float16 "
                        "or dtype='bfloat16' with uint16 bit patterns")
    function, expected, ctype = _FORMATS[name]
    if computed.dtype != expected:
        raise TypeError(f"dtype={name!r} needs a {expected} array, got {computed.dtype}")
    computed = float_array(computed, "computed", ndim=tuple(range(0, 33)), dtypes=(expected,))
    exact = float_array(exact, "exact", ndim=tuple(range(0, 33)), dtypes=(np.dtype(np.float64),))
    if computed.shape != exact.shape:
        raise ValueError(f"computed has shape {computed.shape} but exact has shape {exact.shape}")
    stats = ErrorStats()
    check(getattr(lib, function)(ptr(computed, ctype), ptr(exact, ctypes.c_double), computed.size,
                                 ctypes.byref(stats)))
    return {field: getattr(stats, field) for field, _ in ErrorStats._fields_}
