import CNumerics

/// Interval operations the smooth top-k references need beyond `Interval.swift`.
extension Interval {
    /// `[lo, hi]` from two numbers (copied at `precision`, lo rounded down, hi rounded up).
    static func between(_ lo: MPFRNumber, _ hi: MPFRNumber, precision: Int) -> Interval {
        let r = Interval(0, precision: precision)
        mpfr_set(r.lo.raw, lo.raw, MPFR_RNDD)
        mpfr_set(r.hi.raw, hi.raw, MPFR_RNDU)
        return r
    }

    /// `x / t` for a binary64 `x` of any sign and `t > 0` (division by a positive is increasing).
    static func quotient(_ x: Double, _ t: Double, precision: Int) -> Interval {
        let a = Interval(x, precision: precision), d = Interval(t, precision: precision)
        let r = Interval(0, precision: precision)
        mpfr_div(r.lo.raw, a.lo.raw, d.lo.raw, MPFR_RNDD)
        mpfr_div(r.hi.raw, a.hi.raw, d.hi.raw, MPFR_RNDU)
        return r
    }

    /// `(x - y) / t` for binary64 `x >= y` and `t > 0`: a non-negative interval.
    static func scaledGap(_ x: Double, _ y: Double, _ t: Double, precision: Int) -> Interval {
        (Interval(x, precision: precision) - Interval(y, precision: precision)) / Interval(t, precision: precision)
    }

    /// `exp(-a)` for any interval a.
    static func expNeg(_ a: Interval) -> Interval { exp(-a) }

    /// `sqrt(a)` of a non-negative interval.
    static func sqrt(_ a: Interval) -> Interval {
        let r = Interval(0, precision: a.precision)
        mpfr_sqrt(r.lo.raw, a.lo.raw, MPFR_RNDD)
        mpfr_sqrt(r.hi.raw, a.hi.raw, MPFR_RNDU)
        return r
    }

    /// `sigmoid(a) = 1 / (1 + exp(-a))`, increasing.
    static func sigmoid(_ a: Interval) -> Interval {
        let one = Interval(1, precision: a.precision)
        return one / (one + exp(-a))
    }

    /// The smallest interval containing both.
    static func hull(_ a: Interval, _ b: Interval) -> Interval {
        let r = Interval(0, precision: max(a.precision, b.precision))
        mpfr_min(r.lo.raw, a.lo.raw, b.lo.raw, MPFR_RNDD)
        mpfr_max(r.hi.raw, a.hi.raw, b.hi.raw, MPFR_RNDU)
        return r
    }

    /// Certified sign: +1 when lo > 0 (or >= 0 with `orZero`), -1 when hi < 0, 0 when undecided.
    var certifiedSign: Int {
        if mpfr_sgn(lo.raw) > 0 { return 1 }
        if mpfr_sgn(hi.raw) < 0 { return -1 }
        return 0
    }
}
