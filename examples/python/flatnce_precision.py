"""How many bits does a contrastive loss keep? The FlatNCE story, measured.

For rows of K scores where the positive beats every negative by a growing gap (in units of the
temperature), compare three float32 gradients with the exact reference (plumb.exact, correctly
rounded) using plumb.compare:
  - the usual InfoNCE formulation: log_softmax with a max shift, gradient softmax - onehot (numpy);
  - plumb.infonce (log1p form, dL/ds_t computed directly);
  - plumb.flatnce (gradient rescaled by (1 + xi) / xi: it keeps its size as the gap grows).
Past gap ~17 the usual formulation's gradient for the positive is rounding noise, and past ~30 the
whole gradient is exactly 0; plumb's kernels keep all 24 bits. (Near gap 87 InfoNCE's true
gradient, ~exp(-gap)/tau, falls below float32's normal range: subnormals have fewer bits, but
plumb's values stay within 1 ULP, the last column.)

`--plot FILE` also draws correct bits against the gap (gaps 0..100) into a PNG (needs matplotlib);
the README's figure is made this way.

Usage: python examples/python/flatnce_precision.py [--quick] [--plot flatnce_precision.png]
"""
from __future__ import annotations

import argparse

import numpy as np

import plumb


def naive_infonce_float32(scores: np.ndarray, positive: np.ndarray, tau: float):
    """What most training code does (JAX/PyTorch style log_softmax), in float32."""
    z = scores.astype(np.float32) / np.float32(tau)
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(positive))
    loss = (np.log(total[:, 0]) + m[:, 0]) - z[rows, positive]
    grad = e / total
    grad[rows, positive] -= 1
    return loss, grad / np.float32(tau)


def bits_at_gap(gap: float, rows: int, cols: int, tau: float, rng: np.random.Generator):
    """Correct bits (min over elements) of the three float32 gradients and the naive loss, plumb
    InfoNCE's worst ULP error, and whether some exact InfoNCE gradient entry is subnormal in float32,
    for rows whose positive leads by `gap` temperatures."""
    tau32 = float(np.float32(tau))
    s = rng.normal(size=(rows, cols)) * tau
    positive = rng.integers(0, cols, rows)
    s[np.arange(rows), positive] = s.max(axis=1) + gap * tau
    s32 = s.astype(np.float32)
    s64 = s32.astype(np.float64)  # the exact inputs the float32 code sees
    exact_loss, exact_grad = plumb.exact.infonce(s64, positive, tau32)
    _, exact_flat_grad = plumb.exact.flatnce(s64, positive, tau32)
    naive_loss, naive_grad = naive_infonce_float32(s32, positive, tau32)
    _, info_grad = plumb.infonce(s32, positive, tau32)
    _, flat_grad = plumb.flatnce(s32, positive, tau32)
    bits = lambda c, e: abs(plumb.compare(c, e)["min_bits"])  # noqa: E731
    return (bits(naive_grad, exact_grad), bits(info_grad, exact_grad), bits(flat_grad, exact_flat_grad),
            bits(naive_loss, exact_loss), plumb.compare(info_grad, exact_grad)["max_ulp"],
            bool(np.any(np.abs(exact_grad) < np.finfo(np.float32).tiny)))


def plot(path: str, rows: int, cols: int, tau: float) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(1)
    gaps = np.arange(0, 101, 1.0)
    results = [bits_at_gap(g, rows, cols, tau, rng) for g in gaps]
    curves = np.array([r[:3] for r in results])
    first_subnormal = next((g for g, r in zip(gaps, results) if r[5]), gaps[-1])
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot(gaps, curves[:, 0], label="naive float32 log_softmax InfoNCE", color="tab:red")
    ax.plot(gaps, curves[:, 1], label="plumb.infonce (float32)", color="tab:blue")
    ax.plot(gaps, curves[:, 2], label="plumb.flatnce (float32)", color="tab:green", linestyle="--")
    ax.axvspan(first_subnormal, gaps[-1], color="0.9",
               label="some true InfoNCE gradient entries subnormal in float32\n(plumb stays within 0.5 ULP)")
    ax.set_xlabel("gap: positive score minus largest negative, in temperatures")
    ax.set_ylabel("correct bits of the gradient (min over entries)")
    ax.set_ylim(-0.5, 25)
    ax.set_title(f"float32 contrastive gradients vs the exact reference ({rows} x {cols}, tau = {tau})")
    ax.legend(loc="center left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rows (runs in a second)")
    ap.add_argument("--plot", metavar="FILE", help="also save a PNG of bits against the gap (matplotlib)")
    args = ap.parse_args()
    if args.plot:
        try:
            import matplotlib  # noqa: F401  (checked before the table, not after it)
        except ImportError:
            ap.error("--plot needs matplotlib, which is not importable")
    rows, cols, tau = (8, 64, 0.07) if args.quick else (64, 64, 0.07)
    rng = np.random.default_rng(0)
    print(f"{rows} rows x {cols} scores, temperature {tau}; correct bits of the float32 gradient "
          "(min over elements) vs the exact reference")
    print(f"{'gap':>5} {'naive log_softmax':>18} {'plumb InfoNCE':>14} {'plumb FlatNCE':>14} "
          f"{'naive loss':>11} {'InfoNCE ulp':>12}")
    for gap in (0, 2, 5, 10, 20, 30, 50, 90):
        naive, info, flat, naive_loss, ulp, _ = bits_at_gap(gap, rows, cols, tau, rng)
        print(f"{gap:>5} {naive:>18.1f} {info:>14.1f} {flat:>14.1f} {naive_loss:>11.1f} {ulp:>12.2f}")
    if args.plot:
        plot(args.plot, rows, cols, tau)

if __name__ == "__main__":
    main()
