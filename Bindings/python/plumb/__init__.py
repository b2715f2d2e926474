"""plumb: numerically careful training kernels with exact GMP/MPFR references.

numpy arrays in and out; the dtype (float32 or float64) picks the kernel; failures raise
:class:`PlumbError`: bad parameter values (a NaN temperature, k out of range, max_iters <= 0)
its subclass :class:`ArgumentError` (also a ``ValueError``), before any C call where Python can
tell; wrong dtypes raise ``TypeError`` and wrong shapes ``ValueError``.
"""
from __future__ import annotations

from . import exact
from ._arrays import int64
from ._errors import ArgumentError, PlumbError, check
from ._lib import header_version, lib
from ._metrics import compare
from ._output_cache import output_cache_info, set_output_cache
from .contrastive import contrastive_embeddings, flatnce, infonce
from .hessian import HessianProbe, hutchinson_diag
from .spectral import SpectralState, spectral_decay_, spectral_grad, spectral_norm
from .topk import soft_topk, soft_topk_vjp

__all__ = ["PlumbError", "ArgumentError", "compare", "exact", "version", "set_num_threads", "get_num_threads",
           "set_exact_precision_cap", "get_exact_precision_cap", "set_output_cache", "output_cache_info",
           "infonce", "flatnce", "contrastive_embeddings",
           "soft_topk", "soft_topk_vjp",
           "spectral_norm", "spectral_grad", "spectral_decay_", "SpectralState",
           "HessianProbe", "hutchinson_diag"]


def version() -> str:
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return lib.plumb_version().decode()


__version__ = version()
_header = header_version()
if _header is not None and _header != __version__:
    raise ImportError(f"plumb: the loaded library is version {__version__} but Include/plumb.h says "
                      f"{_header}; rebuild the library (make build)")


def set_num_threads(n: int) -> None:
    """Bound the threads one plumb call may use; ``n <= 0`` means all cores."""
    v = int64(n, "n")
    lib.plumb_set_num_threads(max(-(2**31), min(2**31 - 1, v)))


def get_num_threads() -> int:
    """The thread bound in effect (plumb_get_num_threads): the last ``set_num_threads(n)``, or the
    online cores for ``n <= 0`` (the default). A call never uses more threads than online cores."""
    return int(lib.plumb_get_num_threads())


def set_exact_precision_cap(bits: int) -> None:
    """Cap the working precision (bits) of the exact references; range [64, 2**24]."""
    check(lib.plumb_exact_set_precision_cap(int64(bits, "bits")))


def get_exact_precision_cap() -> int:
    """The working-precision cap (bits) of the exact references."""
    return int(lib.plumb_exact_get_precision_cap())
