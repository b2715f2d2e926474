"""Timing shared by the benchmarks."""
import time


def race(fns: dict, repeats: int):
    """Best time and last result of each function, the functions run in turn within every repeat
    (after one untimed warm-up round): this host's speed drifts over seconds, and interleaving gives
    every contender the same conditions."""
    out = {name: fn() for name, fn in fns.items()}
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            out[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best, out
