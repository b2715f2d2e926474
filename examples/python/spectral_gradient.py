"""Gradient of the spectral norm: the published 10-step power iteration vs plumb.

The common recipe runs 10 steps of power iteration on W^T W from the all-ones vector and uses
u v^T as the gradient of ||W||_2. It converges like (sigma_2/sigma_1)^(2t), so on matrices whose top
singular values are close (square Gaussian matrices: sigma_1/sigma_2 ~ 1.01-1.05) the gradient can
point in the wrong direction. plumb's Lanczos returns the gradient with a certificate.

    python examples/python/spectral_gradient.py [--quick]
"""
import argparse
import time

import numpy as np

import plumb


def power_recipe(w, steps=10):
    v = np.ones(w.shape[1], dtype=w.dtype)
    for _ in range(steps):
        v = w.T @ (w @ v)
        v /= np.linalg.norm(v)
    wv = w @ v
    sigma = np.linalg.norm(wv)
    return sigma, np.outer(wv / sigma, v)


def reference(w):
    U, S, Vt = np.linalg.svd(w.astype(np.float64))
    return S, np.outer(U[:, 0], Vt[0])


def grad_error(g, ref):
    g = g.astype(np.float64)
    return min(np.linalg.norm(g - ref), np.linalg.norm(g + ref)) / np.linalg.norm(ref)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    args = ap.parse_args()
    sizes = [128, 256] if args.quick else [512, 2048]
    rng = np.random.default_rng(0)
    print(f"{'matrix':<22} {'s2/s1':>7} {'recipe sigma err':>17} {'recipe grad err':>16} "
          f"{'plumb sigma err':>16} {'plumb grad err':>15} {'angle_bound':>12} {'passes':>7} {'ms':>7}")
    for n in sizes:
        gauss = rng.standard_normal((n, n)).astype(np.float32)
        k = n
        q1, _ = np.linalg.qr(rng.standard_normal((n, k)))
        q2, _ = np.linalg.qr(rng.standard_normal((n, k)))
        decay = ((q1 * (1.41 ** -np.arange(k) * 10)) @ q2.T).astype(np.float32)
        for name, w in ((f"gaussian {n}x{n}", gauss), (f"decaying {n}x{n}", decay)):
            w = np.ascontiguousarray(w)
            S, ref = reference(w)
            rs, rg = power_recipe(w)
            t = time.perf_counter()
            g, v, info = plumb.spectral_grad(w)
            ms = (time.perf_counter() - t) * 1e3
            print(f"{name:<22} {S[1] / S[0]:7.4f} {abs(rs - S[0]) / S[0]:17.2e} {grad_error(rg, ref):16.2e} "
                  f"{abs(info['sigma'] - S[0]) / S[0]:16.2e} {grad_error(g, ref):15.2e} "
                  f"{info['angle_bound']:12.2e} {info['iterations']:7d} {ms:7.1f}")


if __name__ == "__main__":
    main()
