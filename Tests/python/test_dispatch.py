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


# Baseline functions that the dispatched kernels may call: each runs once per call or per block of
# work, not per element (the thread pool's entry, scratch allocation, an array copy).
BASELINE_CALLS_ALLOWED = ("parallelChunks", "WorkBuffer", "ensureAllocatable", "_copyCollectionToContiguousArray")


def test_dispatched_kernels_do_not_call_baseline_vector_code():
    """A generic function that the optimizer leaves out of line (SIMD8<Double>(SIMD8<Float>),
    SIMD8.max(), any(_:)) is emitted by every module under one symbol name, and the dynamic linker
    binds all callers to one copy: the AVX-512 float32 spectral pass called the baseline's SSE
    widening 49,000 times a pass (8% of its time). This reads the library's machine code: no
    function of the AVX2 or AVX-512 builds calls a function outside them that executes legacy SSE
    vector instructions, but for the few once-per-call helpers above."""
    import re
    import shutil
    import pytest
    import plumb
    if shutil.which("objdump") is None:
        pytest.skip("objdump not installed")
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", plumb._lib.lib._name],
                          check=True, capture_output=True, text=True, timeout=300).stdout
    bodies, calls, current = {}, [], None
    for line in text.splitlines():
        head = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if head:
            current = head.group(1)
            bodies[current] = []
            continue
        parts = line.split("\t")
        if current is None or len(parts) < 2:
            continue
        ins = parts[1].strip()
        bodies[current].append(ins)
        call = re.search(r"call\s+[0-9a-f]+ <(.*)>", ins)
        if call:
            calls.append((current, call.group(1)))
    scalar_ok = {"movq", "movd", "movsd", "movss", "ucomisd", "ucomiss", "comisd", "comiss", "pxor", "xorps",
                 "cvtsi2sd", "cvttsd2si"}

    def legacy_vector(name):
        return any("%xmm" in ins and not ins.split()[0].startswith("v") and ins.split()[0] not in scalar_ok
                   for ins in bodies.get(name, ()))

    dispatched = ("PlumbCoreAVX512", "PlumbCoreHaswell")
    assert any(d in name for name in bodies for d in dispatched)
    bad = sorted({callee for caller, callee in calls
                  if any(d in caller for d in dispatched) and not any(d in callee for d in dispatched)
                  and "@plt" not in callee and not any(a in callee for a in BASELINE_CALLS_ALLOWED)
                  and legacy_vector(callee)})
    assert bad == [], bad
