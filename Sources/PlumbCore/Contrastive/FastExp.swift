/// `exp(x)` for four doubles at once, for `x <= 0`, with relative error below 2^-45 (enough for
/// float32 results; the float64 kernel uses libm's `exp` instead).
///
/// Range reduction `x = n ln2 + r`, `|r| <= ln2/2`, with a two-part `ln2` (Cody-Waite) and the
/// nearest integer `n` from the 1.5*2^52 trick (no SSE4.1 rounding needed); `exp(r)` by its Taylor
/// polynomial of degree 11 (truncation < 2^-47 on |r| <= 0.347); `2^n` built in the exponent bits.
/// Inputs below -708 (where the result would leave the normal range) give 0, also for `-inf`.
@inline(__always)
func fastExpNonPositive(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let tiny = x .< -708.0
    let xc = x.replacing(with: -708.0, where: tiny)
    let shifter = SIMD4<Double>(repeating: 6755399441055744.0)  // 1.5 * 2^52
    let kf = xc * 1.4426950408889634 + shifter
    let n = kf - shifter
    let r = (xc - n * 0.693147180559662956511601805686950683593750) - n * 2.8235290563031577122588448175013436025525e-13
    var p = SIMD4<Double>(repeating: 1.0 / 39916800.0)
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // The low bits of kf hold n (two's complement in the low 32 bits of the significand).
    let bits = unsafeBitCast(kf, to: SIMD4<Int64>.self)
    let e = ((bits &<< 32) &>> 32) &+ 1023
    let scale = unsafeBitCast(e &<< 52, to: SIMD4<Double>.self)
    return (p * scale).replacing(with: 0, where: tiny)
}
