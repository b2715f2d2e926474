/// One pass over a row-major `rows x cols` matrix W computing `W^T (W x)` (and optionally `W x`).
///
/// Row by row: `t_i = w_i . x` then `y += t_i w_i`, so W is read once per pass. Accumulation is in
/// binary64 for both element types. Rows are split into a FIXED number of contiguous blocks that
/// depends only on `rows` (never on the thread count); each block accumulates its own partial `y`
/// and the partials are added in block order, so the result is bitwise identical for any
/// `plumb_set_num_threads`.
protocol SpectralElement: BinaryFloatingPoint {
    var wide: Double { get }
    init(narrowing d: Double)
    /// Four consecutive elements widened to binary64.
    static func load4(_ p: UnsafePointer<Self>) -> SIMD4<Double>
}

extension Float: SpectralElement {
    @inline(__always) var wide: Double { Double(self) }
    @inline(__always) init(narrowing d: Double) { self = Float(d) }
    @inline(__always) static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Double> {
        let f = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
        return SIMD4<Double>(Double(f[0]), Double(f[1]), Double(f[2]), Double(f[3]))
    }
}

extension Double: SpectralElement {
    @inline(__always) var wide: Double { self }
    @inline(__always) init(narrowing d: Double) { self = d }
    @inline(__always) static func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }
}

/// `acc += t * w_i` (SIMD, fixed order per element).
@inline(__always)
func rowAxpy<T: SpectralElement>(_ t: Double, _ w: UnsafePointer<T>, _ acc: UnsafeMutablePointer<Double>, _ n: Int) {
    let raw = UnsafeMutableRawPointer(acc)
    let tv = SIMD4<Double>(repeating: t)
    var j = 0
    while j + 4 <= n {
        let a = raw.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
        raw.storeBytes(of: a + tv * T.load4(w + j), toByteOffset: j * 8, as: SIMD4<Double>.self)
        j += 4
    }
    while j < n { acc[j] += t * w[j].wide; j += 1 }
}

/// `w_i . x` with four independent accumulators (vectorisable; fixed order).
@inline(__always)
func rowDot<T: SpectralElement>(_ w: UnsafePointer<T>, _ x: UnsafePointer<Double>, _ n: Int) -> Double {
    let xr = UnsafeRawPointer(x)
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
    var j = 0
    while j + 8 <= n {
        s0 += T.load4(w + j) * xr.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
        s1 += T.load4(w + j + 4) * xr.loadUnaligned(fromByteOffset: (j + 4) * 8, as: SIMD4<Double>.self)
        j += 8
    }
    var tail = 0.0
    while j < n { tail += w[j].wide * x[j]; j += 1 }
    let s = s0 + s1
    return ((s[0] + s[1]) + (s[2] + s[3])) + tail
}

/// Blocks used by a pass: fixed by `rows` only (at most 16, at least 64 rows each).
func passBlocks(rows: Int) -> Int { max(1, min(16, rows / 64)) }

/// `y = W^T (W x)`; when `wx` is non-nil it also receives `W x` (rows values), and when
/// `rowNorms2` is non-nil it receives `||w_i||^2` (for the Frobenius bound `sigma_1 <= ||W||_F`).
/// `scratch` must hold `passBlocks(rows) * cols` doubles.
func gramPass<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, wx: UnsafeMutablePointer<Double>?,
    rowNorms2: UnsafeMutablePointer<Double>? = nil, scratch: UnsafeMutablePointer<Double>
) {
    let blocks = passBlocks(rows: rows)
    parallelChunks(blocks) { range in
        for b in range {
            let acc = scratch + b * cols
            acc.update(repeating: 0, count: cols)
            let r0 = b * rows / blocks, r1 = (b + 1) * rows / blocks
            for r in r0..<r1 {
                let row = w + r * cols
                let t = rowDot(row, x, cols)
                if let wx { wx[r] = t }
                if let rowNorms2 {
                    var q = 0.0
                    for j in 0..<cols { q += row[j].wide * row[j].wide }
                    rowNorms2[r] = q
                }
                rowAxpy(t, row, acc, cols)
            }
        }
    }
    y.update(from: scratch, count: cols)
    if blocks > 1 {
        for b in 1..<blocks {
            let acc = scratch + b * cols
            for j in 0..<cols { y[j] += acc[j] }
        }
    }
}
