"""Timing shared by the benchmarks."""
import time

# Threads that wait for the next call by spinning take cores from whatever runs next: plumb's for
# up to 0.3 ms (plumb.h, plumb_set_num_threads), OpenBLAS's (numpy's and scipy's BLAS) for 2^28
# cycles, ~0.1 s here. Each contender starts after they all sleep (measured, 2048 x 2048 spectral:
# plumb's cold gradient right after svds took 39-53 ms, after 0.2 s of idle time 31-34 ms).
SETTLE_SECONDS = 0.2


def race(fns: dict, repeats: int):
    """Best time and last result of each function, the functions run in turn within every repeat
    (after one untimed warm-up round): this host's speed drifts over seconds, and interleaving gives
    every contender the same conditions. Each call starts after `SETTLE_SECONDS` of idle time."""
    out = {name: fn() for name, fn in fns.items()}
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            time.sleep(SETTLE_SECONDS)
            t = time.perf_counter()
            out[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best, out
