"""Smooth top-k benchmark: plumb vs numpy peers in the same process, plus a bandwidth roofline.

1. 64 x 4096, k = 256: plumb exp-clip vs numpy argpartition hard top-k (target: within 3x).
2. 64 x 1024, k = 32: plumb gradient method vs numpy's published log-space recursion
   (target: plumb >= 5x faster).
3. 64 x 4096, k = 10: plumb sigmoid vs Newton's method in numpy (8 steps from the k-th largest
   value, unguarded: fine on these Gaussian rows, no bracket for the hard ones), and plumb Laplace.
Every contender runs in turn within each repeat, so that all see the same machine.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Bindings" / "python"))
import plumb  # noqa: E402
from timing import race  # noqa: E402


def hard_topk(x, k):
    idx = np.argpartition(-x, k - 1, axis=1)[:, :k]
    out = np.zeros_like(x)
    np.put_along_axis(out, idx, 1.0, axis=1)
    return out


def published_recursion(x, k):
    """GradTopK's recursion in log space: Z_{j,i} = a_i (Z_{j-1} - Z_{j-1,i}) (subtracting)."""
    logz_i = x.copy()                       # log Z_{1,i} = x_i
    logz = np.logaddexp.reduce(logz_i, axis=1, keepdims=True)
    for j in range(2, k + 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            logz_i = x + logz + np.log1p(-np.exp(logz_i - logz))
        logz = np.logaddexp.reduce(logz_i, axis=1, keepdims=True) - np.log(j)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.exp(logz_i - logz)  # ST_i = Z_{k,i} / Z_k


def sigmoid_newton(x, k, steps=8):
    """sum_i sigmoid(x_i - lambda) = k by Newton's method from lambda = the k-th largest x_i."""
    lam = -np.partition(-x, k - 1, axis=1)[:, k - 1:k]
    for _ in range(steps):
        s = 1 / (1 + np.exp(lam - x))
        lam = lam + (s.sum(axis=1, keepdims=True) - k) / (s * (1 - s)).sum(axis=1, keepdims=True)
    return 1 / (1 + np.exp(lam - x))


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4096))
    copy_src = np.ones(64 * 1024 * 1024 // 8)
    y = rng.normal(size=(64, 1024))
    t, _ = race({
        "copy": lambda: copy_src.copy(),
        "exp_clip": lambda: plumb.soft_topk(x, 256, "exp_clip"),
        "hard": lambda: hard_topk(x, 256),
        "gradient": lambda: plumb.soft_topk(y, 32, "gradient"),
        "recursion": lambda: published_recursion(y, 32),
        "sigmoid": lambda: plumb.soft_topk(x, 10, "sigmoid"),
        "newton": lambda: sigmoid_newton(x, 10),
        "laplace": lambda: plumb.soft_topk(x, 10, "laplace"),
    }, 7)
    bw = 2 * copy_src.nbytes / t["copy"]
    print(f"roofline: numpy copy {bw / 1e9:.1f} GB/s")
    t_p, t_n = t["exp_clip"], t["hard"]
    print(f"64x4096 k=256  plumb exp_clip {t_p * 1e3:.2f} ms  numpy argpartition hard top-k {t_n * 1e3:.2f} ms  "
          f"ratio plumb/numpy {t_p / t_n:.2f}x (target <= 3)  plumb {2 * x.nbytes / t_p / 1e9:.2f} GB/s "
          f"= {2 * x.nbytes / t_p / bw:.1%} of roofline")
    t_g, t_r = t["gradient"], t["recursion"]
    print(f"64x1024 k=32   plumb gradient {t_g * 1e3:.2f} ms  numpy published recursion {t_r * 1e3:.2f} ms  "
          f"speed-up {t_r / t_g:.2f}x (target >= 5)  plumb {2 * y.nbytes / t_g / 1e9:.2f} GB/s")
    t_s, t_nw, t_l = t["sigmoid"], t["newton"], t["laplace"]
    agree = np.abs(plumb.soft_topk(x, 10, "sigmoid") - sigmoid_newton(x, 10)).max()
    print(f"64x4096 k=10   plumb sigmoid {t_s * 1e3:.2f} ms  numpy 8 Newton steps {t_nw * 1e3:.2f} ms  "
          f"speed-up {t_nw / t_s:.2f}x (max difference {agree:.1e})  plumb laplace {t_l * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
