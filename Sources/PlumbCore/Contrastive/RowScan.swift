#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
/// Checks one row's scores: every entry must be finite or `-inf`, and the positive finite.
/// Returns the largest negative score (`-inf` when every negative is masked).
@inline(__always)
func scanRow<T: BinaryFloatingPoint>(_ s: UnsafePointer<T>, cols: Int, positive t: Int) throws(PlumbError) -> T {
    var best = -T.infinity
    var bad = false
    for i in 0..<t {
        let v = s[i]
        bad = bad || !(v < .infinity)
        best = v > best ? v : best
    }
    for i in (t + 1)..<cols {
        let v = s[i]
        bad = bad || !(v < .infinity)
        best = v > best ? v : best
    }
    let st = s[t]
    if !st.isFinite { throw .domain(row: 0, "the positive score (column \(t)) is \(st); it must be finite") }
    if bad {
        for i in 0..<cols where !(s[i] < .infinity) {
            throw .domain(row: 0, "score at column \(i) is \(s[i]); scores must be finite or -inf (masked)")
        }
    }
    return best
}

/// Float32 fast path of the scan in `scanRow`: the largest entry of `s[a..<b]` and whether any
/// entry is NaN or +inf, eight lanes at a time. The maximum is the select `v > m ? v : m` (one
/// maxps; NaN entries are caught by the flags, so its NaN behaviour does not matter), not
/// `pointwiseMax`, whose IEEE NaN rules the compiler can only lower lane by lane.
@inline(__always)
func scanRangeF32(_ s: UnsafePointer<Float>, _ a: Int, _ b: Int, _ best: inout Float, _ bad: inout Bool) {
    var i = a
    var m = SIMD8<Float>(repeating: -.infinity)
    var flags = SIMDMask<SIMD8<Int32>>()
    while i + 8 <= b {
        let v = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self)
        flags = flags .| .!(v .< .infinity)
        m = m.replacing(with: v, where: v .> m)
        i += 8
    }
    var result = largestLane(m)
    var anyBad = anyLane(flags)
    while i < b {
        let v = s[i]
        if !(v < .infinity) { anyBad = true }
        if v > result { result = v }
        i += 1
    }
    if result > best { best = result }
    bad = bad || anyBad
}

/// The scan of a float32 row: its largest negative score, and whether any negative is NaN or +inf
/// (the positive is checked by the caller; `scanRow` then throws the message).
struct RowScanF32 {
    var best: Float, bad: Bool

    /// Scans `s[0..<cols]` around the positive `t` with `scanRangeF32`.
    @inline(__always)
    init(_ s: UnsafePointer<Float>, cols: Int, positive t: Int) {
        best = -.infinity
        bad = false
        scanRangeF32(s, 0, t, &best, &bad)
        scanRangeF32(s, t + 1, cols, &best, &bad)
    }

    init(best: Float, bad: Bool) {
        self.best = best
        self.bad = bad
    }
}

/// The largest lane of `m` (none NaN), in a fixed tree of compares. This and `anyLane` stand for
/// `SIMD8.max()` and `any(_:)`, generic functions that the optimizer may leave as calls to a
/// specialisation that every module emits under one symbol name, so that the AVX-512 and AVX2
/// kernels called the baseline build's SSE copy (once per row: no change measured in the
/// contrastive benchmark, same bits; in the spectral pass the same defect cost 8%).
@inline(__always)
func largestLane(_ m: SIMD8<Float>) -> Float {
    let h = m.lowHalf.replacing(with: m.highHalf, where: m.highHalf .> m.lowHalf)
    let q = h.lowHalf.replacing(with: h.highHalf, where: h.highHalf .> h.lowHalf)
    return q[1] > q[0] ? q[1] : q[0]
}

/// Whether any lane of `flags` is set (see `largestLane`).
@inline(__always)
func anyLane(_ flags: SIMDMask<SIMD8<Int32>>) -> Bool {
    (flags[0] || flags[1] || flags[2] || flags[3]) || (flags[4] || flags[5] || flags[6] || flags[7])
}
