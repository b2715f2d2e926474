"""Benchmark: plumb.HessianProbe.observe on 32M float32 gradients vs the same EMA updates in numpy.

One observation updates Adam's m and v and AdaBelief's s (binary64 state, like plumb's) from a
float32 gradient after checking it is finite. plumb does it in one fused, threaded pass; numpy
needs a pass per operation (written with in-place ops and a preallocated temporary). Bandwidth is
reported against a numpy array copy measured in the same run (roofline). Run: make bench, or
PYTHONPATH=Bindings/python python benchmarks/bench_hessian.py [--n N] [--repeats R].
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Bindings" / "python"))
import plumb  # noqa: E402


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up (first touch of pages)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=32 * 1024 * 1024)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n, reps = args.n, args.repeats
    b1, b2 = 0.9, 0.999
    rng = np.random.default_rng(0)
    grad = rng.standard_normal(n, dtype=np.float32)
    print(f"n = {n} float32 gradients, state m, v, s in float64; threads = {plumb.get_num_threads()}")

    # Roofline: a large copy (read + write of 8 bytes per element).
    src = np.ones(n, dtype=np.float64)
    dst = np.empty_like(src)
    t_copy = best_time(lambda: np.copyto(dst, src), reps)
    # The same copy split over plumb's thread count (numpy releases the GIL in copyto).
    threads = plumb.get_num_threads()
    bounds = np.linspace(0, n, threads + 1).astype(int)
    pool = ThreadPoolExecutor(threads)

    def threaded_copy() -> None:
        list(pool.map(lambda k: np.copyto(dst[bounds[k]:bounds[k + 1]], src[bounds[k]:bounds[k + 1]]),
                      range(threads)))
    t_copy_mt = best_time(threaded_copy, reps)
    pool.shutdown()
    roof1 = 2 * src.nbytes / t_copy / 1e9
    roof = max(roof1, 2 * src.nbytes / t_copy_mt / 1e9)
    print(f"copy roofline (read + write counted): 1 thread {roof1:6.2f} GB/s, "
          f"{threads} threads {2 * src.nbytes / t_copy_mt / 1e9:6.2f} GB/s; roof = {roof:.2f} GB/s")
    del src, dst

    probe = plumb.HessianProbe(n, beta1=b1, beta2=b2)
    t_plumb = best_time(lambda: probe.observe(grad), reps)

    m = np.zeros(n)
    v = np.zeros(n)
    s = np.zeros(n)
    g64 = np.empty(n)
    tmp = np.empty(n)

    def numpy_update(check: bool) -> None:
        if check and not np.isfinite(grad).all():
            raise ValueError("non-finite gradient")
        np.copyto(g64, grad)
        np.multiply(m, b1, out=m)
        np.multiply(g64, 1 - b1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(g64, g64, out=tmp)
        np.multiply(tmp, 1 - b2, out=tmp)
        np.multiply(v, b2, out=v)
        np.add(v, tmp, out=v)
        np.subtract(g64, m, out=tmp)
        np.multiply(tmp, tmp, out=tmp)
        np.multiply(tmp, 1 - b2, out=tmp)
        np.multiply(s, b2, out=s)
        np.add(s, tmp, out=s)

    t_np = best_time(lambda: numpy_update(True), reps)
    t_np_nocheck = best_time(lambda: numpy_update(False), reps)

    useful = n * (4 + 6 * 8)  # read grad, read+write m, v, s
    print(f"{'':28}{'time ms':>10}{'GB/s':>9}{'of roof':>9}{'plumb speedup':>15}")
    for name, t in (("plumb observe_f32", t_plumb), ("numpy (with finite check)", t_np),
                    ("numpy (no check)", t_np_nocheck)):
        gbs = useful / t / 1e9
        print(f"{name:28}{t * 1e3:10.1f}{gbs:9.2f}{gbs / roof:9.0%}{t / t_plumb:14.2f}x")
    print("GB/s counts the minimum traffic, 52 bytes per coordinate (plumb also re-reads the 4-byte\n"
          "gradient in its finiteness pre-scan; numpy's temporaries add more). The copy roof counts 16 bytes\n"
          "per element but the hardware moves 24 (write-allocate reads dst first); in-place updates avoid\n"
          "that, so they can exceed 100% of this roof.")
    probe.close()


if __name__ == "__main__":
    main()
