#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif

/// Classical Gram-Schmidt, twice ("twice is enough": Giraud, Langou & Rozloznik 2005): each of the
/// `count` (1 or 2) columns `y_c` (consecutive, `cols` values each) becomes `y_c - Q Q^T y_c`
/// against the `basis` orthonormal columns Q at `q` (consecutive, `cols` values each), and
/// `coefficients[c * basis + i]` receives the total coefficient `q_i . y_c` removed over both
/// rounds (entries of the Lanczos projection).
///
/// Each round takes all the dot products first (`basisDots`), then all the updates
/// (`subtractBasisCombination`), each sweep holding both columns and two basis vectors, or a
/// slice of both columns, at once. A
/// dot-then-axpy per basis vector and column, as modified Gram-Schmidt does, loads about three
/// times as often, and these loops are bound by loads (measured 2048 columns, 20-vector basis: the
/// reorthogonalisation took 105 us of each Lanczos pass that way). Fixed operation order: the same
/// bits on every run and in every build. Callers use `reorthogonalise` (which picks this module's
/// build or a wider one of the same source); this is the implementation.
func reorthogonaliseBody(
    _ y: UnsafeMutablePointer<Double>, count: Int, against q: UnsafePointer<Double>, basis: Int, cols: Int,
    coefficients: UnsafeMutablePointer<Double>
) {
    precondition(count == 1 || count == 2)
    let n = count * basis
    coefficients.update(repeating: 0, count: n)
    guard basis > 0 else { return }
    let y1: UnsafeMutablePointer<Double>? = count == 2 ? y + cols : nil
    withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { buffer in
        let d = buffer.baseAddress!
        let e: UnsafeMutablePointer<Double>? = count == 2 ? d + basis : nil
        for _ in 0..<2 {
            basisDots(q, basis: basis, y, y1, cols: cols, d, e)
            subtractBasisCombination(q, basis: basis, d, e, from: y, y1, cols: cols)
            for j in 0..<n { coefficients[j] += d[j] }
        }
    }
}

/// `d[i] = q_i . y0` and, when `y1` is given, `e[i] = q_i . y1`, for i in 0..<basis: two basis
/// vectors per sweep, SIMD4 accumulators per (vector, column), lanes summed in a fixed tree.
@inline(__always)
private func basisDots(
    _ q: UnsafePointer<Double>, basis: Int, _ y0: UnsafePointer<Double>, _ y1: UnsafePointer<Double>?, cols: Int,
    _ d: UnsafeMutablePointer<Double>, _ e: UnsafeMutablePointer<Double>?
) {
    let cols4 = cols & ~3
    let r0 = UnsafeRawPointer(y0), r1 = UnsafeRawPointer(y1 ?? y0)
    var i = 0
    while i < basis {
        let pair = i + 1 < basis
        let qa = q + i * cols, qb = pair ? qa + cols : qa
        let ra = UnsafeRawPointer(qa), rb = UnsafeRawPointer(qb)
        var a0 = SIMD4<Double>(), b0 = SIMD4<Double>(), a1 = SIMD4<Double>(), b1 = SIMD4<Double>()
        var k = 0
        while k < cols4 {
            let u = r0.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            let va = ra.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            let vb = rb.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            a0 += va * u
            b0 += vb * u
            if y1 != nil {
                let w = r1.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
                a1 += va * w
                b1 += vb * w
            }
            k += 4
        }
        var sa0 = lanes(a0), sb0 = lanes(b0), sa1 = lanes(a1), sb1 = lanes(b1)
        while k < cols {
            sa0 += qa[k] * y0[k]
            sb0 += qb[k] * y0[k]
            if let y1 {
                sa1 += qa[k] * y1[k]
                sb1 += qb[k] * y1[k]
            }
            k += 1
        }
        d[i] = sa0
        if pair { d[i + 1] = sb0 }
        if let e {
            e[i] = sa1
            if pair { e[i + 1] = sb1 }
        }
        i += 2
    }
}

/// `y0 -= sum_i d[i] q_i` and, when `y1` is given, `y1 -= sum_i e[i] q_i`: eight values of each
/// column (a cache line) held in registers while the whole basis streams past, terms subtracted in
/// the order of i.
@inline(__always)
private func subtractBasisCombination(
    _ q: UnsafePointer<Double>, basis: Int, _ d: UnsafePointer<Double>, _ e: UnsafePointer<Double>?,
    from y0: UnsafeMutablePointer<Double>, _ y1: UnsafeMutablePointer<Double>?, cols: Int
) {
    let cols8 = cols & ~7
    let r0 = UnsafeMutableRawPointer(y0), r1 = UnsafeMutableRawPointer(y1 ?? y0)
    var k = 0
    while k < cols8 {
        var a = r0.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
        var b = r1.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
        for i in 0..<basis {
            let v = UnsafeRawPointer(q + i * cols).loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
            a -= d[i] * v
            if let e { b -= e[i] * v }
        }
        r0.storeBytes(of: a, toByteOffset: k * 8, as: SIMD8<Double>.self)
        if y1 != nil { r1.storeBytes(of: b, toByteOffset: k * 8, as: SIMD8<Double>.self) }
        k += 8
    }
    while k < cols {
        for i in 0..<basis {
            y0[k] -= d[i] * q[i * cols + k]
            if let e, let y1 { y1[k] -= e[i] * q[i * cols + k] }
        }
        k += 1
    }
}

/// The lanes of `s` summed in a fixed tree.
@inline(__always)
private func lanes(_ s: SIMD4<Double>) -> Double { (s[0] + s[1]) + (s[2] + s[3]) }
