import PlumbCore
import Synchronization
import CNumerics

/// Ziv's strategy over interval evaluations.
///
/// `evaluate(p)` returns intervals that contain the exact values, computed with `p`-bit MPFR
/// numbers. Rounding to nearest is monotone, so when both ends of an interval round to the same
/// binary64 value (`Interval.roundedToNearest`) that value is the correctly rounded result.
/// Otherwise the precision doubles, up to `cap`.
public struct CorrectRounding {
    /// First working precision in bits.
    public static let startPrecision = 64
    /// Default cap on the working precision, in bits.
    public static let defaultCap = 1 << 16

    public let cap: Int

    public init(cap: Int = CorrectRounding.defaultCap) {
        self.cap = max(cap, CorrectRounding.startPrecision)
    }

    /// The correctly rounded values and the precision that certified them.
    public func values(
        count: Int, _ evaluate: (_ precision: Int) throws(PlumbError) -> [Interval]
    ) throws(PlumbError) -> (values: [Double], precision: Int) {
        try withMPFRWorkspace { () throws(PlumbError) in try ziv(count: count, evaluate) }
    }

    /// Ziv's loop itself (see the type), in the caller's MPFR workspace.
    private func ziv(
        count: Int, _ evaluate: (_ precision: Int) throws(PlumbError) -> [Interval]
    ) throws(PlumbError) -> (values: [Double], precision: Int) {
        var precision = CorrectRounding.startPrecision
        while true {
            let intervals = try evaluate(precision)
            precondition(intervals.count == count, "CorrectRounding: evaluator returned a wrong count")
            var values = [Double](repeating: 0, count: count)
            var certain = true
            for (i, interval) in intervals.enumerated() {
                guard let v = interval.roundedToNearest else { certain = false; break }
                values[i] = v
            }
            if certain { return (values, precision) }
            if precision >= cap {
                throw .precision(row: 0, "exact result not certified at the \(cap)-bit precision cap")
            }
            precision = min(precision * 2, cap)
        }
    }

    /// Scalar convenience form of `values`.
    public func value(
        _ evaluate: (_ precision: Int) throws(PlumbError) -> Interval
    ) throws(PlumbError) -> (value: Double, precision: Int) {
        let r = try values(count: 1) { (p: Int) throws(PlumbError) in [try evaluate(p)] }
        return (r.values[0], r.precision)
    }
}

extension Interval {
    /// The binary64 value every point of the interval rounds to, or nil when points round to
    /// different values. Rounding is monotone, so the two ends decide. Both ends rounding to zero
    /// certify +0 when the interval lies in [0, +inf) and -0 when it lies in (-inf, 0); an interval
    /// reaching 0 from below is undecided (an exactly zero result is the evaluator's special case).
    public var roundedToNearest: Double? {
        let l = lo.double(MPFR_RNDN), h = hi.double(MPFR_RNDN)
        guard l == h, !l.isNaN else { return nil }
        guard l == 0 else { return l }
        if mpfr_sgn(lo.raw) >= 0 { return 0.0 }
        if mpfr_sgn(hi.raw) < 0 { return -0.0 }
        return nil
    }
}

/// Runs `body`, an exact computation on this thread's MPFR numbers, in MPFR's widest exponent
/// range, then restores the calling thread's range and flags (a host program may use MPFR too, e.g.
/// with the binary64 range emin = -1073, emax = 1024, in which the references' intermediate values
/// do not fit) and frees MPFR's per-thread constant caches (log 2, pi, ...; worker threads come
/// and go). With the default range (2^+-2^30), exp(-7.5e8) already underflowed, leaving intervals
/// that reach 0 and cannot decide a sign of zero.
func withMPFRWorkspace<R>(_ body: () throws(PlumbError) -> R) throws(PlumbError) -> R {
    let (emin, emax, flags) = (mpfr_get_emin(), mpfr_get_emax(), mpfr_flags_save())
    defer {
        mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE)
        mpfr_set_emin(emin)
        mpfr_set_emax(emax)
        mpfr_flags_restore(flags, mpfr_flags_t(MPFR_FLAGS_UNDERFLOW | MPFR_FLAGS_OVERFLOW | MPFR_FLAGS_NAN
                                                | MPFR_FLAGS_INEXACT | MPFR_FLAGS_ERANGE | MPFR_FLAGS_DIVBY0))
    }
    mpfr_set_emin(mpfr_get_emin_min())
    mpfr_set_emax(mpfr_get_emax_max())
    return try body()
}

/// Process-wide settings of the exact references (`plumb_exact_set_precision_cap`).
public enum ExactSettings {
    private static let cap = Atomic<Int>(CorrectRounding.defaultCap)
    public static let capRange = CorrectRounding.startPrecision...(1 << 24)

    public static var precisionCap: Int {
        get { cap.load(ordering: .relaxed) }
        set { cap.store(newValue, ordering: .relaxed) }
    }
}
