#if canImport(Glibc)
import Glibc
#endif

/// Error statistics of computed values against correctly rounded binary64 references, as
/// `plumb_error_stats` documents them (Include/plumb.h, "Precision metrics").
public struct ErrorStatistics: Equatable, Sendable {
    public var count = 0
    public var maxULP = 0.0
    public var meanULP = 0.0
    public var maxRelative = 0.0
    public var minBits: Double
    public var worstIndex = -1
    public var specialMismatches = 0

    /// The statistics of `computed(i)` (a value of `format`, widened exactly to binary64) against
    /// `exact[i]`, for `i` in `0..<exact.count`.
    public init(format: BinaryFormat, exact: UnsafeBufferPointer<Double>, computed: (Int) -> Double) {
        let fullBits = Double(format.precision)
        minBits = fullBits
        count = exact.count
        var ulpSum = 0.0
        var included = 0
        for i in 0..<exact.count {
            let c = computed(i), x = exact[i]
            let classesAgree = ValueClass(c) == ValueClass(format.rounded(x))
            if !classesAgree { specialMismatches += 1 }
            guard c.isFinite && x.isFinite else {
                if classesAgree {
                    included += 1  // same NaN or infinity: no error
                    if worstIndex < 0 { worstIndex = i }  // as for a finite element with no error
                } else {
                    minBits = 0
                }
                continue
            }
            // Values of opposite signs near the top of binary64 differ by more than its range: then
            // the difference is taken at half scale (exact halving) and doubled in the scaling.
            var difference = (c - x).magnitude, halved = 0
            if difference.isInfinite { difference = (c * 0.5 - x * 0.5).magnitude; halved = 1 }
            let ulps = difference.scaledExactly(by: halved - format.spacingExponent(at: x, clampAbove: true))
            included += 1
            ulpSum += ulps * 0x1p-64  // scaled: errors near 2^1000 ULP (exact 0 in binary64) would overflow the sum
            if worstIndex < 0 || ulps > maxULP { maxULP = ulps; worstIndex = i }
            let bits: Double
            if x == 0 {
                bits = c == 0 ? fullBits : 0
            } else {
                let relative = (difference / x.magnitude).scaledExactly(by: halved)
                maxRelative = max(maxRelative, relative)
                // relative >= 1 keeps no bits (and max(0, -log2(1)) would be -0.0).
                bits = relative == 0 ? fullBits : relative >= 1 ? 0 : min(fullBits, -log2(relative))
            }
            minBits = min(minBits, bits)
        }
        meanULP = included > 0 ? ulpSum / Double(included) * 0x1p64 : 0
    }
}

/// The classes API.md distinguishes: a computed value whose class differs from the exact value's
/// (rounded to the computed format) is a special mismatch.
enum ValueClass: Equatable {
    case nan, positiveInfinity, negativeInfinity, zero, positive, negative

    init(_ x: Double) {
        if x.isNaN { self = .nan }
        else if x == .infinity { self = .positiveInfinity }
        else if x == -.infinity { self = .negativeInfinity }
        else if x == 0 { self = .zero }
        else { self = x > 0 ? .positive : .negative }
    }
}
