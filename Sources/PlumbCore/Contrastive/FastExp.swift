/// `2^y` for `-1021 <= y <= 0`, relative error below 2^-28.9, and `2^-1021` for every smaller `y`
/// (also `-inf`), which a float32 result never sees (the float32 contrastive kernel's budget: see
/// `ContrastiveRowF32`; the float64 kernel uses libm's `exp` instead).
///
/// Callers fold `log2(e)` into their scale factor (`exp(x) = 2^(x log2 e)`), which saves the
/// multiplication a natural-base reduction needs. Reduction `y = k + f` with `k` the nearest
/// integer (the 1.5*2^52 shifter: no SSE4.1 rounding instruction needed) and `f = y - k` exact
/// (`|y| < 2^11` and `|f| <= 1/2`: Sterbenz), so the reduction itself adds no error. `2^f` is
/// a degree-6 polynomial `p` with `p(0) = 1` exactly (so `2^0 = 1`): the minimax polynomial of
/// relative error for `2^f` on [-1/2, 1/2] under that constraint, whose error equioscillates at
/// 1.975e-9 = 2^-28.92 (Remez exchange at 50 digits; coefficients rounded to double; the largest
/// error sits at f = +-1/2). It is evaluated by Horner's rule in `productPlus` steps, whose
/// rounding adds below 2^-52.4 with fused multiply-adds or without (both checked in extended
/// precision on 4e6 points). Six dependent steps, but the loops keep enough lanes in flight that
/// the number of multiplications sets the speed, and Horner's six are the fewest (Estrin's form
/// takes eight; measured 1.25x slower in the AVX2 build).
/// `2^k` is applied by adding `k` to the exponent field of `p`'s bits (one 64-bit shift and one
/// add, which SSE2 has; it lacks 64-bit arithmetic shifts), not by a multiplication. That stays
/// exact while the result is normal: `p >= 2^-1/2` has exponent >= -1, so inputs are clamped at
/// -1021 (one maxpd), the floor `2^-1021` (~4.5e-308). Callers that need masked entries to vanish
/// rely on their float32 rounding: in the contrastive kernel such a term's gradient is at most
/// `2^-1021 / tau <= 2^-872` (tau is a float32 > 0), which rounds to 0, and the floor adds at most
/// `cols * 2^-1021` to a sum, below that sum's own rounding error unless the sum lies far below
/// float32's range anyway. Branch-free, so loops over it vectorize.
@inline(__always)
func fastExp2NonPositive(_ y: Double) -> Double {
    let yc = y < -1021.0 ? -1021.0 : y
    let shifter = 6755399441055744.0  // 1.5 * 2^52: kf's low bits hold k
    let kf = yc + shifter
    let f = yc - (kf - shifter)
    var p = 0x1.41fbbbfa8f179p-13
    p = productPlus(p, f, 0x1.5f3e52f25de81p-10)
    p = productPlus(p, f, 0x1.3b2d4cf1c65b2p-7)
    p = productPlus(p, f, 0x1.c6aee88e93da6p-5)
    p = productPlus(p, f, 0x1.ebfbdc3c30949p-3)
    p = productPlus(p, f, 0x1.62e430af27107p-1)
    p = productPlus(p, f, 1.0)
    // kf's bit pattern is 0x4338000000000000 + k, so shifting it by 52 leaves k << 52: added to
    // p's bits, it adds k to p's exponent.
    return Double(bitPattern: p.bitPattern &+ (kf.bitPattern &<< 52))
}

/// Eight lanes of `fastExp2NonPositive` (same operations, so the same results bit for bit); eight
/// independent lanes give the out-of-order core enough parallel work to hide the latency of the
/// polynomial chain.
@inline(__always)
func fastExp2NonPositive(_ y: SIMD8<Double>) -> SIMD8<Double> {
    let yc = y.replacing(with: -1021.0, where: y .< -1021.0)
    let shifter = SIMD8<Double>(repeating: 6755399441055744.0)
    let kf = yc + shifter
    let f = yc - (kf - shifter)
    var p = SIMD8<Double>(repeating: 0x1.41fbbbfa8f179p-13)
    p = productPlus(p, f, SIMD8(repeating: 0x1.5f3e52f25de81p-10))
    p = productPlus(p, f, SIMD8(repeating: 0x1.3b2d4cf1c65b2p-7))
    p = productPlus(p, f, SIMD8(repeating: 0x1.c6aee88e93da6p-5))
    p = productPlus(p, f, SIMD8(repeating: 0x1.ebfbdc3c30949p-3))
    p = productPlus(p, f, SIMD8(repeating: 0x1.62e430af27107p-1))
    p = productPlus(p, f, SIMD8(repeating: 1.0))
    let bits = unsafeBitCast(p, to: SIMD8<Int64>.self) &+ (unsafeBitCast(kf, to: SIMD8<Int64>.self) &<< 52)
    return unsafeBitCast(bits, to: SIMD8<Double>.self)
}

/// `a * b + c`: one fused multiply-add in the dispatched builds (AVX2, AVX-512), a product and a
/// sum in the baseline (baseline x86-64 has no FMA instruction, and libm's software `fma` would
/// cost a call per step). The baseline's results may therefore differ in the last bit of a double.
@inline(__always)
func productPlus(_ a: Double, _ b: Double, _ c: Double) -> Double {
    #if PLUMB_DISPATCHED
    c.addingProduct(a, b)
    #else
    a * b + c
    #endif
}

@inline(__always)
func productPlus(_ a: SIMD8<Double>, _ b: SIMD8<Double>, _ c: SIMD8<Double>) -> SIMD8<Double> {
    #if PLUMB_DISPATCHED
    c.addingProduct(a, b)
    #else
    a * b + c
    #endif
}
