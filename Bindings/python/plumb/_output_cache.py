"""Recycled memory for large output arrays.

A fresh numpy array of many megabytes is a fresh mapping from the operating system, and the first
write to each page faults and zeroes it: for a 4096 x 4096 float32 gradient that costs more than
the kernel that fills it (measured 5-15 ms against 8-10 ms). A training loop asks for an output of
the same shape every step, so plumb keeps the buffers behind its large outputs and hands one out
again once nothing refers to it any more.

A buffer is free exactly when no array refers to it: every view of a returned array, however
derived (slices, reshapes, ``np.frombuffer``, ``torch.from_numpy``), holds a reference to the
buffer that owns its memory, so its reference count shows whether any is alive. Returned arrays
are ordinary arrays that do not own their data (``a.base`` is the buffer); a buffer is never handed
out while any of them lives. Outputs below ``MIN_BYTES`` come from ``numpy.empty``, as do all
outputs when the cache is off (``set_output_cache(0)``) or full, and on interpreters without a GIL,
where reference counts are not exact.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import List, Tuple

import numpy as np

__all__ = ["empty_output", "set_output_cache", "output_cache_info"]

MIN_BYTES = 1 << 20
_limit = 256 << 20
_buffers: List[np.ndarray] = []  # uint8 owners, least recently handed out first
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock when it forked; the child has only this thread.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
_exact_refcounts = not (hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled())


def _is_free(i: int) -> bool:
    # References: the list slot and getrefcount's argument. Anything more is a live array.
    return sys.getrefcount(_buffers[i]) == 2


def empty_output(shape: Tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype`` that the caller fills
    completely (its memory may hold an earlier output's values)."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < MIN_BYTES or not _exact_refcounts:
        return np.empty(shape, dtype=dtype)
    with _lock:
        _release_free(_limit)  # the limit may have been lowered while these buffers were in use
        for i in range(len(_buffers)):
            if _buffers[i].nbytes == nbytes and _is_free(i):
                buf = _buffers.pop(i)
                _buffers.append(buf)
                return buf.view(dtype).reshape(shape)
        if nbytes > _limit or _release_free(_limit - nbytes) + nbytes > _limit:
            return np.empty(shape, dtype=dtype)
        buf = np.empty(nbytes, dtype=np.uint8)
        _buffers.append(buf)
        return buf.view(dtype).reshape(shape)


def _release_free(room: int) -> int:
    """Drops free buffers, least recently used first, until at most ``room`` bytes are held (or
    none is free). Returns the bytes held. Called under the lock."""
    held = sum(b.nbytes for b in _buffers)
    i = 0
    while held > room and i < len(_buffers):
        if _is_free(i):
            held -= _buffers.pop(i).nbytes
        else:
            i += 1
    return held


def set_output_cache(max_bytes: int) -> int:
    """Bound the memory plumb keeps for recycling large outputs (default 256 MiB); ``0`` turns the
    cache off. Buffers no output uses any more are released at once where they exceed the new
    bound. Returns the previous bound."""
    global _limit
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
        raise TypeError(f"max_bytes must be an int, not {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, not {max_bytes}")
    with _lock:
        previous, _limit = _limit, int(max_bytes)
        _release_free(_limit)
    return previous


def output_cache_info() -> dict:
    """``{"limit": bytes, "held": bytes, "in_use": bytes}``: the bound, the memory kept for
    outputs, and the part of it live arrays use."""
    with _lock:
        held = sum(b.nbytes for b in _buffers)
        in_use = sum(_buffers[i].nbytes for i in range(len(_buffers)) if not _is_free(i))
        return {"limit": _limit, "held": held, "in_use": in_use}
