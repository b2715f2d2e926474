#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import Glibc

/// `(a - b) / tau` for finite `b`, `a` finite or -inf, and finite tau > 0, as a double-double
/// `hi + lo`.
///
/// The top-k methods and the float64 contrastive kernels measure items from a reference item of
/// the row in units of the temperature: forming `a / tau` first overflows (a subnormal tau), and
/// `a / tau - b / tau` loses the difference to the rounding of two large quotients (shift
/// invariance fails). Subtracting first keeps the difference exact (TwoSum) and divides once
/// keeping the remainder (`divide`); an `a - b` beyond binary64's range is taken in halves; below
/// tau = 2^-900 both are scaled by the same power of two first, so that the remainder cannot
/// underflow. `hi` is +-inf exactly when the true quotient exceeds binary64's range (or `a` is
/// -inf): then the items are infinitely far apart in the limit every method is defined by (lo = 0).
@inline(__always)
func scaledGap(_ a: Double, _ b: Double, _ tau: Double) -> (hi: Double, lo: Double) {
    let d = twoSum(a, -b)
    if !d.s.isFinite {
        if a == -.infinity { return (-.infinity, 0) }
        let h = twoSum(a * 0.5, -(b * 0.5))  // halving a value beyond 2^1023 is exact
        let q = divide(h.s, h.e, by: tau)
        let hi = 2 * q.q
        return hi.isFinite ? (hi, 2 * q.lo) : (hi, 0)
    }
    if tau == 1 { return (d.s, d.e) }  // the default temperature: the quotient is the difference
    if tau >= 0x1p-900 { let q = divide(d.s, d.e, by: tau); return (q.q, q.lo) }
    // 2^-exponent(tau) itself may overflow (up to 2^1074): scale each part in one step. The
    // scaled tau lies in [1/2, 1), so the quotient is at least the scaled difference, which then
    // overflows only when the quotient does (with tau scaled to [1, 2), a difference of 1 at
    // tau = 1.1e-308 overflowed though the quotient is 9.1e307).
    let n = -Int(tau.exponent) - 1
    let q = divide(timesPowerOfTwo(d.s, n), timesPowerOfTwo(d.e, n), by: timesPowerOfTwo(tau, n))
    return (q.q, q.lo)
}

/// `exp((a - b) / tau)` with the quotient's rounding corrected: `exp(hi + lo) = exp(hi) (1 + lo)`
/// up to lo^2, so the weight's relative error does not grow with |a - b| / tau.
@inline(__always)
func expOfGap(_ a: Double, _ b: Double, _ tau: Double) -> Double {
    let d = scaledGap(a, b, tau)
    return d.hi == -.infinity ? 0 : exp(d.hi) * (1 + d.lo)
}
