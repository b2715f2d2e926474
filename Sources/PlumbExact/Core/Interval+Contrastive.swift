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
}
