"""Benchmark: InfoNCE / FlatNCE forward + backward on 4096 x 4096 float32 scores.

plumb against a numpy implementation in the same process (and JAX when importable), plus the
achieved bandwidth against a large numpy copy measured in the same run. plumb's default call takes
its gradient from the binding's output cache (recycled memory, see ``plumb.set_output_cache``); the
benchmark also times it into caller-reused outputs and with the cache off, where each call's
gradient is a fresh mapping whose first-touch page faults the kernel pays. Run via `make bench` or
`plumb bench contrastive`; `--quick` uses a smaller problem.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Bindings" / "python"))
import plumb  # noqa: E402


def best_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


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
    t_copy = best_time(lambda: np.copyto(dst, big), repeats)
    copy_gbs = 2 * big.nbytes / t_copy / 1e9
    print(f"problem: {n} x {n} float32, tau={tau}, threads={plumb.get_num_threads()}")
    print(f"roofline: numpy copy of {big.nbytes / 1e6:.0f} MB: {copy_gbs:.1f} GB/s (read + write)")
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
        t_plumb = best_time(lambda: fn(s, pos, tau), repeats)
        gbs = traffic / t_plumb / 1e9
        print(f"{kind}: plumb {t_plumb * 1e3:8.2f} ms  {gbs:6.1f} GB/s ({100 * gbs / copy_gbs:.0f}% of copy)")
        loss_out, grad_out = np.empty(n, np.float32), np.empty_like(s)
        t_reuse = best_time(lambda: fn(s, pos, tau, loss_out=loss_out, grad_out=grad_out), repeats)
        print(f"{kind}: plumb into reused outputs (loss_out=, grad_out=) {t_reuse * 1e3:8.2f} ms")
        limit = plumb.set_output_cache(0)
        t_fresh = best_time(lambda: fn(s, pos, tau), repeats)
        plumb.set_output_cache(limit)
        print(f"{kind}: plumb with the output cache off (a fresh gradient mapping per call) {t_fresh * 1e3:8.2f} ms")
        threads = plumb.get_num_threads()
        plumb.set_num_threads(1)
        t_one = best_time(lambda: fn(s, pos, tau), repeats)
        plumb.set_num_threads(0)
        print(f"{kind}: plumb on 1 thread {t_one * 1e3:8.2f} ms (x{t_one / t_plumb:.2f} of {threads} threads)")
        for peer, impls in peers.items():
            if kind not in impls:
                continue
            t_peer = best_time(lambda: impls[kind](s, pos, tau), repeats)
            print(f"{kind}: {peer:5s} {t_peer * 1e3:8.2f} ms  ratio {peer}/plumb = {t_peer / t_plumb:5.1f}x "
                  f"(reused outputs: {t_peer / t_reuse:5.1f}x; cache off: {t_peer / t_fresh:5.1f}x; "
                  f"1 thread: {t_peer / t_one:5.1f}x)")


if __name__ == "__main__":
    main()
