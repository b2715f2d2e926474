#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import Glibc

/// A pair of reals `(value, derivative) = (m * 2^e, f * 2^e)` sharing one binary exponent `e`.
///
/// The smooth top-k dynamic programme multiplies and adds elementary symmetric polynomials whose
/// magnitudes range far beyond binary64 (`e_k` of 4096 terms overflows, terms `exp(x_i - max)` of a
/// spread-out row underflow). Keeping a separate integer exponent per entry makes every DP entry
/// representable with full relative precision whatever the input scale. `f` carries the directional
/// derivative of the same entry (forward-mode differentiation, used by the VJP); it is 0 when unused.
@usableFromInline
struct ScaledPair: BitwiseCopyable {
    @usableFromInline var m: Double
    @usableFromInline var f: Double
    @usableFromInline var e: Int

    @inlinable init(_ m: Double, _ f: Double, _ e: Int) { self.m = m; self.f = f; self.e = e }

    @usableFromInline static let zero = ScaledPair(0, 0, 0)
    @usableFromInline static let one = ScaledPair(1, 0, 0)

    /// 2^d for d in [-1022, 1023] (built from the bits; no libm call).
    @inlinable static func pow2(_ d: Int) -> Double {
        Double(bitPattern: UInt64(truncatingIfNeeded: d &+ 1023) << 52)
    }

    /// Keeps the mantissas within [2^-64, 2^64] so products of two entries stay normal and the
    /// exponent `e` tells the magnitude within a factor 2^64.
    @inlinable @inline(__always) mutating func normalize() {
        let a = Swift.max(Swift.abs(m), Swift.abs(f))
        if a == 0 { e = 0; return }
        if a > 0x1p64 || a < 0x1p-64 {
            let x = Int(a.exponent)
            let s = ScaledPair.pow2(-x)
            m *= s; f *= s; e &+= x
        }
    }

    /// `self + other`: aligns to the larger exponent; a term more than 2^-900 (times the mantissa range)
    /// smaller vanishes. The result is always normalised.
    @inlinable @inline(__always) static func + (a: ScaledPair, b: ScaledPair) -> ScaledPair {
        var r: ScaledPair
        if b.m == 0 && b.f == 0 { r = a; r.normalize(); return r }
        if a.m == 0 && a.f == 0 { r = b; r.normalize(); return r }
        if a.e >= b.e {
            let d = b.e &- a.e
            if d < -900 { r = a; r.normalize(); return r }
            let s = pow2(d)
            r = ScaledPair(a.m + b.m * s, a.f + b.f * s, a.e)
        } else {
            let d = a.e &- b.e
            if d < -900 { r = b; r.normalize(); return r }
            let s = pow2(d)
            r = ScaledPair(b.m + a.m * s, b.f + a.f * s, b.e)
        }
        r.normalize()
        return r
    }

    /// Product rule: `(m1 m2, f1 m2 + m1 f2)` at exponent `e1 + e2`. Not normalised: the callers
    /// multiply a normalised entry by an `exp` mantissa in [1, 2) and add the result (`+` normalises).
    @inlinable static func * (a: ScaledPair, b: ScaledPair) -> ScaledPair {
        ScaledPair(a.m * b.m, a.f * b.m + a.m * b.f, a.e &+ b.e)
    }

}

/// `x * 2^e` for any integer `e` (0 on underflow, inf on overflow).
@inlinable
func scaleBinary(_ x: Double, _ e: Int) -> Double {
    do {
        if e < -1100 { return 0 }
        if e > 1100 { return x * .infinity }
        var v = x, k = e
        while k < -1000 { v *= 0x1p-1000; k += 1000 }
        while k > 1000 { v *= 0x1p1000; k -= 1000 }
        return v * ScaledPair.pow2(k)
    }
}

/// `exp(d)` for `d <= 0` as a mantissa (about 1) and a binary exponent, without underflow:
/// `d = q ln 2 + r` (Cody-Waite split of ln 2, fused multiply-adds), `exp(d) = exp(r) 2^q`.
@inlinable
func scaledExp(_ d: Double) -> (m: Double, e: Int) {
    if d >= -700 {
        // Normalised mantissa in [1, 2) so products with other entries cannot underflow.
        let v = Glibc.exp(d)
        if v == 0 { return (0, 0) }
        let x = Int(v.exponent)
        return (v * ScaledPair.pow2(-x), x)
    }
    // ln 2 in three parts (hi + lo alone is 1.2e-26 off: 160 ULP once |d| ~ 1e12); each fused
    // step rounds only the small reduced argument.
    let ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10, ln2lo2 = 1.1612227229362532e-26
    let qd = (d * 1.4426950408889634).rounded()
    if !(qd > -1e15) { return (0, 0) }
    var r = d.addingProduct(-qd, ln2hi)
    r = r.addingProduct(-qd, ln2lo)
    r = r.addingProduct(-qd, ln2lo2)
    return (Glibc.exp(r), Int(qd))
}
