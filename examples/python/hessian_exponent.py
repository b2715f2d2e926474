"""Does Adam's second moment track the Hessian H (exponent 1) or sqrt(H) (exponent 0.5)?

MATH.md section 4: near an optimum, for SGD with learning rate lr on a problem with per-sample noise
s, the second moment of a gradient measured on a batch of B samples is

    E[g^2] ~ (lr s^2 / 2) H^2  +  (s^2 / B) H
             parameter wandering   per-sample noise

so the fitted exponent p of  log sqrt(v_hat_i) = p log h_i + c  moves from 0.5 to 1 as lr*h*B/2 grows.
This script runs SGD and Adam from the minimizer of a least-squares problem (steps use one-sample
gradients, the source of wandering; plumb.HessianProbe observes a fresh B-sample gradient at the
current parameters) and fits against the exact Hessian X^T X / N (plumb.exact.least_squares_hessian,
GMP rationals, correctly rounded). `--problem logistic` does the same for logistic regression with
H = X^T diag(p(1-p)) X / N (float64). Prints a table; `--plot FILE` also saves a plot (matplotlib).

    PYTHONPATH=Bindings/python python examples/python/hessian_exponent.py [--quick] [--plot out.png]
"""
from __future__ import annotations

import argparse

import numpy as np

import plumb


def make_problem(kind: str, n: int, dim: int, decades: float, noise: float, rng):
    """Data, the minimizer, the per-sample gradient function and the reference Hessian."""
    h = 10.0 ** (-decades * np.arange(dim) / (dim - 1))
    x = rng.normal(size=(n, dim)) * np.sqrt(h)
    w_star = rng.normal(size=dim)
    if kind == "least_squares":
        y = x @ w_star + noise * rng.normal(size=n)
        hess = plumb.exact.least_squares_hessian(x)  # exact X^T X / N, correctly rounded
        w_opt = np.linalg.solve(hess, x.T @ y / n)

        def grad(w, idx):
            xb = x[idx]
            return xb.T @ (xb @ w - y[idx]) / len(idx)
    else:  # logistic regression with labels drawn from the model
        x = x * 3.0
        labels = (rng.uniform(size=n) < 1 / (1 + np.exp(-(x @ w_star)))).astype(np.float64)
        w_opt = np.zeros(dim)
        for _ in range(50):  # Newton's method on the mean log-loss
            p = 1 / (1 + np.exp(-(x @ w_opt)))
            hess = (x * (p * (1 - p))[:, None]).T @ x / n
            w_opt -= np.linalg.solve(hess + 1e-12 * np.eye(dim), x.T @ (p - labels) / n)
        p = 1 / (1 + np.exp(-(x @ w_opt)))
        hess = (x * (p * (1 - p))[:, None]).T @ x / n

        def grad(w, idx):
            xb = x[idx]
            return xb.T @ (1 / (1 + np.exp(-(xb @ w))) - labels[idx]) / len(idx)
    return w_opt, grad, hess


def run(w_opt, grad, hess, n, optimizer, lr, batch, steps, rng):
    """Returns the probe's RMS report against diag(H), or None when the run diverged."""
    w = w_opt.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    steps_idx = rng.integers(0, n, size=steps)
    with plumb.HessianProbe(len(w), beta1=0.9, beta2=0.999) as probe:
        for t in range(1, steps + 1):
            g = grad(w, steps_idx[t - 1:t])
            if optimizer == "adam":
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
            else:
                w -= lr * g
            if not np.all(np.isfinite(w)):
                return None
            if t > steps // 4:
                probe.observe(grad(w, rng.integers(0, n, size=batch)))
        return probe.compare(np.diag(hess).copy(), "rms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few steps and configurations (a few seconds)")
    # The CLI spells it least-squares; both are accepted.
    ap.add_argument("--problem", type=lambda p: p.replace("-", "_"), choices=["least_squares", "logistic"],
                    default="least_squares")
    ap.add_argument("--dim", type=int, default=16)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plot", metavar="FILE", help="also save a plot of the exponents (needs matplotlib)")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    steps = 1200 if args.quick else args.steps
    sgd_lrs = [0.5, 0.005] if args.quick else [0.5, 0.05, 0.005]
    adam_lrs = [0.3, 0.003] if args.quick else [0.3, 0.03, 0.003]
    batches = [1, 4096] if args.quick else [1, 16, 256, 4096]
    n, dim = args.samples, args.dim
    w_opt, grad, hess = make_problem(args.problem, n, dim, 3.0, 1.0, rng)
    h = np.diag(hess)
    print(f"{args.problem}: N = {n}, dim = {dim}, diag H in [{h.min():.2e}, {h.max():.2e}], {steps} steps")
    print("exponent of sqrt(v_hat) on diag H: 1 = wandering dominates, 0.5 = per-sample noise dominates")
    print(f"{'optimizer':10}{'lr':>8}{'B':>6}{'lr*h*B/2 range':>20}{'exponent':>10}{'log corr':>10}{'rel err':>9}")
    rows = []
    for optimizer, lrs in (("sgd", sgd_lrs), ("adam", adam_lrs)):
        for lr in lrs:
            for b in batches:
                rep = run(w_opt, grad, hess, n, optimizer, lr, b, steps, rng)
                ratio = (f"{lr * h.min() * b / 2:.1e}..{lr * h.max() * b / 2:.1e}" if optimizer == "sgd" else "-")
                if rep is None:
                    print(f"{optimizer:10}{lr:8.3g}{b:6d}   diverged")
                    continue
                rows.append((optimizer, lr, b, rep["exponent"]))
                print(f"{optimizer:10}{lr:8.3g}{b:6d}{ratio:>20}{rep['exponent']:10.3f}"
                      f"{rep['log_correlation']:10.3f}{rep['relative_error']:9.3f}")
    if not args.plot:
        return
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not importable: no plot")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for optimizer, lr in sorted({(o, l) for o, l, _, _ in rows}):
        pts = [(b, e) for o, l, b, e in rows if o == optimizer and l == lr]
        ax.semilogx([p[0] for p in pts], [p[1] for p in pts], "o-" if optimizer == "sgd" else "s--",
                    label=f"{optimizer} lr={lr:g}")
    ax.axhline(1.0, color="gray", lw=0.5)
    ax.axhline(0.5, color="gray", lw=0.5)
    ax.set_xlabel("observation batch B")
    ax.set_ylabel("fitted exponent p")
    ax.set_title(f"sqrt(v_hat) ~ h^p ({args.problem})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
