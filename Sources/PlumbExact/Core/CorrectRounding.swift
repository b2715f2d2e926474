import PlumbCore
import Synchronization
import CNumerics

/// Ziv's strategy over interval evaluations.
///
/// `evaluate(p)` returns intervals that contain the exact values, computed with `p`-bit MPFR
/// numbers. Rounding to nearest is monotone, so when both ends of an interval round to the same
/// binary64 value (same bits, so the sign of zero counts) that value is the correctly rounded
/// result. Otherwise the precision doubles, up to `cap`.
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
        var precision = CorrectRounding.startPrecision
        while true {
            let intervals = try evaluate(precision)
            precondition(intervals.count == count, "CorrectRounding: evaluator returned a wrong count")
            var values = [Double](repeating: 0, count: count)
            var certain = true
            for (i, interval) in intervals.enumerated() {
                let lo = interval.lo.double(MPFR_RNDN), hi = interval.hi.double(MPFR_RNDN)
                if lo.bitPattern != hi.bitPattern || lo.isNaN { certain = false; break }
                values[i] = lo
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

/// Process-wide settings of the exact references (`plumb_exact_set_precision_cap`).
public enum ExactSettings {
    private static let cap = Atomic<Int>(CorrectRounding.defaultCap)
    public static let capRange = CorrectRounding.startPrecision...(1 << 24)

    public static var precisionCap: Int {
        get { cap.load(ordering: .relaxed) }
        set { cap.store(newValue, ordering: .relaxed) }
    }
}
