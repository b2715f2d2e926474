"""The binding's output cache: large outputs reuse the memory of earlier outputs that nothing refers
to any more, never the memory of one that is still alive (through any view), and give bitwise
the results of fresh arrays."""
import os
import sys
import threading

import numpy as np
import pytest

import plumb
from forking import child_exit_code
from plumb import _output_cache

RNG = np.random.default_rng(5)
N = 600  # 600 x 600 float32 = 1.4 MB: above the cache's 1 MiB floor
SCORES = RNG.normal(size=(N, N)).astype(np.float32)
POSITIVE = RNG.integers(0, N, N)


@pytest.fixture(autouse=True)
def fresh_cache():
    previous = plumb.set_output_cache(0)  # releases what earlier tests left
    plumb.set_output_cache(256 << 20)
    yield
    plumb.set_output_cache(previous)


def grad_of(scores=SCORES):
    return plumb.infonce(scores, POSITIVE, 0.1)[1]


def test_dropped_output_is_reused_and_live_one_is_not():
    g = grad_of()
    address = g.ctypes.data
    assert not g.flags.owndata and g.base.nbytes == g.nbytes
    g2 = grad_of()  # g is alive: new memory
    assert g2.ctypes.data != address
    del g
    g3 = grad_of()
    assert g3.ctypes.data == address
    np.testing.assert_array_equal(g3, g2)
    assert plumb.output_cache_info() == {"limit": 256 << 20, "held": 2 * g2.nbytes, "in_use": 2 * g2.nbytes}


@pytest.mark.parametrize("derive", [
    lambda g: g[5:],
    lambda g: g.T,
    lambda g: g.reshape(-1)[::3],
    lambda g: g.view(np.int32),
    lambda g: np.frombuffer(g, dtype=np.float32),
    lambda g: memoryview(g),
    lambda g: np.asarray(g),
])
def test_any_view_keeps_its_memory(derive):
    g = grad_of()
    kept = derive(g)
    snapshot = np.array(kept, copy=True)
    del g
    other = grad_of(SCORES[::-1].copy())  # different values into whatever memory is free
    assert not np.shares_memory(np.asarray(kept), other)
    np.testing.assert_array_equal(np.asarray(kept), snapshot)


def test_results_are_those_of_fresh_arrays():
    x = RNG.normal(size=(64, 4096)) * 3
    g = RNG.normal(size=x.shape)
    w = RNG.normal(size=(400, 380))
    a, b = RNG.normal(size=(2, 400, 400))
    calls = {
        "infonce": lambda: plumb.infonce(SCORES, POSITIVE, 0.07)[1],
        "flatnce": lambda: plumb.flatnce(SCORES.astype(np.float64), POSITIVE, 0.07)[1],
        "soft_topk": lambda: plumb.soft_topk(x, 100, method="sigmoid", temperature=0.5),
        "soft_topk_vjp": lambda: plumb.soft_topk_vjp(x, 100, g, method="exp_clip", temperature=0.5),
        "spectral_grad": lambda: plumb.spectral_grad(w)[0],
        "embeddings": lambda: np.concatenate(plumb.contrastive_embeddings(a, b)[1:]),
    }
    plumb.set_output_cache(0)
    fresh = {name: call() for name, call in calls.items()}
    plumb.set_output_cache(256 << 20)
    for _ in range(3):  # the second and third rounds run in recycled memory
        for name, call in calls.items():
            np.testing.assert_array_equal(call(), fresh[name], err_msg=name)
    assert plumb.output_cache_info()["held"] > 0


