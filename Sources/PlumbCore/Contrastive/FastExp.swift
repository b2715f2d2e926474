/// `2^y` for `y <= 0`, relative error below 2^-28.9 for `y >= -1022` (the float32 contrastive
/// kernel's budget: see `ContrastiveRowF32`; the float64 kernel uses libm's `exp` instead).
///
/// Callers fold `log2(e)` into their scale factor (`exp(x) = 2^(x log2 e)`), which saves the
/// multiplication a natural-base reduction needs. Reduction `y = k + f` with `k` the nearest
/// integer (the 1.5*2^52 shifter: no SSE4.1 rounding instruction needed) and `f = y - k` exact
/// (`|y| < 2^11` and `|f| <= 1/2`: Sterbenz), so the reduction itself adds no error. `2^f` is
/// a degree-6 polynomial `p` with `p(0) = 1` exactly (so `2^0 = 1`): the minimax polynomial of
/// relative error for `2^f` on [-1/2, 1/2] under that constraint, whose error equioscillates at
/// 1.975e-9 = 2^-28.92 (Remez exchange at 50 digits; coefficients rounded to double and the
/// evaluation below checked in double on 4e6 points; the largest error sits at f = +-1/2). It is
/// evaluated in Estrin's form (8 multiplications, 6 additions, 4 dependent multiply-add levels
/// instead of Horner's 6: the loops are latency-bound), whose rounding adds below 2^-50.
/// `2^k` is built in the exponent bits with 64-bit integer add and shift only (SSE2 has those; it
/// lacks 64-bit arithmetic shifts). Inputs are clamped at -1023 (one maxpd), where the built
/// `2^k` is +0, so every `y < -1022.5`, and `-inf`, give 0 (for `-1022.5 <= y < -1022` the
/// result is subnormal and only absolutely accurate, which no float32 output can see).
/// Branch-free, so loops over it vectorize.
@inline(__always)
func fastExp2NonPositive(_ y: Double) -> Double {
    let yc = y < -1023.0 ? -1023.0 : y
    let shifter = 6755399441055744.0  // 1.5 * 2^52: kf's low bits hold k
    let kf = yc + shifter
    let f = yc - (kf - shifter)
    let f2 = f * f
    let f4 = f2 * f2
    let p01 = 0x1.62e430af27107p-1 * f + 1.0
    let p23 = 0x1.c6aee88e93da6p-5 * f + 0x1.ebfbdc3c30949p-3
    let p45 = 0x1.5f3e52f25de81p-10 * f + 0x1.3b2d4cf1c65b2p-7
    let p = (p23 * f2 + p01) + (0x1.41fbbbfa8f179p-13 * f2 + p45) * f4
    // kf's bit pattern is 0x4338000000000000 + k; add (1023 - that) and shift into the exponent.
    let scale = Double(bitPattern: (kf.bitPattern &+ (1023 &- 0x4338_0000_0000_0000)) &<< 52)
    return p * scale
}

/// Eight lanes of `fastExp2NonPositive` (same operations, so the same results bit for bit); eight
/// independent lanes give the out-of-order core enough parallel work to hide the latency of the
/// polynomial chain.
@inline(__always)
func fastExp2NonPositive(_ y: SIMD8<Double>) -> SIMD8<Double> {
    let yc = y.replacing(with: -1023.0, where: y .< -1023.0)
    let shifter = SIMD8<Double>(repeating: 6755399441055744.0)
    let kf = yc + shifter
    let f = yc - (kf - shifter)
    let f2 = f * f
    let f4 = f2 * f2
    let p01 = 0x1.62e430af27107p-1 * f + 1.0
    let p23 = 0x1.c6aee88e93da6p-5 * f + 0x1.ebfbdc3c30949p-3
    let p45 = 0x1.5f3e52f25de81p-10 * f + 0x1.3b2d4cf1c65b2p-7
    let p = (p23 * f2 + p01) + (0x1.41fbbbfa8f179p-13 * f2 + p45) * f4
    let bits = unsafeBitCast(kf, to: SIMD8<Int64>.self)
    let scale = unsafeBitCast((bits &+ (1023 &- 0x4338_0000_0000_0000)) &<< 52, to: SIMD8<Double>.self)
    return p * scale
}
