"""Recycled memory for large output arrays.

A fresh numpy array of many megabytes is a fresh mapping from the operating system, and the first
write to each page faults and zeroes it: for a 4096 x 4096 float32 gradient that costs more than
the kernel that fills it (measured 5-15 ms against 8-10 ms). A training loop asks for an output of
the same shape every step, so plumb keeps the buffers behind its large outputs and hands one out
again once nothing refers to it any more.

A buffer is free exactly when no array refers to it: every view of a returned array, however
derived (slices, reshapes, ``np.frombuffer``, ``torch.from_numpy``), holds a reference to the
buffer that owns its memory, so its reference count shows whether any is alive. Returned arrays
are ordinary arrays that do not own their data (``a.base`` is the buffer, ``a.resize`` refuses
them); a buffer is never handed out while any of them lives. Outputs below ``MIN_BYTES`` come from
``numpy.empty``, as do all outputs when the cache is off (``set_output_cache(0)``), on
interpreters without a GIL (where reference counts are not exact), and in calls made while this
thread is inside the cache (a finalizer or signal handler run by an allocation here).
"""
from __future__ import annotations

import os
import sys
import threading
from typing import List, Tuple

import numpy as np

from ._errors import ArgumentError

__all__ = ["empty_output", "set_output_cache", "output_cache_info"]

MIN_BYTES = 1 << 20
_limit = 256 << 20
_buffers: List[np.ndarray] = []  # uint8 owners, least recently handed out first
_lock = threading.RLock()
# Set by the thread holding the lock while it works on _buffers. Allocations there can run a
# garbage collection (finalizers) or a signal handler that calls plumb again on the same thread:
# the re-entrant lock lets that call in, and it must then leave _buffers alone.
_busy = False
_exact_refcounts = not (hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled())


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock when it forked; the child has only this thread.
    global _lock, _busy
    _lock, _busy = threading.RLock(), False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _is_free(i: int) -> bool:
    # References: the list slot and getrefcount's argument. Anything more is a live array.
    return sys.getrefcount(_buffers[i]) == 2


def _held() -> int:
    total = 0
    for b in _buffers:
        total += b.nbytes
    return total


def _trim(room: int) -> int:
    """Forgets buffers until at most ``room`` bytes are held: free ones first (released), then ones
    still in use (their arrays keep them, and free them when they go), least recently handed out
    first. Returns the bytes held. Called with the lock held and ``_busy`` set."""
    held = _held()
    for only_free in (True, False):
        i = 0
        while held > room and i < len(_buffers):
            if only_free and not _is_free(i):
                i += 1
            else:
                held -= _buffers.pop(i).nbytes
    return held


def empty_output(shape: Tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype`` that the caller fills
    completely (its memory may hold an earlier output's values)."""
    global _busy
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < MIN_BYTES or nbytes > _limit or not _exact_refcounts:
        return np.empty(shape, dtype=dtype)
    with _lock:
        if _busy:
            return np.empty(shape, dtype=dtype)
        _busy = True
        try:
            _trim(_limit)  # the limit may have been lowered while buffers were in use
            for i in range(len(_buffers)):
                if _buffers[i].nbytes == nbytes and _is_free(i):
                    buf = _buffers.pop(i)
                    _buffers.append(buf)
                    return buf.view(dtype).reshape(shape)
            _trim(_limit - nbytes)
            buf = np.empty(nbytes, dtype=np.uint8)
            _buffers.append(buf)
            return buf.view(dtype).reshape(shape)
        finally:
            _busy = False


def set_output_cache(max_bytes: int) -> int:
    """Bound the memory plumb keeps for recycling large outputs (default 256 MiB); ``0`` turns the
    cache off. Beyond the new bound, free buffers are released at once and buffers still in use
    are forgotten (freed with the last array that uses them). Returns the previous bound."""
    global _limit, _busy
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"max_bytes must be an int, not {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ArgumentError(f"max_bytes must be >= 0, not {max_bytes}")
    with _lock:
        previous, _limit = _limit, int(max_bytes)
        if not _busy:  # else the call this one interrupted trims to the new bound next time
            _busy = True
            try:
                _trim(_limit)
            finally:
                _busy = False
    return previous


def output_cache_info() -> dict:
    """``{"limit": bytes, "held": bytes, "in_use": bytes}``: the bound, the memory kept for
    outputs, and the part of it live arrays use."""
    with _lock:
        in_use = 0
        for i in range(len(_buffers)):
            if not _is_free(i):
                in_use += _buffers[i].nbytes
        return {"limit": _limit, "held": _held(), "in_use": in_use}
