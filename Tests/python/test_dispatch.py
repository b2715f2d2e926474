"""On CPUs with AVX2 some kernels run a "haswell" build of the same source, and on CPUs with
AVX-512 an AVX-512 build, chosen at the first call; the AVX2 build (PLUMB_BASELINE=avx2) and the
baseline build (PLUMB_BASELINE=1) must give the same bits. (The float32 contrastive kernels' exp
uses fused multiply-adds in the dispatched builds, so their doubles differ from the baseline's in
the last bit; a float32 output differs only where that double lies within ~2^-52 of a rounding
boundary, which none of these inputs do. The header documents the possibility.) Each build runs
in its own child process, since the choice is made once per process; on a CPU without AVX-512 or
AVX2 the processes compare a build with itself."""
import os
import subprocess
import sys

SCRIPT = r"""
import sys, numpy as np, plumb
rng = np.random.default_rng(5)
out = []
for rows, cols, gap, tau in [(7, 2, 0, 1.0), (33, 1000, 30, 0.07), (9, 4097, 90, 0.07), (5, 13, -50, 0.5),
                             (2100, 4097, 5, 0.07)]:  # the last one's gradient is streamed (> 32 MiB)
    s = rng.normal(size=(rows, cols)).astype(np.float32) * tau
    s[:, 1] = s.max(axis=1) + gap * tau
    s[0, 0] = -np.inf
    pos = np.full(rows, 1)
    for fn in (plumb.infonce, plumb.flatnce):
        loss, grad = fn(s, pos, tau)
        out += [loss.tobytes(), grad.tobytes()]
for dtype in (np.float32, np.float64):
    for shape in [(1, 7), (130, 67), (257, 300)]:
        w = rng.normal(size=shape).astype(dtype)
        g, v, info = plumb.spectral_grad(w, squared=True, strict=False)
        out += [g.tobytes(), v.tobytes(), repr(sorted(info.items())).encode()]
w = rng.normal(size=(130, 67)) * 1e-200                    # the rescaled search (binary64 extremes)
g, v, info = plumb.spectral_grad(w, v2=np.zeros(67))
out += [g.tobytes(), v.tobytes(), repr(sorted(info.items())).encode()]
far = rng.normal(size=(5, 300)) * 1e17                      # the narrowed gaps of the gradient method
out += [plumb.soft_topk(far, 7, "gradient", 1.0).tobytes()]
for dtype in (np.float32, np.float64):
    x = (rng.normal(size=(16, 300)) * 30).astype(dtype)
    g = rng.normal(size=(16, 300)).astype(dtype)
    for method in ("gradient", "exp_clip", "sigmoid", "laplace"):
        out += [plumb.soft_topk(x, 37, method, 0.5).tobytes(), plumb.soft_topk_vjp(x, 37, g, method, 0.5).tobytes()]
open(sys.argv[1], "wb").write(b"".join(out))
"""


def test_dispatched_and_baseline_builds_agree_bitwise(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    results = []
    for cap in (None, "avx2", "1"):
        env = {k: v for k, v in os.environ.items() if k != "PLUMB_BASELINE"}
        if cap:
            env["PLUMB_BASELINE"] = cap
        path = tmp_path / f"out{cap}"
        subprocess.run([sys.executable, str(script), str(path)], check=True, env=env, timeout=300)
        results.append(path.read_bytes())
    assert len(results[0]) > 10000 and results[0] == results[1] == results[2]
