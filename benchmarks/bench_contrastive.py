"""Benchmark: InfoNCE / FlatNCE forward + backward on 4096 x 4096 float32 scores.

plumb against a numpy implementation in the same process (and JAX when importable), plus the
achieved bandwidth against a large numpy copy measured in the same run; every contender runs in
turn within each repeat, so that all see the same machine. plumb's default call takes
its gradient from the binding's output cache (recycled memory, see ``plumb.set_output_cache``); the
benchmark also times it into caller-reused outputs and with the cache off, where each call's
gradient is a fresh mapping whose first-touch page faults the kernel pays. Run via `make bench` or
`plumb bench contrastive`; `--quick` uses a smaller problem.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Bindings" / "python"))
import plumb  # noqa: E402
from timing import race  # noqa: E402


def with_settings(fn, cache: int | None = None, threads: int | None = None):
    """fn run with the output cache limit and/or the thread count changed, and then restored."""
    def run():
        old_cache = plumb.set_output_cache(cache) if cache is not None else None
        old_threads = plumb.get_num_threads()
        if threads is not None:
            plumb.set_num_threads(threads)
        try:
            fn()
        finally:
            if old_cache is not None:
                plumb.set_output_cache(old_cache)
            plumb.set_num_threads(old_threads)
    return run


def numpy_infonce(s: np.ndarray, pos: np.ndarray, tau: float):
    """The usual formulation: log_softmax with a max shift, gradient softmax - onehot."""
    z = s / np.float32(tau)
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(s.shape[0])
    loss = (np.log(total[:, 0]) + m[:, 0]) - z[rows, pos]
    grad = e / total
    grad[rows, pos] -= 1
    grad /= np.float32(tau)
    return loss, grad


def numpy_flatnce(s: np.ndarray, pos: np.ndarray, tau: float):
    z = s / np.float32(tau)
    rows = np.arange(s.shape[0])
    zt = z[rows, pos].copy()
    z[rows, pos] = -np.inf
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True)
    loss = (np.log(total[:, 0]) + m[:, 0]) - zt
    grad = e / total
    grad[rows, pos] = -1
    grad /= np.float32(tau)
    return loss, grad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", type=int, default=4096)
    args = ap.parse_args()
    n = 1024 if args.quick else args.size
    repeats = 3 if args.quick else 15
    rng = np.random.default_rng(0)
    s = rng.normal(size=(n, n)).astype(np.float32)
    pos = np.arange(n, dtype=np.int64)
    tau = 0.07

    big = np.empty(n * n * 2, dtype=np.float32)
    dst = np.empty_like(big)
    copy = lambda: np.copyto(dst, big)  # noqa: E731
    print(f"problem: {n} x {n} float32, tau={tau}, threads={plumb.get_num_threads()}")
    traffic = 2 * s.nbytes + 4 * n  # read scores, write grad (loss negligible)

    peers = {"numpy": {"infonce": numpy_infonce, "flatnce": numpy_flatnce}}
    try:
        import jax
        import jax.numpy as jnp

        def jax_infonce(s, pos, tau):
            z = s / tau
            return -jnp.take_along_axis(jax.nn.log_softmax(z, axis=1), pos[:, None], axis=1).sum()
        jg = jax.jit(jax.value_and_grad(jax_infonce))
        sj, pj = jnp.asarray(s), jnp.asarray(pos)
        peers["jax"] = {"infonce": lambda s_, p_, t_: jax.block_until_ready(jg(sj, pj, t_))}
    except Exception:  # noqa: BLE001 - jax absent or broken: skip it
        print("jax: not importable, skipped")

    for kind in ("infonce", "flatnce"):
        fn = getattr(plumb, kind)
        loss_out, grad_out = np.empty(n, np.float32), np.empty_like(s)
        threads = plumb.get_num_threads()
        contenders = {
            "plumb": lambda: fn(s, pos, tau),
            "reused": lambda: fn(s, pos, tau, loss_out=loss_out, grad_out=grad_out),
            "fresh": with_settings(lambda: fn(s, pos, tau), cache=0),
            "one": with_settings(lambda: fn(s, pos, tau), threads=1),
            "copy": copy,
        }
        contenders.update({peer: (lambda impl=impls[kind]: impl(s, pos, tau))
                           for peer, impls in peers.items() if kind in impls})
        t, _ = race(contenders, repeats)
        copy_gbs = 2 * big.nbytes / t["copy"] / 1e9
        gbs = traffic / t["plumb"] / 1e9
        print(f"{kind}: roofline: numpy copy of {big.nbytes / 1e6:.0f} MB: {copy_gbs:.1f} GB/s (read + write)")
        print(f"{kind}: plumb {t['plumb'] * 1e3:8.2f} ms  {gbs:6.1f} GB/s ({100 * gbs / copy_gbs:.0f}% of copy)")
        print(f"{kind}: plumb into reused outputs (loss_out=, grad_out=) {t['reused'] * 1e3:8.2f} ms")
        print(f"{kind}: plumb with the output cache off (a fresh gradient mapping per call) {t['fresh'] * 1e3:8.2f} ms")
        print(f"{kind}: plumb on 1 thread {t['one'] * 1e3:8.2f} ms (x{t['one'] / t['plumb']:.2f} of {threads} threads)")
        for peer in peers:
            if peer not in t:
                continue
            tp = t[peer]
            print(f"{kind}: {peer:5s} {tp * 1e3:8.2f} ms  ratio {peer}/plumb = {tp / t['plumb']:5.1f}x "
                  f"(reused outputs: {tp / t['reused']:5.1f}x; cache off: {tp / t['fresh']:5.1f}x; "
                  f"1 thread: {tp / t['one']:5.1f}x)")


if __name__ == "__main__":
    main()
