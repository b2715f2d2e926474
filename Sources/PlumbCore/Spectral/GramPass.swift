#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import CPlumbCPU
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
    /// Eight consecutive elements widened to binary64.
    static func load8(_ p: UnsafePointer<Self>) -> SIMD8<Double>
}

extension Float: SpectralElement {
    @inline(__always) var wide: Double { Double(self) }
    @inline(__always) init(narrowing d: Double) { self = Float(d) }
    @inline(__always) static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Double> {
        SIMD4<Double>(UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self))  // exact widening
    }
    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Double> {
        SIMD8<Double>(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self))
    }
}

extension Double: SpectralElement {
    @inline(__always) var wide: Double { self }
    @inline(__always) init(narrowing d: Double) { self = d }
    @inline(__always) static func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }
    @inline(__always) static func load8(_ p: UnsafePointer<Double>) -> SIMD8<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
    }
}

/// Requests element `j` of the four consecutive rows at `next` (row length n) into the L2 cache,
/// once per 64-byte line (j must step through every multiple of `64 / stride`). The passes call it
/// for the next four rows from their update sweep, which reads the current rows from L1/L2 and
/// would leave the path from memory idle (measured 2048 x 2048 float32, pair pass, on an AMD EPYC:
/// 2-20% faster with two threads, 18% with one; from the dot-product sweep, which itself waits for
/// memory, no gain). Into L2, not L1: the current rows, x and the group buffer already fill L1
/// (on an AVX-512 Xeon a cold float32 call took 6% less time than with prefetches into L1).
@inline(__always)
func prefetchRows4<T>(_ next: UnsafePointer<T>?, rowLength n: Int, at j: Int) {
    guard let next, j & (64 / MemoryLayout<T>.stride - 1) == 0 else { return }
    plumbcpu_prefetch_l2(next + j); plumbcpu_prefetch_l2(next + n + j)
    plumbcpu_prefetch_l2(next + 2 * n + j); plumbcpu_prefetch_l2(next + 3 * n + j)
}

