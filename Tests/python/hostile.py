"""Hostile-argument fuzzing of every function of the C API, run in a child process so a crash is caught.

Each spec builds one VALID call (arguments sized to real buffers) and, for each argument, the
values that make it invalid. A hostile call replaces one or more arguments with invalid values;
every such call must return a nonzero status with a non-empty plumb_last_error(). Invalid sizes are
negative or overflow the byte count, so they are rejected before any memory is touched.

Run as a script: ``python hostile.py CALLS SEED`` prints ``calls=N`` and exits 0, or reports the
first call that returned PLUMB_OK or an empty message (exit 1); a crash kills the child.
"""
import ctypes
import math
import random
import sys

import numpy as np

sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else ".")
from plumb._lib import lib  # noqa: E402

# A second handle whose functions have no declared prototypes: the fuzzer passes explicitly typed
# values (including NULL for pointers the Python package would never let through).
raw = ctypes.CDLL(lib._name)

NULL = None
BAD_SIZES = [-1, -(2**63), 2**62, 2**63 - 1, 2**61 + 1]
BAD_REALS = [math.nan, math.inf, -math.inf, 0.0, -1.0]
BAD_ENUMS = [-1, 4, 99, 2**31 - 1]


def buf(n, dtype=np.float64):
    return np.zeros(max(n, 1), dtype=dtype)


def p(a):
    return a.ctypes.data_as(ctypes.c_void_p)


I64, I32, F64, F32, PTR = ctypes.c_int64, ctypes.c_int32, ctypes.c_double, ctypes.c_float, ctypes.c_void_p


class Call:
    """A valid call of ``name``: ``types`` are the C parameter types, ``args`` valid values,
    ``invalid`` maps an argument index to its invalid replacements; ``keep`` holds buffers alive."""

    def __init__(self, name, types, args, invalid, keep):
        self.name, self.types, self.args, self.invalid, self.keep = name, types, args, invalid, keep


def logsumexp_call(rng):
    rows, cols = rng.randint(1, 4), rng.randint(1, 5)
    x, out = buf(rows * cols), buf(rows)
    return Call("plumb_exact_logsumexp", [PTR, I64, I64, PTR], [p(x), rows, cols, p(out)],
                {0: [NULL], 1: BAD_SIZES, 2: BAD_SIZES + [0], 3: [NULL]}, (x, out))


def compare_call(suffix, dtype):
    def make(rng):
        n = rng.randint(1, 6)
        c, e, stats = buf(n, dtype), buf(n), ctypes.create_string_buffer(64)
        return Call("plumb_compare_" + suffix, [PTR, PTR, I64, PTR], [p(c), p(e), n, ctypes.addressof(stats)],
                    {0: [NULL], 1: [NULL], 2: BAD_SIZES, 3: [NULL]}, (c, e, stats))
    return make


BAD_ROWS = BAD_SIZES                   # rows >= 0 where 0 does nothing
BAD_COUNTS = BAD_SIZES + [0]           # sizes that must be >= 1
BAD_ITERS = [0, -1, -(2**31)]
BAD_TOLS = [math.nan, -1.0, -math.inf]
NONFINITE = [math.nan, math.inf, -math.inf]


def contrastive_call(name, dtype, real):
    def make(rng):
        rows, cols = rng.randint(1, 4), rng.randint(2, 6)
        s, loss, grad = buf(rows * cols, dtype), buf(rows, dtype), buf(rows * cols, dtype)
        pos = np.array([rng.randrange(cols) for _ in range(rows)], dtype=np.int64)
        out_of_range = np.full(rows, cols, dtype=np.int64)  # positive must be in [-1, cols)
        below = np.full(rows, -2, dtype=np.int64)
        return Call(name, [PTR, I64, I64, PTR, real, PTR, PTR],
                    [p(s), rows, cols, p(pos), 0.07, p(loss), p(grad)],
                    {0: [NULL], 1: BAD_ROWS, 2: BAD_SIZES + [0, 1], 3: [NULL, p(out_of_range), p(below)],
                     4: BAD_REALS, 5: [NULL]}, (s, loss, grad, pos, out_of_range, below))
    return make


