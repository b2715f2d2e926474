/// `exp(x)` for `x <= 0`, relative error below 2^-31 (float32 results need ~2^-30 on top of
/// their own rounding to stay within 1 ULP; the float64 kernel uses libm's `exp` instead).
///
/// Range reduction `x = k ln2 + r`, `|r| <= ln2/2 ~ 0.347`, with a two-part `ln2` (Cody-Waite:
/// the high part has 32 significant bits, so `k * hi` is exact for |k| < 2^21) and the nearest
/// integer `k` from the 1.5*2^52 shifter (no SSE4.1 rounding instruction needed); `exp(r)` by its
/// Taylor polynomial of degree 8 (truncation 0.347^9/9! < 2^-32); `2^k` built in the exponent bits
/// with 64-bit integer add and shift only (SSE2 has those; it lacks 64-bit arithmetic shifts).
/// Inputs below -708 (where 2^k would leave the normal range) give 0, and so does `-inf`.
/// Branch-free, so loops over it vectorize.
@inline(__always)
func fastExpNonPositive(_ x: Double) -> Double {
    let tiny = x < -708.0
    let xc = tiny ? -708.0 : x
    let shifter = 6755399441055744.0  // 1.5 * 2^52: kf's low bits hold k
    let kf = xc * 1.4426950408889634 + shifter
    let k = kf - shifter
    let r = (xc - k * 0.6931471803691238) - k * 1.9082149292705877e-10
    var p = 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // kf's bit pattern is 0x4338000000000000 + k; add (1023 - that) and shift into the exponent.
    let scale = Double(bitPattern: (kf.bitPattern &+ (1023 &- 0x4338_0000_0000_0000)) &<< 52)
    return tiny ? 0 : p * scale
}

/// Eight lanes of `fastExpNonPositive` (same operations, so the same results bit for bit); eight
/// independent lanes give the out-of-order core enough parallel work to hide the latency of the
/// polynomial chain.
@inline(__always)
func fastExpNonPositive(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let tiny = x .< -708.0
    let xc = x.replacing(with: -708.0, where: tiny)
    let shifter = SIMD8<Double>(repeating: 6755399441055744.0)
    let kf = xc * 1.4426950408889634 + shifter
    let k = kf - shifter
    let r = (xc - k * 0.6931471803691238) - k * 1.9082149292705877e-10
    var p = SIMD8<Double>(repeating: 1.0 / 40320.0)
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    let bits = unsafeBitCast(kf, to: SIMD8<Int64>.self)
    let scale = unsafeBitCast((bits &+ (1023 &- 0x4338_0000_0000_0000)) &<< 52, to: SIMD8<Double>.self)
    return (p * scale).replacing(with: 0, where: tiny)
}