/// Requests into the L2 cache the lines of `half[2 j ..< 2 (j + step)]`, where `half` points at two
/// consecutive rows (2 n elements, row length n) and `j` steps by `step` through 0..<n: each such
/// sweep over a row brings both rows in, one line at a time, each line once.
///
/// The float32 pair pass gives each group of four rows' two sweeps (the dot products, then the
/// update) half of the next group to request, so that the path from memory stays busy through both,
/// where requests from the update sweep alone (`prefetchRows4`) left it idle during the dot
/// products. Measured 2048 x 2048, two threads, calls alternating with the earlier build in one
/// process, on an AVX-512 Xeon (Sapphire Rapids class, W in L3): float32 7% less time per cold or
/// warm call, same bits (a C model of the pass: 9-13%); the binary64 pass for float64 W, whose
/// 33 MB come from memory, 5-14% MORE time, so it keeps `prefetchRows4`.
@inline(__always)
func prefetchRowPair<T>(_ half: UnsafePointer<T>?, at j: Int, step: Int) {
    guard let half else { return }
    let stride = MemoryLayout<T>.stride
    let base = Int(bitPattern: half)
    var line = (base + 2 * j * stride + 63) & ~63
    let end = base + 2 * (j + step) * stride
    while line < end {
        plumbcpu_prefetch_l2(UnsafeRawPointer(bitPattern: line))
        line += 64
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

/// `acc += ((t0 w0 + t1 w1) + (t2 w2 + t3 w3))` (SIMD, fixed order per element, so the vector
/// width does not change the bits); `prefetch`: the next four rows (`prefetchRows4`).
@inline(__always)
func rowAxpy4<T: SpectralElement>(
    _ t0: Double, _ w0: UnsafePointer<T>, _ t1: Double, _ w1: UnsafePointer<T>,
    _ t2: Double, _ w2: UnsafePointer<T>, _ t3: Double, _ w3: UnsafePointer<T>,
    _ acc: UnsafeMutablePointer<Double>, _ n: Int, prefetch next: UnsafePointer<T>? = nil
) {
    let raw = UnsafeMutableRawPointer(acc)
    let v0 = SIMD8<Double>(repeating: t0), v1 = SIMD8<Double>(repeating: t1)
    let v2 = SIMD8<Double>(repeating: t2), v3 = SIMD8<Double>(repeating: t3)
    var j = 0
    while j + 8 <= n {
        prefetchRows4(next, rowLength: n, at: j)
        let a = raw.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
        let s = (v0 * T.load8(w0 + j) + v1 * T.load8(w1 + j)) + (v2 * T.load8(w2 + j) + v3 * T.load8(w3 + j))
        raw.storeBytes(of: a + s, toByteOffset: j * 8, as: SIMD8<Double>.self)
        j += 8
    }
    while j < n {
        acc[j] += (t0 * w0[j].wide + t1 * w1[j].wide) + (t2 * w2[j].wide + t3 * w3[j].wide)
        j += 1
    }
}

/// `(w0 . x, w1 . x, w2 . x, w3 . x)` in one sweep: x is loaded once for four rows, and the four
/// accumulators are independent add chains (vectorisable; fixed order).
@inline(__always)
func rowDot4<T: SpectralElement>(
    _ w0: UnsafePointer<T>, _ w1: UnsafePointer<T>, _ w2: UnsafePointer<T>, _ w3: UnsafePointer<T>,
    _ x: UnsafePointer<Double>, _ n: Int
) -> SIMD4<Double> {
    let xr = UnsafeRawPointer(x)
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
    var j = 0
    while j + 4 <= n {
        let xv = xr.loadUnaligned(fromByteOffset: j * 8, as: SIMD4<Double>.self)
        s0 += T.load4(w0 + j) * xv
        s1 += T.load4(w1 + j) * xv
        s2 += T.load4(w2 + j) * xv
        s3 += T.load4(w3 + j) * xv
        j += 4
    }
    var tail = SIMD4<Double>()
    while j < n {
        tail += SIMD4(w0[j].wide, w1[j].wide, w2[j].wide, w3[j].wide) * x[j]
        j += 1
    }
    @inline(__always) func total(_ s: SIMD4<Double>) -> Double { (s[0] + s[1]) + (s[2] + s[3]) }
    return SIMD4(total(s0), total(s1), total(s2), total(s3)) + tail
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

/// `||w_i||^2` in binary64.
@inline(__always)
func rowDot2<T: SpectralElement>(_ w: UnsafePointer<T>, _ n: Int) -> Double {
    var s = SIMD4<Double>()
    var j = 0
    while j + 4 <= n { let a = T.load4(w + j); s += a * a; j += 4 }
    var tail = 0.0
    while j < n { tail += w[j].wide * w[j].wide; j += 1 }
    return ((s[0] + s[1]) + (s[2] + s[3])) + tail
}

/// `out[i] = ||w_i||^2` in binary64 (for the bound `sigma_1 <= ||W||_F` and the choice of pass),
/// rows in parallel.
func rowNormsSquared<T: SpectralElement>(_ w: UnsafePointer<T>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Double>) {
    parallelChunks(rows, grain: max(1, 16384 / max(cols, 1))) { range in
        for r in range { out[r] = rowDot2(w + r * cols, cols) }
    }
}

/// Blocks used by a pass: fixed by `rows` only (at most 16, at least 64 rows each).
func passBlocks(rows: Int) -> Int { max(1, min(16, rows / 64)) }

/// `y = W^T (W x)`; when `wx` is non-nil it also receives `W x` (rows values).
/// `scratch` must hold `passBlocks(rows) * cols` doubles. Callers use `gramPass` (which picks this
/// module's build or a faster one of the same source); this is the implementation.
func gramPassBody<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, wx: UnsafeMutablePointer<Double>?, scratch: UnsafeMutablePointer<Double>
) {
    let blocks = passBlocks(rows: rows)
    parallelChunks(blocks) { range in
        for b in range {
            let acc = scratch + b * cols
            acc.update(repeating: 0, count: cols)
            let r0 = b * rows / blocks, r1 = (b + 1) * rows / blocks
            // Four rows at a time: x and the accumulator are loaded once per four rows, and each
            // group of rows is read from memory once (the axpy finds it in cache).
            var r4 = r0
            while r4 + 4 <= r1 {
                let w0 = w + r4 * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols
                let t = rowDot4(w0, w1, w2, w3, x, cols)
                let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3]
                if let wx { wx[r4] = t0; wx[r4 + 1] = t1; wx[r4 + 2] = t2; wx[r4 + 3] = t3 }
                rowAxpy4(t0, w0, t1, w1, t2, w2, t3, w3, acc, cols, prefetch: r4 + 8 <= r1 ? w3 + cols : nil)
                r4 += 4
            }
            for r in r4..<r1 {
                let row = w + r * cols
                let t = rowDot(row, x, cols)
                if let wx { wx[r] = t }
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
