#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Batched driver shared by the float32 and float64 kernels: rows run in parallel chunks
/// (`parallelChunks`), each chunk owns one scratch buffer of `cols` doubles (no allocation per
/// row), a failing row does not stop the others, and the lowest failing row is reported.
func contrastiveBatch(
    rows: Int, cols: Int, scratch: Bool,
    _ body: (_ row: Int, _ scratch: UnsafeMutablePointer<Double>?) throws(PlumbError) -> Void
) -> PlumbError? {
    let firstFailure = Mutex<(row: Int, error: PlumbError)?>(nil)
    // A row costs ~cols exps; give a thread at least ~64k of them.
    let grain = max(1, 65_536 / max(cols, 1))
    parallelChunks(rows, grain: grain) { range in
        // malloc (not .allocate, which traps on failure): a failed allocation becomes .noMemory.
        let buffer = scratch ? malloc(max(1, cols) &* MemoryLayout<Double>.stride)?.bindMemory(to: Double.self, capacity: cols) : nil
        defer { free(buffer) }
        for r in range {
            do throws(PlumbError) {
                try body(r, buffer)
            } catch {
                let failure = error.at(row: r)
                firstFailure.withLock { current in
                    if current == nil || r < current!.row { current = (r, failure) }
                }
            }
        }
    }
    return firstFailure.withLock { $0?.error }
}

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
/// entry is NaN or +inf, four lanes at a time (SSE maxps / cmpps).
@inline(__always)
func scanRangeF32(_ s: UnsafePointer<Float>, _ a: Int, _ b: Int, _ best: inout Float, _ bad: inout Bool) {
    var i = a
    var m = SIMD4<Float>(repeating: -.infinity)
    var flags = SIMDMask<SIMD4<Int32>>()
    while i + 4 <= b {
        let v = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD4<Float>.self)
        flags = flags .| .!(v .< .infinity)
        m = pointwiseMax(m, v)
        i += 4
    }
    var result = m.max()
    var anyBad = any(flags)
    while i < b {
        let v = s[i]
        if !(v < .infinity) { anyBad = true }
        if v > result { result = v }
        i += 1
    }
    if result > best { best = result }
    bad = bad || anyBad
}

/// `scanRow` for float32 rows, using `scanRangeF32`.
@inline(__always)
func scanRowF32(_ s: UnsafePointer<Float>, cols: Int, positive t: Int) throws(PlumbError) -> Float {
    var best = -Float.infinity
    var bad = false
    scanRangeF32(s, 0, t, &best, &bad)
    scanRangeF32(s, t + 1, cols, &best, &bad)
    if bad || !s[t].isFinite { _ = try scanRow(s, cols: cols, positive: t) }  // throws the message
    return best
}
