"""Foundation: loading, version, errors, plumb.compare and plumb.exact.logsumexp against mpmath."""
import re
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oracle
import plumb
from plumb._lib import lib

REPO = Path(__file__).resolve().parents[2]


def test_version_matches_header():
    header = (REPO / "Include" / "plumb.h").read_text()
    parts = [re.search(rf"#define PLUMB_VERSION_{k} (\d+)", header).group(1) for k in ("MAJOR", "MINOR", "PATCH")]
    assert plumb.version() == ".".join(parts)


def test_exported_symbols_equal_header_prototypes():
    header = (REPO / "Include" / "plumb.h").read_text()
    declared = set(re.findall(r"\b(plumb_\w+)\s*\(", re.sub(r"/\*.*?\*/", "", header, flags=re.S)))
    nm = subprocess.run(["nm", "-D", "--defined-only", lib._name], capture_output=True, text=True, check=True)
    # Every defined global symbol (nm's upper-case types), not only the functions named plumb_*.
    exported = {f[2] for f in (line.split() for line in nm.stdout.splitlines()) if len(f) == 3 and f[1].isupper()}
    assert exported == declared, f"only in library: {exported - declared}; only in header: {declared - exported}"


# ---- exact logsumexp vs the mpmath oracle: identical after rounding ----

def assert_identical(rows):
    x = np.array(rows, dtype=np.float64)
    got = plumb.exact.logsumexp(x)
    want = np.array([oracle.logsumexp(r) for r in x])
    assert got.tobytes() == want.tobytes(), f"\n got {got!r}\nwant {want!r}"


@pytest.mark.parametrize("scale", [1e-300, 1e-5, 1.0, 30.0, 1e4, 1e100, 1e300])
def test_random_rows_match_oracle(scale):
    rng = np.random.default_rng(int(abs(np.log10(scale))) + 1)
    assert_identical(rng.normal(size=(12, 40)) * scale)


def test_adversarial_rows_match_oracle():
    big, tiny = np.finfo(np.float64).max, 5e-324
    ln_e_minus_1 = 0.5413248546129181
    rows = [
        [big, big, big],                 # overflow-free at the top of the range
        [-big, -big, -big],
        [big, -big, 0.0],
        [tiny, tiny, tiny],              # subnormal inputs
        [0.0, -740.0, -np.inf],          # subnormal result
        [0.0, -745.1, -np.inf],
        [-1.0, -1.0 + ln_e_minus_1, -np.inf],  # cancellation to ~1e-17
        [3.0, 3.0, 3.0],                 # ties: 3 + log 3
        [-np.inf, 2.5, -np.inf],         # one finite entry: exact
        [-np.inf, -np.inf, -np.inf],
        [1e308, 1e308 * (1 - 2**-52), 1e-308],
        [709.0, 709.8, -708.0],
        [-0.0, -744261118.0, -np.inf],   # exp below MPFR's default exponent range; result +0
        [-0.0, -np.inf, -np.inf],        # log(exp(-0)) = +0
    ]
    assert_identical(rows)


def test_long_rows_match_oracle():
    rng = np.random.default_rng(5)
    assert_identical(rng.normal(size=(2, 3000)) * 20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=8))
def test_any_finite_row_matches_oracle(row):
    assert_identical([row])


def test_specials_and_masking():
    out = plumb.exact.logsumexp(np.array([[1.0, np.inf], [-np.inf, -np.inf]]))
    assert out[0] == np.inf and out[1] == -np.inf
    assert plumb.exact.logsumexp(np.array([0.0, 0.0])) == np.log(2.0)


def test_nan_row_is_a_domain_error_and_others_are_computed():
    with pytest.raises(plumb.PlumbError) as e:
        plumb.exact.logsumexp(np.array([[0.0, 0.0], [np.nan, 1.0]]))
    assert e.value.status == 2 and e.value.name == "PLUMB_ERR_DOMAIN" and "row 1" in e.value.message


def test_precision_cap():
    hard = np.array([-1.0, -1.0 + 0.5413248546129181])
    assert plumb.get_exact_precision_cap() == 65536
    plumb.set_exact_precision_cap(64)
    try:
        with pytest.raises(plumb.PlumbError) as e:
            plumb.exact.logsumexp(hard)
        assert e.value.status == 5
    finally:
        plumb.set_exact_precision_cap(65536)
    with pytest.raises(plumb.PlumbError):
        plumb.set_exact_precision_cap(10)
    assert abs(plumb.exact.logsumexp(hard)) < 1e-15


def test_argument_checks_happen_before_c():
    with pytest.raises(TypeError):
        plumb.exact.logsumexp(np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError):
        plumb.exact.logsumexp([1.0, 2.0])
    with pytest.raises(ValueError):
        plumb.exact.logsumexp(np.zeros((3, 4))[:, ::2])
    with pytest.raises(ValueError):
        plumb.exact.logsumexp(np.zeros((2, 0)))
    with pytest.raises(ValueError):
        plumb.exact.logsumexp(np.zeros((2, 2, 2)))


def test_thread_count_changes_no_bits_and_calls_are_thread_safe():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(64, 50)) * 100
    plumb.set_num_threads(1)
    serial = plumb.exact.logsumexp(x)
    plumb.set_num_threads(0)
    assert plumb.get_num_threads() >= 1
    assert plumb.exact.logsumexp(x).tobytes() == serial.tobytes()
    results = [None] * 6

    def work(i):
        results[i] = plumb.exact.logsumexp(x)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.tobytes() == serial.tobytes() for r in results)


# ---- plumb.compare: values moved by known numbers of ULPs in each format ----