def embeddings_call(name, dtype, real):
    def make(rng):
        n, dim = rng.randint(2, 4), rng.randint(1, 3)
        a, b = buf(n * dim, dtype) + 1, buf(n * dim, dtype) + 1
        loss, ga, gb = buf(1, dtype), buf(n * dim, dtype), buf(n * dim, dtype)
        return Call(name, [I32, PTR, PTR, I64, I64, I32, I32, real, PTR, PTR, PTR],
                    [rng.randint(0, 1), p(a), p(b), n, dim, 1, rng.randint(0, 1), 0.5, p(loss), p(ga), p(gb)],
                    {0: BAD_ENUMS, 1: [NULL], 2: [NULL], 3: BAD_SIZES + [0, 1], 4: BAD_COUNTS, 7: BAD_REALS,
                     8: [NULL]}, (a, b, loss, ga, gb))
    return make


def topk_call(name, dtype, real, vjp=False):
    def make(rng):
        rows, n = rng.randint(1, 3), rng.randint(1, 6)
        x, g, out = buf(rows * n, dtype), buf(rows * n, dtype), buf(rows * n, dtype)
        types = [I32, PTR, I64, I64, I64, real] + ([PTR, PTR] if vjp else [PTR])
        args = [rng.randint(0, 3), p(x), rows, n, rng.randint(1, n), 1.0] + ([p(g), p(out)] if vjp else [p(out)])
        invalid = {0: BAD_ENUMS, 1: [NULL], 2: BAD_ROWS, 3: BAD_COUNTS, 4: [0, -1, n + 1, 2**62], 5: BAD_REALS,
                   6: [NULL]}
        if vjp:
            invalid[7] = [NULL]
        return Call(name, types, args, invalid, (x, g, out))
    return make


def spectral_call(name, dtype, kind, pair=False):
    """kind: "norm" (w, rows, cols, u, v, ...), "grad" (w, rows, cols, squared, grad, v, ...) or
    "decay" (w, rows, cols, coefficient, v, ...); with `pair`, the _pair function (v2 after v)."""
    real = F32 if dtype == np.float32 else F64

    def make(rng):
        rows, cols = rng.randint(1, 4), rng.randint(1, 4)
        w, v, v2 = buf(rows * cols, dtype) + 1, buf(cols, dtype), buf(cols, dtype)
        u, g = buf(rows, dtype), buf(rows * cols, dtype)
        info = ctypes.create_string_buffer(64)
        bad_v = np.full(cols, np.nan, dtype=dtype)  # a non-finite warm start
        head = [PTR, I64, I64]
        if kind == "norm":
            types, mid, bad_mid = head + [PTR, PTR], [p(u), p(v)], {3: [NULL], 4: [NULL, p(bad_v)]}
        elif kind == "grad":
            types, mid, bad_mid = head + [I32, PTR, PTR], [rng.randint(0, 1), p(g), p(v)], {4: [NULL], 5: [NULL, p(bad_v)]}
        else:
            types, mid, bad_mid = head + [real, PTR], [0.1, p(v)], {3: NONFINITE, 4: [NULL, p(bad_v)]}
        if pair:
            bad_mid[len(types)] = [NULL, p(bad_v)]
            types, mid = types + [PTR], mid + [p(v2)]
        tail = len(types)
        invalid = {0: [NULL], 1: BAD_COUNTS, 2: BAD_COUNTS, tail: BAD_ITERS, tail + 1: BAD_TOLS, **bad_mid}
        return Call(name, types + [I32, F64, PTR], [p(w), rows, cols] + mid + [50, 1e-6, ctypes.addressof(info)],
                    invalid, (w, v, v2, u, g, info, bad_v))
    return make


def exact_spectral_call(rng):
    rows, cols = rng.randint(1, 3), rng.randint(1, 3)
    w, sigma, u, v = buf(rows * cols) + 1, buf(1), buf(rows), buf(cols)
    return Call("plumb_exact_spectral_norm", [PTR, I64, I64, PTR, PTR, PTR], [p(w), rows, cols, p(sigma), p(u), p(v)],
                {0: [NULL], 1: BAD_COUNTS, 2: BAD_COUNTS, 3: [NULL]}, (w, sigma, u, v))


