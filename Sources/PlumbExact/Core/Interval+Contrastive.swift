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
}