def bf16_bits(x):
    """bfloat16 bit patterns of float32 values that have a bfloat16 representation (top 16 bits)."""
    return (np.asarray(x, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("base", [1.0, 0.75, 3e-5, -2.5])
def test_compare_counts_known_ulp_moves(dtype, base):
    p = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}[dtype]
    if dtype == "bfloat16":  # a value with a bfloat16 representation: truncate a float32
        exact_value = float((bf16_bits(base).astype(np.uint32) << 16).view(np.float32))
    else:
        exact_value = float(np.dtype(dtype).type(base))
    e = np.floor(np.log2(abs(exact_value)))
    e = max(e, {"float64": -1022, "float32": -126, "float16": -14, "bfloat16": -126}[dtype])
    ulp = 2.0 ** (e - p + 1)
    moves = np.array([0, 1, -1, 3, -4])
    values = exact_value + moves * ulp
    exact = np.full(len(moves), exact_value)
    if dtype == "bfloat16":
        computed = bf16_bits(values)
        stats = plumb.compare(computed, exact, dtype="bfloat16")
    else:
        computed = values.astype(dtype)
        assert np.all(computed.astype(np.float64) == values)
        stats = plumb.compare(computed, exact)
    assert stats["count"] == 5
    assert stats["max_ulp"] == 4.0
    assert stats["worst_index"] == 4
    assert stats["mean_ulp"] == pytest.approx(9 / 5, rel=1e-15)
    assert stats["special_mismatches"] == 0
    assert stats["min_bits"] == pytest.approx(min(p, -np.log2(4 * ulp / abs(exact_value))), rel=1e-12)


def test_compare_subnormal_spacing():
    exact = np.array([1e-40, 0.0])
    computed = np.array([1e-40, 2e-45], dtype=np.float32)  # 2e-45 rounds to 1 subnormal ULP (2^-149)
    s = plumb.compare(computed, exact)
    err0 = abs(float(np.float32(1e-40)) - 1e-40) / 2.0**-149
    assert s["max_ulp"] == pytest.approx(max(err0, float(np.float32(2e-45)) / 2.0**-149), rel=1e-12)
    assert s["special_mismatches"] == 1 and s["min_bits"] == 0  # nonzero computed where exact is 0


def test_compare_zero_bits_is_positive_zero():
    # A relative error of exactly 1 (computed 0 for a nonzero exact, or 2x) keeps no bits: +0.0.
    for computed, exact in (([0.0], [3e-46]), ([2.0], [1.0]), ([-1.0], [1.0])):
        s = plumb.compare(np.array(computed, dtype=np.float32), np.array(exact))
        assert s["min_bits"] == 0 and np.copysign(1.0, s["min_bits"]) == 1.0, (computed, exact, s)


def test_compare_mean_ulp_does_not_overflow():
    # An exact 0 has the subnormal spacing 2^-1074: an error of 5e-16 is ~1e308 ULP; the sum of two
    # such overflowed, making mean_ulp inf while max_ulp was finite.
    s = plumb.compare(np.float64([5e-16, 5e-16]), np.float64([0.0, 0.0]))
    assert np.isfinite(s["mean_ulp"]) and s["mean_ulp"] == pytest.approx(s["max_ulp"], rel=1e-15)


def test_compare_difference_beyond_binary64():
    # DBL_MAX against -DBL_MAX: c - x overflowed, reporting inf ULP and inf relative error.
    top = np.finfo(np.float64).max
    r = plumb.compare(np.array([top, -top / 2]), np.array([-top, top * 0.75]))
    units = 2.0**53 - 1  # DBL_MAX in ULPs of binary64's top binade
    assert r["max_ulp"] == 2 * units and r["worst_index"] == 0
    assert r["max_rel"] == 2.0
    assert r["mean_ulp"] == pytest.approx((2 + 1.25) * units / 2, rel=2.0**-50)


def test_compare_worst_index_of_matching_specials():
    # An infinity matching the exact one enters the statistics with no error, like 1 against 1;
    # worst_index was -1 for it but 0 for the finite match.
    for x in (np.inf, -np.inf, np.nan, 1.0):
        r = plumb.compare(np.array([x]), np.array([x]))
        assert r["max_ulp"] == 0 and r["worst_index"] == 0 and r["special_mismatches"] == 0, (x, r)


def test_compare_argument_errors():
    with pytest.raises(TypeError):
        plumb.compare(np.zeros(3, dtype=np.int32), np.zeros(3))
    with pytest.raises(TypeError):
        plumb.compare(np.zeros(3, dtype=np.float32), np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError):
        plumb.compare(np.zeros(3, dtype=np.float32), np.zeros(3), dtype="bfloat16")
    with pytest.raises(ValueError):
        plumb.compare(np.zeros(3, dtype=np.float32), np.zeros(4))
    with pytest.raises(ValueError):
        plumb.compare(np.zeros(6, dtype=np.float32)[::2], np.zeros(3))


def test_plumb_error_carries_status_and_message():
    err = plumb.PlumbError(1, "x is NULL")
    assert err.status == 1 and err.name == "PLUMB_ERR_ARGUMENT" and "x is NULL" in str(err)


@pytest.mark.parametrize("path", ["/nonexistent/libplumb.so", "/etc/hostname"])
def test_a_bad_plumb_library_is_an_import_error(path, tmp_path):
    # A missing file and a file that is not a shared library both raise ImportError naming the path.
    import os
    import sys
    bindings = Path(plumb.__file__).resolve().parents[1]
    env = dict(os.environ, PLUMB_LIBRARY=path, PYTHONPATH=str(bindings))
    code = ("import sys\ntry:\n    import plumb\nexcept ImportError as e:\n    print('ImportError', e)\n"
            "    sys.exit(0)\nsys.exit(1)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert path in out.stdout
