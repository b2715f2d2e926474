"""Loading libplumb and declaring the C prototypes.

The library is looked up, in order, at the path in the ``PLUMB_LIBRARY`` environment variable, in
a copy inside this package (``plumb/lib/libplumb.so``, put there by ``make dist`` before ``pip
install``), and in the repository's build output (``.build/release`` then ``.build/debug``).
"""
from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path
from typing import Optional

_HERE = Path(__file__).resolve().parent
_LIBNAME = "libplumb.so"


def _candidates() -> list[Path]:
    found = []
    env = os.environ.get("PLUMB_LIBRARY")
    if env:
        return [Path(env)]
    found.append(_HERE / "lib" / _LIBNAME)
    repo = _HERE.parent.parent.parent
    for config in ("release", "debug"):
        found.append(repo / ".build" / config / _LIBNAME)
    return found


def _load() -> ctypes.CDLL:
    tried = _candidates()
    for path in tried:
        if path.is_file():
            try:
                return ctypes.CDLL(str(path))
            except OSError as e:  # not a loadable library (wrong file, architecture, missing GMP/MPFR)
                raise ImportError(f"plumb: cannot load {path}: {e}") from e
    raise ImportError(
        "plumb: cannot find libplumb.so (tried: " + ", ".join(str(p) for p in tried) + "). "
        "Build it with `make build` in the plumb repository, or set PLUMB_LIBRARY to its path, "
        "or run `make dist` and then `pip install ./Bindings/python`."
    )


lib = _load()

c_double_p = ctypes.POINTER(ctypes.c_double)
c_float_p = ctypes.POINTER(ctypes.c_float)
c_uint16_p = ctypes.POINTER(ctypes.c_uint16)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
status_t = ctypes.c_int  # plumb_status (a C enum)


class ErrorStats(ctypes.Structure):
    """Mirror of ``plumb_error_stats``."""

    _fields_ = [
        ("count", ctypes.c_int64),
        ("max_ulp", ctypes.c_double),
        ("mean_ulp", ctypes.c_double),
        ("max_rel", ctypes.c_double),
        ("min_bits", ctypes.c_double),
        ("worst_index", ctypes.c_int64),
        ("special_mismatches", ctypes.c_int64),
    ]


def declare(name: str, restype, *argtypes) -> None:
    """Set the prototype of ``lib.<name>``; every function the package calls is declared once."""
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


declare("plumb_version", ctypes.c_char_p)
declare("plumb_status_string", ctypes.c_char_p, status_t)
declare("plumb_last_error", ctypes.c_char_p)
declare("plumb_set_num_threads", None, ctypes.c_int32)
declare("plumb_get_num_threads", ctypes.c_int32)
declare("plumb_exact_set_precision_cap", status_t, ctypes.c_int64)
declare("plumb_exact_get_precision_cap", ctypes.c_int64)
for _suffix, _ptr in (("f64", c_double_p), ("f32", c_float_p), ("f16", c_uint16_p), ("bf16", c_uint16_p)):
    declare("plumb_compare_" + _suffix, status_t, _ptr, c_double_p, ctypes.c_int64, ctypes.POINTER(ErrorStats))
declare("plumb_exact_logsumexp", status_t, c_double_p, ctypes.c_int64, ctypes.c_int64, c_double_p)


def header_version() -> Optional[str]:
    """The version in ``Include/plumb.h`` when this package runs from the repository, else None."""
    header = _HERE.parent.parent.parent / "Include" / "plumb.h"
    if not header.is_file():
        return None
    text = header.read_text()
    parts = [re.search(r"#define PLUMB_VERSION_%s (\d+)" % k, text) for k in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        return None
    return ".".join(p.group(1) for p in parts)  # type: ignore[union-attr]
