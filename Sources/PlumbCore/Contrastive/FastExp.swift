/// `exp(x)` for four doubles at once, for `x <= 0`, with relative error below 2^-34 (ample for
/// float32 results, which need ~2^-30; the float64 kernel uses libm's `exp` instead).
///
/// Range reduction by half-octaves: `x = k ln2/2 + r`, `|r| <= ln2/4 ~ 0.1733`, with a two-part
/// `ln2/2` (Cody-Waite) and the nearest integer `k` from the 1.5*2^52 trick (no SSE4.1 rounding
/// needed); `exp(r)` by its Taylor polynomial of degree 7 (truncation 0.1733^8/8! < 2^-35);
/// `exp(x) = 2^floor(k/2) * (k odd ? sqrt 2 : 1) * exp(r)`, the power of two built in the exponent
/// bits. Inputs below -708 (where the result would leave the normal range) give 0, also `-inf`.
@inline(__always)
func fastExpNonPositive(_ x: SIMD4<Double>) -> SIMD4<Double> {
    let tiny = x .< -708.0
    let xc = x.replacing(with: -708.0, where: tiny)
    let shifter = SIMD4<Double>(repeating: 6755399441055744.0)  // 1.5 * 2^52
    let kf = xc * 2.8853900817779268 + shifter  // 2 / ln2
    let k = kf - shifter
    // ln2/2 split: the high part has 32 significant bits so k * hi is exact for |k| < 2^21.
    let r = (xc - k * 0.3465735901845619) - k * 9.541074646352939e-11
    var p = SIMD4<Double>(repeating: 1.0 / 5040.0)
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // floor(k/2) = nearest integer to k/2 - 1/4, again by the shifter; its bit pattern is
    // 0x4338000000000000 + floor(k/2), so adding (1023 - that constant) and shifting by 52 builds
    // 2^floor(k/2) with SSE2 integer ops only (no 64-bit arithmetic shifts or compares).
    let mf = (k * 0.5 - 0.25) + shifter
    let odd = k - 2 * (mf - shifter)  // 0 or 1
    let bits = unsafeBitCast(mf, to: SIMD4<Int64>.self)
    let scale = unsafeBitCast((bits &+ (1023 &- 0x4338_0000_0000_0000)) &<< 52, to: SIMD4<Double>.self)
    let half = odd * 0.41421356237309503 + 1.0  // sqrt 2 for odd k
    return (p * (scale * half)).replacing(with: 0, where: tiny)
}

/// Scalar form of `fastExpNonPositive` (same formula, same results), written branch-free so that
/// loops over it vectorize.
@inline(__always)
func fastExpNonPositive(_ x: Double) -> Double {
    let xc = x < -708.0 ? -708.0 : x
    let shifter = 6755399441055744.0
    let kf = xc * 2.8853900817779268 + shifter
    let k = kf - shifter
    let r = (xc - k * 0.3465735901845619) - k * 9.541074646352939e-11
    var p = 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    let mf = (k * 0.5 - 0.25) + shifter
    let odd = k - 2 * (mf - shifter)
    let scale = Double(bitPattern: (mf.bitPattern &+ (1023 &- 0x4338_0000_0000_0000)) &<< 52)
    let half = odd * 0.41421356237309503 + 1.0
    let y = p * (scale * half)
    return x < -708.0 ? 0 : y
}
