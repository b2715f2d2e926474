"""plumb's exceptions and the status check every wrapper applies."""
from __future__ import annotations

from ._lib import lib

STATUS_NAMES = {
    0: "PLUMB_OK",
    1: "PLUMB_ERR_ARGUMENT",
    2: "PLUMB_ERR_DOMAIN",
    3: "PLUMB_ERR_NO_MEMORY",
    4: "PLUMB_ERR_NOT_CONVERGED",
    5: "PLUMB_ERR_PRECISION",
}
ARGUMENT = 1  # PLUMB_ERR_ARGUMENT


class PlumbError(RuntimeError):
    """A plumb call failed. ``status`` is the C ``plumb_status`` (int), ``name`` its enum name,
    ``message`` the text of ``plumb_last_error()``."""

    def __init__(self, status: int, message: str):
        self.status = int(status)
        self.name = STATUS_NAMES.get(self.status, "PLUMB_ERR_UNKNOWN")
        self.message = message
        super().__init__(f"{self.name}: {message}")


class ArgumentError(PlumbError, ValueError):
    """A bad argument value (PLUMB_ERR_ARGUMENT): a NaN or non-positive temperature, k out of range,
    max_iters <= 0, a NaN tol, an unknown method, a size that does not fit int64, ... Raised by the
    binding before any C call (or by C for what only C checks). Both a :class:`PlumbError` and a
    ``ValueError``; wrong dtypes stay ``TypeError`` and wrong shapes plain ``ValueError``."""

    def __init__(self, message: str):
        super().__init__(ARGUMENT, message)


def check(status: int) -> None:
    """Raise PlumbError (ArgumentError for PLUMB_ERR_ARGUMENT) unless ``status`` is PLUMB_OK."""
    if status != 0:
        message = lib.plumb_last_error().decode("utf-8", "replace")
        raise ArgumentError(message) if status == ARGUMENT else PlumbError(status, message)