def precision_cap_call(rng):
    current = lib.plumb_exact_get_precision_cap()  # the valid call leaves the setting as it was
    return Call("plumb_exact_set_precision_cap", [I64], [current], {0: [0, 63, -1, 2**24 + 1, 2**62]}, ())


def least_squares_call(rng):
    n, dim = rng.randint(1, 3), rng.randint(1, 3)
    x, h = buf(n * dim) + 1, buf(dim * dim)
    return Call("plumb_exact_least_squares_hessian", [PTR, I64, I64, PTR], [p(x), n, dim, p(h)],
                {0: [NULL], 1: BAD_COUNTS, 2: BAD_COUNTS, 3: [NULL]}, (x, h))


class Config(ctypes.Structure):
    _fields_ = [("beta1", ctypes.c_double), ("beta2", ctypes.c_double), ("epsilon", ctypes.c_double),
                ("full_matrix", ctypes.c_int32)]


BAD_CONFIGS = [Config(b1, b2, eps, 0) for b1, b2, eps in
               [(math.nan, 0.999, 1e-8), (1.0, 0.999, 1e-8), (-0.1, 0.999, 1e-8), (0.9, 1.0, 1e-8),
                (0.9, math.inf, 1e-8), (0.9, 0.999, -1.0), (0.9, 0.999, math.nan), (0.9, 0.999, math.inf)]]
BAD_CONFIGS.append(Config(0.9, 0.999, 1e-8, 1))  # full matrix: with dim 5000 > 4096 (see below)
GOOD_CONFIG = Config(0.9, 0.999, 1e-8, 1)
PROBE_DIM = 3
PROBE = ctypes.c_void_p()


def hess_create_call(rng):
    out = ctypes.c_void_p()
    bad = rng.choice(BAD_CONFIGS)
    return Call("plumb_hess_create", [I64, PTR, PTR], [5000 if bad.full_matrix else PROBE_DIM, ctypes.addressof(bad),
                                                      ctypes.addressof(out)],
                {0: BAD_COUNTS, 1: [NULL], 2: [NULL]}, (out, bad))


def hess_call(name, types_tail, args_tail, invalid_tail):
    def make(rng):
        bufs = [buf(PROBE_DIM * PROBE_DIM, np.float32 if name.endswith("f32") else np.float64) for _ in args_tail]
        report = ctypes.create_string_buffer(128)
        args = [PROBE]
        for a, b in zip(args_tail, bufs):
            args.append(p(b) if a == "buffer" else ctypes.addressof(report) if a == "report" else a)
        invalid = {0: [NULL]}
        invalid.update({i + 1: v for i, v in invalid_tail.items()})
        return Call(name, [PTR] + types_tail, args, invalid, (bufs, report))
    return make


@ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
                  ctypes.c_int64)
def identity_hvp(ctx, v, hv, dim):
    for i in range(dim):
        hv[i] = v[i]
    return 0


@ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
                  ctypes.c_int64)
def failing_hvp(ctx, v, hv, dim):
    return 7


def hutchinson_call(rng):
    dim = rng.randint(1, 4)
    diag, se = buf(dim), buf(dim)
    fn = ctypes.cast(identity_hvp, ctypes.c_void_p)
    return Call("plumb_hutchinson_diag", [PTR, PTR, I64, I32, ctypes.c_uint64, PTR, PTR],
                [fn, NULL, dim, 4, 1, p(diag), p(se)],
                {0: [NULL, ctypes.cast(failing_hvp, ctypes.c_void_p)], 2: BAD_COUNTS, 3: BAD_ITERS, 5: [NULL]},
                (diag, se))


