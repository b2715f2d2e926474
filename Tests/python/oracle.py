"""Independent oracle for the exact references: mpmath at high precision, rounded to binary64 with
Python's correctly rounded Fraction -> float conversion (which handles subnormals and ties)."""
from fractions import Fraction

import mpmath

ORACLE_BITS = 1400  # > 400 decimal digits; also spans the binary64 exponent range in sums


def to_double(v: mpmath.mpf) -> float:
    """``v`` rounded to the nearest binary64 (ties to even), no double rounding."""
    if mpmath.isinf(v) or mpmath.isnan(v):
        return float(v)
    if v == 0:
        return 0.0
    sign, man, exp, _ = v._mpf_  # v = (-1)^sign * man * 2^exp exactly
    value = Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2 ** (-exp))
    return float(-value if sign else value)


def logsumexp(row) -> float:
    """log(sum(exp(row))) of a sequence of floats, -inf masked, correctly rounded."""
    with mpmath.workprec(ORACLE_BITS):
        finite = [mpmath.mpf(float(x)) for x in row if x != float("-inf")]
        if any(x == float("inf") for x in row):
            return float("inf")
        if not finite:
            return float("-inf")
        if len(finite) == 1:
            return float(finite[0])
        m = max(finite)
        s = mpmath.fsum(mpmath.exp(x - m) for x in finite)
        return to_double(m + mpmath.log(s))
