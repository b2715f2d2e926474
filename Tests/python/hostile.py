"""Hostile-argument fuzzing of the C API, run in a child process so a crash is caught.

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


SPECS = [logsumexp_call, compare_call("f64", np.float64), compare_call("f32", np.float32),
         compare_call("f16", np.uint16), compare_call("bf16", np.uint16)]


def hostile_call(rng, spec):
    call = spec(rng)
    args = list(call.args)
    positions = rng.sample(sorted(call.invalid), rng.randint(1, min(2, len(call.invalid))))
    for i in positions:
        args[i] = rng.choice(call.invalid[i])
    fn = raw[call.name]
    fn.restype = ctypes.c_int
    status = fn(*(t(a) if not isinstance(a, ctypes.c_void_p) else a for t, a in zip(call.types, args)))
    message = lib.plumb_last_error()
    return call.name, positions, args, status, message


def main(calls, seed):
    rng = random.Random(seed)
    for n in range(calls):
        name, positions, args, status, message = hostile_call(rng, rng.choice(SPECS))
        if status == 0 or not message:
            print(f"call {n}: {name} with invalid args at {positions} -> status {status}, message {message!r}: {args}")
            return 1
    print(f"calls={calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
