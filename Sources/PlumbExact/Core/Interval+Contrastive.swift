import CNumerics

extension Interval {
    /// `[lo / d rounded down, hi / d rounded up]` for an exact scalar `d > 0` (any sign of the
    /// interval's ends).
    public func divided(byPositive d: Double) -> Interval {
        precondition(d > 0, "Interval.divided(byPositive:): d must be > 0")
        let r = Interval(0, precision: precision)  // fresh ends, overwritten below
        mpfr_div_d(r.lo.raw, lo.raw, d, MPFR_RNDD)
        mpfr_div_d(r.hi.raw, hi.raw, d, MPFR_RNDU)
        return r
    }

    /// This interval, for a quantity known to be > 0, made decidable at 0: a lower end <= 0 (from
    /// an underflow, e.g. the exp of a huge negative argument) is raised to MPFR's least positive
    /// number (and the upper end with it if needed). That may cut off the true value, but only
    /// values far below 2^-1075, which round to +0 as that least number does, so
    /// `roundedToNearest` can only decide as it would on the true interval, and now decides +0.
    public func positiveForRounding() -> Interval {
        guard mpfr_sgn(lo.raw) <= 0 else { return self }
        let r = divided(byPositive: 1)  // a copy: division by 1 is exact
        mpfr_set_zero(r.lo.raw, 1)
        mpfr_nextabove(r.lo.raw)
        if mpfr_cmp(r.hi.raw, r.lo.raw) < 0 { mpfr_set(r.hi.raw, r.lo.raw, MPFR_RNDU) }
        return r
    }

    /// `self + small` for a `small` known to be > 0 whose value may lie far below the working
    /// precision (`log(1 + e^-m)` beside `m = 2^53 + 1`): when self's lower end is a binary64
    /// rounding boundary and the sum's lower end stays on it, that end is raised to the next
    /// number at the working precision. The sum is strictly above the boundary, and the next
    /// boundary lies a binary64 half-ULP away, so the raised interval rounds as the true value
    /// does (it can only cut off values that round alike) and Ziv's loop decides instead of
    /// climbing to its cap (PLUMB_ERR_PRECISION for InfoNCE on [-1, 2^53] at tau = 1).
    public func plusPositive(_ small: Interval) -> Interval {
        let r = self + small
        guard mpfr_cmp(r.lo.raw, lo.raw) == 0, lo.isBinary64Boundary else { return r }
        mpfr_nextabove(r.lo.raw)
        if mpfr_cmp(r.hi.raw, r.lo.raw) < 0 { mpfr_set(r.hi.raw, r.lo.raw, MPFR_RNDU) }
        return r
    }
}

extension MPFRNumber {
    /// Whether this number is where rounding to nearest binary64 changes value: the midpoint of
    /// two adjacent doubles, or +-(DBL_MAX + ulp/2), the overflow threshold.
    var isBinary64Boundary: Bool {
        guard mpfr_number_p(raw) != 0 else { return false }
        let down = double(MPFR_RNDD), up = double(MPFR_RNDU)
        guard down != up else { return false }  // a double itself
        let mid = MPFRNumber(precision: 64)  // exact: adjacent doubles' sum fits 55 bits
        if down.isInfinite || up.isInfinite {
            let edge = down.isInfinite ? up : down
            mpfr_set_d(mid.raw, edge, MPFR_RNDN)
            mpfr_add_d(mid.raw, mid.raw, edge > 0 ? 0x1p970 : -0x1p970, MPFR_RNDN)
        } else {
            mpfr_set_d(mid.raw, down, MPFR_RNDN)
            mpfr_add_d(mid.raw, mid.raw, up, MPFR_RNDN)
            mpfr_div_2ui(mid.raw, mid.raw, 1, MPFR_RNDN)
        }
        return mpfr_cmp(mid.raw, raw) == 0
    }
}