def test_limit_and_floor():
    plumb.set_output_cache(0)
    assert grad_of().flags.owndata
    assert plumb.output_cache_info()["held"] == 0
    plumb.set_output_cache(SCORES.nbytes)  # room for one gradient
    g = grad_of()
    assert not g.flags.owndata
    g2 = grad_of()  # the cache forgets g's buffer (g keeps it) and holds g2's
    assert not g2.flags.owndata
    assert plumb.output_cache_info() == {"limit": SCORES.nbytes, "held": SCORES.nbytes, "in_use": SCORES.nbytes}
    address = g2.ctypes.data
    del g, g2
    assert plumb.output_cache_info() == {"limit": SCORES.nbytes, "held": SCORES.nbytes, "in_use": 0}
    assert grad_of().ctypes.data == address
    # Beyond the limit on its own: a plain array, the cache untouched.
    big = plumb.infonce(np.tile(SCORES, (2, 1)), np.tile(POSITIVE, 2), 0.1)[1]
    assert big.flags.owndata and plumb.output_cache_info()["held"] == SCORES.nbytes
    # Another size evicts the free buffer it does not fit beside.
    narrow = plumb.infonce(SCORES[:, :500].copy(), POSITIVE % 500, 0.1)[1]
    assert not narrow.flags.owndata
    assert plumb.output_cache_info() == {"limit": SCORES.nbytes, "held": narrow.nbytes, "in_use": narrow.nbytes}
    small = RNG.normal(size=(100, 100)).astype(np.float32)  # 40 KB: below the floor
    assert plumb.infonce(small, np.arange(100), 0.1)[1].flags.owndata
    assert _output_cache.MIN_BYTES == 1 << 20


def test_lowering_the_limit_forgets_buffers_in_use():
    g = grad_of()
    grad_of()  # a second buffer, free at once
    assert plumb.output_cache_info()["held"] == 2 * g.nbytes
    assert plumb.set_output_cache(g.nbytes) == 256 << 20
    assert plumb.output_cache_info() == {"limit": g.nbytes, "held": g.nbytes, "in_use": g.nbytes}
    plumb.set_output_cache(0)  # g's buffer is no longer the cache's: it goes when g goes
    assert plumb.output_cache_info()["held"] == 0
    buffer = g.base
    assert sys.getrefcount(buffer) == 3  # g and this name only
    values = g.copy()
    assert np.array_equal(grad_of(), values) and np.array_equal(g, values)


def test_calls_from_inside_the_cache_get_plain_arrays(monkeypatch):
    # A finalizer run by a garbage collection inside the cache's bookkeeping (or a signal handler)
    # may call plumb again on the same thread: it must neither deadlock nor touch the buffers.
    # Simulated deterministically: the bookkeeping itself calls plumb (a collection forced with
    # gc.set_threshold(1) does the same, but also crashes numpy's own ufunc machinery under pytest).
    x = RNG.normal(size=(256, 1024)).astype(np.float32)  # a 1 MiB output
    expected = plumb.soft_topk(x, 3, "exp_clip")
    inner = []
    held = _output_cache._held

    def reentering_held():
        if not inner:
            inner.append(plumb.soft_topk(x, 3, "exp_clip"))
            inner.append(plumb.output_cache_info())
            plumb.set_output_cache(128 << 20)
        return held()

    monkeypatch.setattr(_output_cache, "_held", reentering_held)
    outer = plumb.soft_topk(x, 3, "exp_clip")
    monkeypatch.setattr(_output_cache, "_held", held)
    assert len(inner) == 2 and inner[0].flags.owndata  # the nested call got a plain array
    np.testing.assert_array_equal(inner[0], expected)
    np.testing.assert_array_equal(outer, expected)
    assert not np.shares_memory(outer, inner[0]) and not np.shares_memory(outer, expected)
    assert plumb.output_cache_info()["limit"] == 128 << 20  # the nested set_output_cache took effect


@pytest.mark.parametrize("bad, error", [(1.5, TypeError), (True, TypeError), ("1", TypeError), (None, TypeError),
                                        (-1, ValueError)])
def test_bad_limits(bad, error):
    with pytest.raises(error):
        plumb.set_output_cache(bad)
    assert plumb.output_cache_info()["limit"] == 256 << 20


def test_threads_never_share_live_outputs():
    reference = grad_of()
    results, errors = [], []

    def worker():
        try:
            for _ in range(6):
                g = grad_of()
                results.append(g)
                if len(results) > 8:
                    results.pop(0)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    alive = list(results)
    for i, g in enumerate(alive):
        np.testing.assert_array_equal(g, reference)
        for h in alive[i + 1:]:
            assert not np.shares_memory(g, h)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_another_thread_holds_the_lock():
    gate, release = threading.Event(), threading.Event()

    def holder():
        with _output_cache._lock:
            gate.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    gate.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: the lock's holder did not come along
        try:
            g = grad_of()
            os._exit(0 if np.isfinite(g).all() else 1)
        except BaseException:  # noqa: BLE001
            os._exit(2)
    release.set()
    t.join()
    assert child_exit_code(pid, 30, "the forked child (deadlocked on the output cache's lock?)") == 0