SPECS = [logsumexp_call, compare_call("f64", np.float64), compare_call("f32", np.float32),
         compare_call("f16", np.uint16), compare_call("bf16", np.uint16), precision_cap_call,
         contrastive_call("plumb_infonce_f32", np.float32, F32), contrastive_call("plumb_infonce_f64", np.float64, F64),
         contrastive_call("plumb_flatnce_f32", np.float32, F32), contrastive_call("plumb_flatnce_f64", np.float64, F64),
         contrastive_call("plumb_exact_infonce", np.float64, F64),
         contrastive_call("plumb_exact_flatnce", np.float64, F64),
         embeddings_call("plumb_contrastive_embeddings_f32", np.float32, F32),
         embeddings_call("plumb_contrastive_embeddings_f64", np.float64, F64),
         topk_call("plumb_soft_topk_f32", np.float32, F32), topk_call("plumb_soft_topk_f64", np.float64, F64),
         topk_call("plumb_soft_topk_vjp_f32", np.float32, F32, vjp=True),
         topk_call("plumb_soft_topk_vjp_f64", np.float64, F64, vjp=True),
         topk_call("plumb_exact_soft_topk", np.float64, F64),
         spectral_call("plumb_spectral_norm_f32", np.float32, "norm"),
         spectral_call("plumb_spectral_norm_f64", np.float64, "norm"),
         spectral_call("plumb_spectral_grad_f32", np.float32, "grad"),
         spectral_call("plumb_spectral_grad_f64", np.float64, "grad"),
         spectral_call("plumb_spectral_decay_f32", np.float32, "decay"),
         spectral_call("plumb_spectral_decay_f64", np.float64, "decay"),
         *(spectral_call(f"plumb_spectral_{kind}_pair_{s}", dtype, kind, pair=True)
           for kind in ("norm", "grad", "decay") for s, dtype in (("f32", np.float32), ("f64", np.float64))),
         exact_spectral_call, least_squares_call, hess_create_call,
         hess_call("plumb_hess_observe_f32", [PTR], ["buffer"], {0: [NULL]}),
         hess_call("plumb_hess_observe_f64", [PTR], ["buffer"], {0: [NULL]}),
         hess_call("plumb_hess_implied_diag", [I32, F64, PTR], [0, 1.0, "buffer"],
                   {0: BAD_ENUMS, 1: BAD_REALS, 2: [NULL]}),
         hess_call("plumb_hess_compare", [I32, PTR, PTR], [1, "buffer", "report"], {0: BAD_ENUMS, 1: [NULL], 2: [NULL]}),
         hess_call("plumb_hess_compare_matrix", [PTR, PTR], ["buffer", "report"], {0: [NULL], 1: [NULL]}),
         hutchinson_call]


def make_probe():
    """The valid handle the plumb_hess_* specs use: a full-matrix probe with one observation."""
    fn = raw["plumb_hess_create"]
    fn.restype = ctypes.c_int
    assert fn(I64(PROBE_DIM), ctypes.c_void_p(ctypes.addressof(GOOD_CONFIG)), ctypes.byref(PROBE)) == 0
    g = np.ones(PROBE_DIM)
    raw["plumb_hess_observe_f64"](PROBE, p(g))


def invoke(call, args):
    fn = raw[call.name]
    fn.restype = ctypes.c_int
    return fn(*(t(a) if not isinstance(a, ctypes.c_void_p) else a for t, a in zip(call.types, args)))


def hostile_call(rng, spec):
    call = spec(rng)
    args = list(call.args)
    positions = rng.sample(sorted(call.invalid), rng.randint(1, min(2, len(call.invalid))))
    for i in positions:
        args[i] = rng.choice(call.invalid[i])
    status = invoke(call, args)
    message = lib.plumb_last_error()
    return call.name, positions, args, status, message


def check_valid_calls(rng):
    """Every spec's unmodified call must succeed, or the fuzzer would prove nothing."""
    for spec in SPECS:
        if spec is hess_create_call:  # its valid form allocates a handle; make_probe covers it
            continue
        call = spec(rng)
        status = invoke(call, call.args)
        if status != 0:
            print(f"valid call of {call.name} failed: status {status}, {lib.plumb_last_error()!r}")
            return False
    return True


def main(calls, seed):
    rng = random.Random(seed)
    make_probe()
    if not check_valid_calls(rng):
        return 1
    for n in range(calls):
        name, positions, args, status, message = hostile_call(rng, rng.choice(SPECS))
        if status == 0 or not message:
            print(f"call {n}: {name} with invalid args at {positions} -> status {status}, message {message!r}: {args}")
            return 1
    print(f"calls={calls} functions={len(SPECS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
