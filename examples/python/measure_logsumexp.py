"""Measure a logsumexp implementation against plumb's exact reference.

Swap `candidate` for your framework's function (torch.logsumexp, jax.nn.logsumexp, ...) to see how
many bits it keeps in each dtype and at each input scale.
"""
import argparse

import numpy as np

import plumb


def candidate(x: np.ndarray) -> np.ndarray:
    """The textbook max-shifted logsumexp, evaluated in x's dtype."""
    m = x.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args()
    rows, cols = (16, 64) if args.quick else (256, 1024)
    rng = np.random.default_rng(0)
    print(f"{'scale':>8} {'dtype':>8} {'min bits':>9} {'max ULP':>10}")
    for scale in (0.01, 1.0, 100.0, 1e4):
        for dtype in (np.float16, np.float32, np.float64):
            x = (rng.normal(size=(rows, cols)) * scale).astype(dtype)
            exact = plumb.exact.logsumexp(x.astype(np.float64))  # same inputs, exactly
            with np.errstate(over="ignore", invalid="ignore"):
                stats = plumb.compare(candidate(x), exact)
            print(f"{scale:>8g} {np.dtype(dtype).name:>8} {stats['min_bits']:>9.1f} {stats['max_ulp']:>10.3g}")


if __name__ == "__main__":
    main()
