#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
/// The fused pass for a PAIR of vectors: `Y = W^T (W X)`, X and Y two consecutive `cols`-vectors,
/// binary64 accumulation. One read of W serves both vectors, and each group of W's entries is
/// widened once for both, so a pair costs far less than two passes (the block Lanczos search in
/// `topTriplet` applies the operator to two vectors at a time).
///
/// Same determinism as `gramPassBody` (blocks fixed by `rows`, fixed orders). `scratch` must hold
/// `2 * passBlocks(rows) * cols` doubles.
func gramPassPairBody<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
) {
    let blocks = passBlocks(rows: rows)
    parallelChunks(blocks) { range in
        for b in range {
            let acc = scratch + 2 * b * cols
            acc.update(repeating: 0, count: 2 * cols)
            let r0 = b * rows / blocks, r1 = (b + 1) * rows / blocks
            var r = r0
            while r + 4 <= r1 {
                let w0 = w + r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols
                let (ta, tb) = rowDot4Pair(w0, w1, w2, w3, x, cols)
                rowAxpy4Pair(ta, tb, w0, w1, w2, w3, acc, acc + cols, cols, prefetch: r + 8 <= r1 ? w3 + cols : nil)
                r += 4
            }
            while r < r1 {
                let row = w + r * cols
                let (ta, tb) = rowDot4Pair(row, row, row, row, x, cols)
                rowAxpy4Pair(SIMD4(ta[0], 0, 0, 0), SIMD4(tb[0], 0, 0, 0), row, row, row, row, acc, acc + cols, cols)
                r += 1
            }
        }
    }
    y.update(from: scratch, count: 2 * cols)
    for b in 1..<blocks {
        let acc = scratch + 2 * b * cols
        for j in 0..<(2 * cols) { y[j] += acc[j] }
    }
}

/// Four rows' dot products with each of the two vectors `x[0..<n]` and `x[n..<2n]`.
@inline(__always)
func rowDot4Pair<T: SpectralElement>(
    _ w0: UnsafePointer<T>, _ w1: UnsafePointer<T>, _ w2: UnsafePointer<T>, _ w3: UnsafePointer<T>,
    _ x: UnsafePointer<Double>, _ n: Int
) -> (SIMD4<Double>, SIMD4<Double>) {
    let xa = UnsafeRawPointer(x), xb = UnsafeRawPointer(x + n)
    var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
    var b0 = SIMD4<Double>(), b1 = SIMD4<Double>(), b2 = SIMD4<Double>(), b3 = SIMD4<Double>()
    var j = 0
    while j + 4 <= n {
        let u = xa.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
        let v = xb.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
        let e0 = T.load4(w0 + j), e1 = T.load4(w1 + j), e2 = T.load4(w2 + j), e3 = T.load4(w3 + j)
        a0 += e0 * u; a1 += e1 * u; a2 += e2 * u; a3 += e3 * u
        b0 += e0 * v; b1 += e1 * v; b2 += e2 * v; b3 += e3 * v
        j += 4
    }
    @inline(__always) func total(_ s: SIMD4<Double>) -> Double { (s[0] + s[1]) + (s[2] + s[3]) }
    var ta = SIMD4(total(a0), total(a1), total(a2), total(a3))
    var tb = SIMD4(total(b0), total(b1), total(b2), total(b3))
    while j < n {
        let e = SIMD4(w0[j].wide, w1[j].wide, w2[j].wide, w3[j].wide)
        ta += e * x[j]
        tb += e * x[n + j]
        j += 1
    }
    return (ta, tb)
}

/// `acc[0..<n] += sum_k ta[k] w_k` and `acc2[0..<n] += sum_k tb[k] w_k` (pairwise brackets; each
/// element on its own, so the vector width does not change the bits); `prefetch`: the next four
/// rows (`prefetchRows4`, rows n long).
@inline(__always)
func rowAxpy4Pair<T: SpectralElement>(
    _ ta: SIMD4<Double>, _ tb: SIMD4<Double>,
    _ w0: UnsafePointer<T>, _ w1: UnsafePointer<T>, _ w2: UnsafePointer<T>, _ w3: UnsafePointer<T>,
    _ acc: UnsafeMutablePointer<Double>, _ acc2: UnsafeMutablePointer<Double>, _ n: Int,
    prefetch next: UnsafePointer<T>? = nil
) {
    let ra = UnsafeMutableRawPointer(acc), rb = UnsafeMutableRawPointer(acc2)
    let a0 = SIMD8<Double>(repeating: ta[0]), a1 = SIMD8<Double>(repeating: ta[1])
    let a2 = SIMD8<Double>(repeating: ta[2]), a3 = SIMD8<Double>(repeating: ta[3])
    let b0 = SIMD8<Double>(repeating: tb[0]), b1 = SIMD8<Double>(repeating: tb[1])
    let b2 = SIMD8<Double>(repeating: tb[2]), b3 = SIMD8<Double>(repeating: tb[3])
    var j = 0
    while j + 8 <= n {
        prefetchRows4(next, rowLength: n, at: j)
        let e0 = T.load8(w0 + j), e1 = T.load8(w1 + j), e2 = T.load8(w2 + j), e3 = T.load8(w3 + j)
        let pa = (a0 * e0 + a1 * e1) + (a2 * e2 + a3 * e3)
        let pb = (b0 * e0 + b1 * e1) + (b2 * e2 + b3 * e3)
        ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self) + pa,
                      toByteOffset: j * 8, as: SIMD8<Double>.self)
        rb.storeBytes(of: rb.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self) + pb,
                      toByteOffset: j * 8, as: SIMD8<Double>.self)
        j += 8
    }
    while j < n {
        let e = SIMD4(w0[j].wide, w1[j].wide, w2[j].wide, w3[j].wide)
        let pa = ta * e, pb = tb * e
        acc[j] += (pa[0] + pa[1]) + (pa[2] + pa[3])
        acc2[j] += (pb[0] + pb[1]) + (pb[2] + pb[3])
        j += 1
    }
}
