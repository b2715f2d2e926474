"""plumb's exception and the status check every wrapper applies."""
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


class PlumbError(RuntimeError):
    """A plumb call failed. ``status`` is the C ``plumb_status`` (int), ``name`` its enum name,
    ``message`` the text of ``plumb_last_error()``."""

    def __init__(self, status: int, message: str):
        self.status = int(status)
        self.name = STATUS_NAMES.get(self.status, "PLUMB_ERR_UNKNOWN")
        self.message = message
        super().__init__(f"{self.name}: {message}")


def check(status: int) -> None:
    """Raise PlumbError unless ``status`` is PLUMB_OK."""
    if status != 0:
        raise PlumbError(status, lib.plumb_last_error().decode("utf-8", "replace"))
