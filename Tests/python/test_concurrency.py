"""Every capability called from many Python threads at once (ctypes releases the GIL, so the calls
really overlap inside the library) gives results bitwise identical to serial calls, and the
library's own thread count (plumb_set_num_threads 1, 2, 8) changes no result bit."""
import os
import threading

import numpy as np
import pytest

import plumb
from forking import child_exit_code

RNG = np.random.default_rng(77)
SCORES = RNG.normal(size=(300, 257)).astype(np.float32)
POSITIVE = RNG.integers(0, 257, 300)
TOPK_X = RNG.normal(size=(64, 200)) * 5
TOPK_G = RNG.normal(size=(64, 200))
W = RNG.normal(size=(300, 200))
EMB_A, EMB_B = RNG.normal(size=(64, 16)), RNG.normal(size=(64, 16))
GRADS = RNG.normal(size=(20, 3000))
SMALL = RNG.normal(size=(4, 9))
H_DIAG = np.linspace(1.0, 5.0, 40)


def hessian_probe():
    with plumb.HessianProbe(3000) as probe:
        for g in GRADS:
            probe.observe(g)
        return [probe.implied_diag(e, 0.1) for e in ("adam", "rms", "belief")] + [
            np.array(list(probe.compare(np.abs(GRADS[0]) + 1).values()))]


def hessian_full():
    with plumb.HessianProbe(40, full_matrix=True) as probe:
        for g in GRADS[:, :40]:
            probe.observe(g)
        return [probe.implied_diag("full"), np.array(list(probe.compare_matrix(np.diag(H_DIAG)).values()))]


# Each workload returns a list of arrays; together they touch every kernel family and reference.
WORKLOADS = {
    "infonce_f32": lambda: list(plumb.infonce(SCORES, POSITIVE, 0.07)),
    "flatnce_f64": lambda: list(plumb.flatnce(SCORES.astype(np.float64), POSITIVE, 0.07)),
    "embeddings": lambda: [np.array(plumb.contrastive_embeddings(EMB_A, EMB_B)[0])]
    + list(plumb.contrastive_embeddings(EMB_A, EMB_B)[1:]),
    "soft_topk": lambda: [plumb.soft_topk(TOPK_X, 17, m) for m in ("gradient", "exp_clip", "sigmoid", "laplace")],
    "soft_topk_vjp": lambda: [plumb.soft_topk_vjp(TOPK_X.astype(np.float32), 17, TOPK_G.astype(np.float32), m)
                              for m in ("gradient", "exp_clip", "sigmoid", "laplace")],
    "spectral": lambda: [plumb.spectral_grad(W, squared=True)[0], plumb.spectral_norm(W.astype(np.float32))[2],
                         plumb.spectral_decay_(W.copy(), 0.1)[0]],
    "spectral_pair": lambda: [plumb.spectral_grad(W, squared=True, v2=np.zeros(W.shape[1]))[0],
                              plumb.spectral_norm(W.astype(np.float32), v2=np.zeros(W.shape[1], np.float32))[2],
                              plumb.spectral_decay_(W.copy(), 0.1, v2=np.zeros(W.shape[1]))[0]],
    "hessian": hessian_probe,
    "hessian_full": hessian_full,
    "hutchinson": lambda: list(plumb.hutchinson_diag(lambda v: H_DIAG * v, 40, samples=16, seed=3)),
    "exact": lambda: [plumb.exact.logsumexp(SMALL), plumb.exact.infonce(SMALL, np.arange(4))[1],
                      plumb.exact.soft_topk(SMALL, 3, "sigmoid"), plumb.exact.spectral_norm(SMALL)[1],
                      plumb.exact.least_squares_hessian(SMALL)],
    "compare": lambda: [np.array(list(plumb.compare(SCORES.ravel(), SCORES.ravel().astype(np.float64) * (1 + 1e-7))
                                      .values()))],
}


def as_bytes(results):
    return [np.ascontiguousarray(r).tobytes() for r in results]


@pytest.fixture(autouse=True)
def restore_threads():
    before = plumb.get_num_threads()
    yield
    plumb.set_num_threads(before)


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_library_thread_count_changes_no_bits(name):
    work = WORKLOADS[name]
    results = {}
    for n in (1, 2, 8):
        plumb.set_num_threads(n)
        results[n] = as_bytes(work())
    assert results[1] == results[2] == results[8]


def test_all_capabilities_at_once_from_many_threads():
    plumb.set_num_threads(2)
    serial = {name: as_bytes(work()) for name, work in WORKLOADS.items()}
    names = sorted(WORKLOADS) * 3  # 33 threads, every workload three times over
    got = [None] * len(names)
    errors = []
    start = threading.Barrier(len(names))

    def run(i, name):
        try:
            start.wait()
            got[i] = as_bytes(WORKLOADS[name]())
        except Exception as e:  # noqa: BLE001 - reported below with the workload's name
            errors.append((name, e))

    threads = [threading.Thread(target=run, args=(i, name)) for i, name in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, name in enumerate(names):
        assert got[i] == serial[name], name


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_computes_the_same_bits():
    # The parent's worker threads (kept between calls) do not exist in a fork child; the child's
    # parallel calls must neither wait for them nor differ in any bit.
    plumb.set_num_threads(2)
    expected = {name: as_bytes(WORKLOADS[name]()) for name in ("spectral", "soft_topk", "infonce_f32")}
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        status = 1
        try:
            same = all(as_bytes(WORKLOADS[name]()) == bits for name, bits in expected.items())
            status = 0 if same else 2
        finally:
            os._exit(status)
    assert child_exit_code(pid, 60, "the fork child's plumb calls") == 0
