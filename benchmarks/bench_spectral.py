"""Benchmark: time to a spectral-norm gradient with relative error <= 1e-4.

2048 x 2048 float32 Gaussian (sigma_1/sigma_2 ~ 1.01): plumb cold vs scipy.sparse.linalg.svds(k=1,
tol=1e-6) (target >= 3x faster); plumb warm-started after W changes by 1e-3 relative, from v and
from the training-loop pair (v, v2) (target >= 10x faster than cold svds); numpy's 10-step power
recipe for reference (fast but wrong on small gaps); bytes per pass over W vs a memcpy roofline
measured in the same run. Then wide matrices (far fewer rows than columns, searched on W W^T):
plumb cold and warm against svds and numpy's SVD, and against plumb on the transposed (tall) matrix.

    python benchmarks/bench_spectral.py [--size N] [--repeats R]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Bindings" / "python"))
import plumb  # noqa: E402
from timing import race  # noqa: E402

try:
    from scipy.sparse.linalg import svds
except ImportError:  # scipy is an optional peer
    svds = None


def grad_error(g, ref):
    g = g.astype(np.float64)
    return min(np.linalg.norm(g - ref), np.linalg.norm(g + ref)) / np.linalg.norm(ref)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n, reps = args.size, args.repeats
    rng = np.random.default_rng(0)
    w = np.ascontiguousarray(rng.standard_normal((n, n)).astype(np.float32))
    e = rng.standard_normal((n, n)).astype(np.float32)
    w2 = np.ascontiguousarray(w + (1e-3 * np.linalg.norm(w) / np.linalg.norm(e)) * e)

    print(f"spectral gradient benchmark: {n}x{n} float32 Gaussian, threads = {plumb.get_num_threads()}")
    t0 = time.perf_counter()
    refs = []
    for m in (w, w2):
        U, S, Vt = np.linalg.svd(m.astype(np.float64))
        refs.append((S, np.outer(U[:, 0], Vt[0])))
    print(f"reference: float64 full SVD x2 in {time.perf_counter() - t0:.1f} s; "
          f"sigma_2/sigma_1 = {refs[0][0][1] / refs[0][0][0]:.4f}")

    # memcpy roofline: a 256 MB copy reads and writes every byte.
    src = np.ones(32 * 1024 * 1024, dtype=np.float64)
    dst = np.empty_like(src)

    # The training-loop state: v and its partner v2 (plumb.SpectralState, the _pair C functions).
    # A cold call with a zero v2 is bitwise the cold call and also returns v2.
    v2_cold = np.zeros(n, dtype=np.float32)
    _, v_cold, _ = plumb.spectral_grad(w, v2=v2_cold)

    def recipe():
        v = np.ones(n, dtype=np.float32)
        for _ in range(10):
            v = w.T @ (w @ v)
            v /= np.linalg.norm(v)
        wv = w @ v
        return np.outer(wv / np.linalg.norm(wv), v)

    def scipy_grad(m):
        u, s, vt = svds(m, k=1, tol=1e-6, random_state=0)
        return np.outer(u[:, 0], vt[0]).astype(np.float32)

    x1 = np.ones(n, dtype=np.float32)
    contenders = {
        "plumb cold": lambda: plumb.spectral_grad(w),
        "plumb warm from v": lambda: plumb.spectral_grad(w2, v=v_cold.copy()),
        "plumb warm from v, v2": lambda: plumb.spectral_grad(w2, v=v_cold.copy(), v2=v2_cold.copy()),
        "numpy 10-step recipe": recipe,
        # Bytes per pass: each pass reads W once (for both vectors of the block search). The time of
        # one pass is the difference of two runs with a fixed number of passes (both stop at
        # max_iters, short of the default tol), so set-up and the final write do not count.
        "fixed 11": lambda: plumb.spectral_norm(w, max_iters=11, strict=False),
        "fixed 41": lambda: plumb.spectral_norm(w, max_iters=41, strict=False),
        # Ten in a row: after the idle time before each contender, BLAS's threads must wake first.
        "blas x10": lambda: [w.T @ (w @ x1) for _ in range(10)],
        "copy": lambda: np.copyto(dst, src),
    }
    if svds is not None:
        contenders["scipy svds(k=1) cold"] = lambda: scipy_grad(w)
        contenders["scipy svds(k=1) on W+dW"] = lambda: scipy_grad(w2)
    else:
        print("scipy not importable: svds comparison skipped")
    t, out = race(contenders, reps)
    roof = 2 * src.nbytes / t["copy"] / 1e9
    print(f"memcpy roofline: {roof:.1f} GB/s (read + write)")

    print(f"\n{'method':<26} {'time ms':>9} {'grad rel err':>13} {'passes':>7} {'angle_bound':>12}")
    for name, ref in [("plumb cold", refs[0][1]), ("plumb warm from v", refs[1][1]),
                      ("plumb warm from v, v2", refs[1][1])]:
        g, _, info = out[name]
        print(f"{name:<26} {t[name] * 1e3:9.2f} {grad_error(g, ref):13.2e} {info['iterations']:>7} "
              f"{info['angle_bound']:12.2e}")
    print(f"{'numpy 10-step recipe':<26} {t['numpy 10-step recipe'] * 1e3:9.2f} "
          f"{grad_error(out['numpy 10-step recipe'], refs[0][1]):13.2e} {10:>7} {float('nan'):12.2e}")
    t_svds = t.get("scipy svds(k=1) cold")
    for name, ref in [("scipy svds(k=1) cold", refs[0][1]), ("scipy svds(k=1) on W+dW", refs[1][1])]:
        if name in out:
            print(f"{name:<26} {t[name] * 1e3:9.2f} {grad_error(out[name], ref):13.2e} {'':>7} {float('nan'):12.2e}")

    ra, rb = out["fixed 11"], out["fixed 41"]
    t_pass = (t["fixed 41"] - t["fixed 11"]) / (rb[3]["iterations"] - ra[3]["iterations"])
    gbs = w.nbytes / t_pass / 1e9
    print(f"\none pass over W ({w.nbytes / 1e6:.1f} MB): {t_pass * 1e3:.2f} ms = {gbs:.1f} GB/s read "
          f"= {gbs / (roof / 2):.0%} of memcpy read bandwidth (W fits in this machine's L3 cache)")
    t_blas = t["blas x10"] / 10
    print(f"numpy (BLAS sgemv, float32 accumulation) w.T @ (w @ x), two reads of W: {t_blas * 1e3:.2f} ms "
          f"= {t_blas / t_pass:.2f}x plumb's pass")
    err_cold = grad_error(out["plumb cold"][0], refs[0][1])
    err_warm = grad_error(out["plumb warm from v"][0], refs[1][1])
    err_pair = grad_error(out["plumb warm from v, v2"][0], refs[1][1])
    t_cold, t_warm, t_pair = t["plumb cold"], t["plumb warm from v"], t["plumb warm from v, v2"]
    if t_svds is not None:
        print(f"cold: plumb / svds speedup = {t_svds / t_cold:.1f}x (target >= 3x); "
              f"error ok: {err_cold <= 1e-4}")
        print(f"warm: cold svds / plumb warm speedup = {t_svds / t_warm:.1f}x from v, "
              f"{t_svds / t_pair:.1f}x from v and v2 (target >= 10x); "
              f"error ok: {err_warm <= 1e-4 and err_pair <= 1e-4}")

    wide(reps)


def wide(reps):
    """Wide W: plumb cold, warm from (v, v2) after a 1e-3 change, and cold on W^T, against svds and
    numpy's SVD (economy, singular values and vectors: what it costs to get u_1 v_1^T that way)."""
    print(f"\nwide matrices (searched on W W^T), gradient u v^T to 1e-4 (float32) / 1e-9 (float64):")
    print(f"{'shape':<16} {'plumb cold':>11} {'warm v,v2':>10} {'plumb W^T':>10} {'svds':>9} {'numpy svd':>10}"
          f" {'err cold':>9} {'passes':>7}")
    for rows, cols, dtype in ((16, 16384, np.float32), (64, 4096, np.float64), (48, 8192, np.float32)):
        rng = np.random.default_rng(rows)
        w = np.ascontiguousarray(rng.standard_normal((rows, cols)).astype(dtype))
        e = rng.standard_normal((rows, cols)).astype(dtype)
        w2 = np.ascontiguousarray(w + (1e-3 * np.linalg.norm(w) / np.linalg.norm(e)) * e)
        wt = np.ascontiguousarray(w.T)
        v, v2 = np.zeros(cols, dtype), np.zeros(cols, dtype)
        plumb.spectral_grad(w, v=v, v2=v2)
        contenders = {
            "cold": lambda: plumb.spectral_grad(w),
            "warm": lambda: plumb.spectral_grad(w2, v=v.copy(), v2=v2.copy()),
            "tall": lambda: plumb.spectral_grad(wt),
            "numpy": lambda: np.linalg.svd(w, full_matrices=False),
        }
        if svds is not None:
            contenders["svds"] = lambda: svds(w, k=1, tol=1e-6, random_state=0)
        t, out = race(contenders, reps)
        U, S, Vt = np.linalg.svd(w.astype(np.float64), full_matrices=False)
        err = grad_error(out["cold"][0], np.outer(U[:, 0], Vt[0]))
        ts = f"{t['svds'] * 1e3:9.2f}" if "svds" in t else f"{'-':>9}"
        print(f"{f'{rows}x{cols} {np.dtype(dtype).name}':<16} {t['cold'] * 1e3:11.2f} {t['warm'] * 1e3:10.2f} "
              f"{t['tall'] * 1e3:10.2f} {ts} {t['numpy'] * 1e3:10.2f} {err:9.1e} "
              f"{out['cold'][2]['iterations']:>7}")


if __name__ == "__main__":
    main()
