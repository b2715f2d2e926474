import CNumerics

/// A closed interval `[lo, hi]` of MPFR numbers that contains a true real value.
///
/// Each operation rounds its lower end toward -inf and its upper end toward +inf, so the interval
/// keeps containing the exact result of the same operations on exact inputs. Narrowing comes from
/// raising the working precision (see `correctlyRounded`). Infinite ends are allowed, NaN is not.
public struct Interval {
    public let lo: MPFRNumber
    public let hi: MPFRNumber

    public var precision: Int { lo.precision }

    /// The degenerate interval `[x, x]`; exact since `precision >= 53`.
    public init(_ x: Double, precision: Int) {
        lo = MPFRNumber(x, precision: precision)
        hi = MPFRNumber(x, precision: precision)
    }

    private init(precision: Int) {
        lo = MPFRNumber(precision: precision)
        hi = MPFRNumber(precision: precision)
    }

    /// `[f(a.lo) rounded down, f(a.hi) rounded up]` for an increasing `f`.
    private static func increasing(
        _ a: Interval,
        _ f: (UnsafeMutablePointer<__mpfr_struct>, UnsafePointer<__mpfr_struct>, mpfr_rnd_t) -> Int32
    ) -> Interval {
        let r = Interval(precision: a.precision)
        _ = f(r.lo.raw, a.lo.raw, MPFR_RNDD)
        _ = f(r.hi.raw, a.hi.raw, MPFR_RNDU)
        return r
    }

    public static func + (a: Interval, b: Interval) -> Interval {
        let r = Interval(precision: max(a.precision, b.precision))
        mpfr_add(r.lo.raw, a.lo.raw, b.lo.raw, MPFR_RNDD)
        mpfr_add(r.hi.raw, a.hi.raw, b.hi.raw, MPFR_RNDU)
        return r
    }

    public static func - (a: Interval, b: Interval) -> Interval {
        let r = Interval(precision: max(a.precision, b.precision))
        mpfr_sub(r.lo.raw, a.lo.raw, b.hi.raw, MPFR_RNDD)
        mpfr_sub(r.hi.raw, a.hi.raw, b.lo.raw, MPFR_RNDU)
        return r
    }

    public static prefix func - (a: Interval) -> Interval {
        let r = Interval(precision: a.precision)
        mpfr_neg(r.lo.raw, a.hi.raw, MPFR_RNDD)
        mpfr_neg(r.hi.raw, a.lo.raw, MPFR_RNDU)
        return r
    }

    /// Product of two intervals whose ends are all >= 0 (the only case the references need;
    /// general signs would take the min/max of four products).
    public static func * (a: Interval, b: Interval) -> Interval {
        precondition(a.isNonNegative && b.isNonNegative, "Interval *: operands must be >= 0")
        let r = Interval(precision: max(a.precision, b.precision))
        mpfr_mul(r.lo.raw, a.lo.raw, b.lo.raw, MPFR_RNDD)
        mpfr_mul(r.hi.raw, a.hi.raw, b.hi.raw, MPFR_RNDU)
        return r
    }

    /// Quotient of a non-negative interval by a positive one.
    public static func / (a: Interval, b: Interval) -> Interval {
        precondition(a.isNonNegative && mpfr_sgn(b.lo.raw) > 0, "Interval /: needs a >= 0, b > 0")
        let r = Interval(precision: max(a.precision, b.precision))
        mpfr_div(r.lo.raw, a.lo.raw, b.hi.raw, MPFR_RNDD)
        mpfr_div(r.hi.raw, a.hi.raw, b.lo.raw, MPFR_RNDU)
        return r
    }

    public var isNonNegative: Bool { mpfr_sgn(lo.raw) >= 0 }

    public static func exp(_ a: Interval) -> Interval { increasing(a, mpfr_exp) }
    public static func log(_ a: Interval) -> Interval { increasing(a, mpfr_log) }
    public static func log1p(_ a: Interval) -> Interval { increasing(a, mpfr_log1p) }

    /// Sum of `terms`; the empty sum is `[0, 0]`.
    public static func sum(_ terms: [Interval], precision: Int) -> Interval {
        var acc = Interval(0, precision: precision)
        for t in terms { acc = acc + t }
        return acc
    }
}
