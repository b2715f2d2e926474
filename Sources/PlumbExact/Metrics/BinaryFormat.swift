/// An IEEE-style binary floating-point format: `precision` significand bits (with the implicit
/// one), normal exponents `minExponent...maxExponent`, gradual underflow.
public struct BinaryFormat: Sendable, Equatable {
    public let name: String
    public let precision: Int
    public let minExponent: Int
    public let maxExponent: Int

    public static let binary64 = BinaryFormat(name: "binary64", precision: 53, minExponent: -1022, maxExponent: 1023)
    public static let binary32 = BinaryFormat(name: "binary32", precision: 24, minExponent: -126, maxExponent: 127)
    public static let binary16 = BinaryFormat(name: "binary16", precision: 11, minExponent: -14, maxExponent: 15)
    public static let bfloat16 = BinaryFormat(name: "bfloat16", precision: 8, minExponent: -126, maxExponent: 127)

    /// The largest finite value, (2 - 2^(1-p)) * 2^emax.
    public var greatestFiniteMagnitude: Double {
        Double(sign: .plus, exponent: maxExponent, significand: 2 - Double(sign: .plus, exponent: 1 - precision, significand: 1))
    }

    /// log2 of the spacing of this format's numbers in the binade of |x|: `e - p + 1` with
    /// `e = floor(log2|x|)` clamped below to the normal range (subnormal spacing) and, when
    /// `clampAbove`, above to the top binade.
    public func spacingExponent(at x: Double, clampAbove: Bool) -> Int {
        var e = x == 0 ? minExponent : max(Int(x.exponent), minExponent)
        if clampAbove { e = min(e, maxExponent) }
        return e - precision + 1
    }

    /// ulp_F(x) as API.md defines it, as a power of two (may be subnormal in binary64; it never
    /// underflows to 0 since every format here has spacing >= 2^-1074).
    public func ulp(at x: Double) -> Double {
        Double(sign: .plus, exponent: spacingExponent(at: x, clampAbove: true), significand: 1)
    }

    /// `x` rounded to this format, to nearest with ties to even; overflow gives +-inf, underflow
    /// keeps the sign of zero. Exact arithmetic: scaling by powers of two and integer rounding.
    public func rounded(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        let s = spacingExponent(at: x, clampAbove: false)
        let y = x.scaledExactly(by: -s).rounded(.toNearestOrEven).scaledExactly(by: s)
        if y.magnitude > greatestFiniteMagnitude { return x < 0 ? -.infinity : .infinity }
        return y == 0 ? (x < 0 ? -0.0 : 0.0) : y
    }
}

extension Double {
    /// self * 2^k, computed without an intermediate power of two (which could overflow or
    /// underflow on its own); exact whenever the result is representable.
    func scaledExactly(by k: Int) -> Double {
        guard self != 0, isFinite else { return self }
        return Double(sign: sign, exponent: exponent + k, significand: significand)
    }
}
