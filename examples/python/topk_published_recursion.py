"""Smooth top-k: the published log-space recursion (subtracting) vs plumb, both against the exact
reference, measured with plumb.compare. At scale ~10 the recursion returns non-finite values or few
correct bits; plumb's positive-terms programme keeps full precision.

Run: python examples/python/topk_published_recursion.py [--quick]
"""
import argparse

import numpy as np

import plumb


def published_recursion(x, k):
    """Z_{j,i} = a_i (Z_{j-1} - Z_{j-1,i}), Z_j = sum_i Z_{j,i} / j, in log space (MATH.md 2a)."""
    logz_i = x.copy()
    logz = np.logaddexp.reduce(logz_i, axis=-1, keepdims=True)
    for j in range(2, k + 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            logz_i = x + logz + np.log1p(-np.exp(logz_i - logz))
            logz = np.logaddexp.reduce(logz_i, axis=-1, keepdims=True) - np.log(j)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.exp(logz_i - logz)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    args = parser.parse_args()
    trials = 3 if args.quick else 10
    n, k = 40, 8
    rng = np.random.default_rng(0)
    print(f"n = {n}, k = {k}, x ~ N(0, scale^2); min correct bits over {trials} rows (53 = perfect f64)")
    print(f"{'scale':>6} {'recursion f64':>14} {'non-finite':>11} {'plumb f64':>10} {'plumb f32 max ULP':>18}")
    for scale in (1.0, 3.0, 10.0, 30.0):
        x = rng.normal(0.0, scale, (trials, n))
        exact = plumb.exact.soft_topk(x, k, "gradient")
        rec = published_recursion(x, k)
        bad = int(np.sum(~np.all(np.isfinite(rec), axis=1)))
        r = plumb.compare(np.nan_to_num(rec, nan=-1.0), exact)["min_bits"]
        p64 = plumb.compare(plumb.soft_topk(x, k), exact)["min_bits"]
        x32 = x.astype(np.float32)
        # float32 in ULPs (tiny outputs are float32 subnormals, where relative bits mean little)
        p32 = plumb.compare(plumb.soft_topk(x32, k), plumb.exact.soft_topk(x32.astype(np.float64), k))["max_ulp"]
        print(f"{scale:>6g} {r:>14.1f} {bad:>8d}/{trials:<2d} {p64:>10.1f} {p32:>18.2f}")


if __name__ == "__main__":
    main()
